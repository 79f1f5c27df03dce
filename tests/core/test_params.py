"""FastAPI's answers about each declared parameter, kept once the app is built, are the ones it
works out afresh: for every parameter of every route and of its dependencies."""

from __future__ import annotations

from fastapi.dependencies import utils
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, _IncludedRouter


def _params(dependant: Dependant) -> list:
    own = [
        *dependant.path_params,
        *dependant.query_params,
        *dependant.header_params,
        *dependant.cookie_params,
    ]
    return own + [p for d in dependant.dependencies for p in _params(d)]


def _routes(entries) -> list[APIRoute]:
    found = []
    for entry in entries:
        if isinstance(entry, _IncludedRouter):
            found += _routes(entry.effective_candidates())
        elif isinstance(getattr(entry, "original_route", entry), APIRoute):
            found.append(getattr(entry, "original_route", entry))
    return found


def test_every_parameter_reads_as_fastapi_reads_it(app) -> None:
    routes = _routes(app.router.routes)
    fields = {id(f): f for r in routes for f in _params(r.dependant)}.values()
    assert len(fields) > 300  # every operation's parameters, the ticket list's 18 among them
    for field in fields:
        for name in ("_get_param_model", "_get_param_aliases", "_is_json_field"):
            kept, own = getattr(utils, name), getattr(utils, name).__wrapped__
            assert kept(field) == own(field), (name, field.name)
            assert kept(field) == own(field)  # the kept answer, asked again
        sequence = utils.field_annotation_is_sequence
        annotation = field.field_info.annotation
        assert sequence(annotation) == sequence.__wrapped__(annotation), field.name
    lists = next(r for r in routes if r.name == "list_tickets")
    status = next(f for f in _params(lists.dependant) if f.name == "status")
    assert utils.field_annotation_is_sequence(status.field_info.annotation)


def _dependants(dependant: Dependant) -> list[Dependant]:
    return [dependant] + [d for sub in dependant.dependencies for d in _dependants(sub)]


def test_every_dependency_is_solved_as_fastapi_solves_it(app) -> None:
    dependants = [d for r in _routes(app.router.routes) for d in _dependants(r.dependant)]
    assert len({id(d) for d in dependants}) > 500  # every route's, and each of their own
    for dependant in dependants:
        kept, own = utils._get_cache_key, utils._get_cache_key.__wrapped__
        assert kept(dependant=dependant) == own(dependant=dependant), dependant.name
        assert kept(dependant=dependant) == own(dependant=dependant)  # the kept answer
        for name in ("_is_gen_callable", "_is_async_gen_callable", "_is_coroutine_callable"):
            kept, own = getattr(utils, name), getattr(utils, name).__wrapped__
            assert kept(dependant.call) == own(dependant.call), (name, dependant.name)
    gets = next(r for r in _routes(app.router.routes) if r.name == "get_ticket")
    principal = next(d for d in _dependants(gets.dependant) if d.name == "principal")
    # The caller's principal has the bearer scheme under it: its key names the scopes part.
    assert utils._get_cache_key(dependant=principal)[0] is principal.call
    assert utils._is_async_gen_callable(
        next(d for d in _dependants(gets.dependant) if d.name == "session").call
    )
