"""Request parameters and dependencies solved with what FastAPI works out of each declared
field and dependency once.

For every query, header, cookie and path parameter of every request, FastAPI asks again of
the field's type whether it is a parameter model, a JSON field or a sequence, and works out
its aliases (`typing.get_origin`, `issubclass` over unions): pure functions of a field that
does not change once the routes are built, asked 18 times by each ticket list (its query
parameters): about 2 % of the list's CPU (bench/README.md). Likewise, for every dependency of
every request, it works out again whether the callable is a generator or a coroutine and the
key it caches the dependency's value under (walking the dependency's security scopes): seven
dependencies on a ticket's GET. These answers are kept per field, annotation, callable or
dependency; what is read from the request, how it is validated and how each dependency is
called are unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from fastapi.dependencies import utils
from fastapi.dependencies.models import Dependant

_KEPT = (
    "_get_param_model",
    "_get_param_aliases",
    "_is_json_field",
    "field_annotation_is_sequence",
    "_is_gen_callable",
    "_is_async_gen_callable",
    "_is_coroutine_callable",
)
_MOST = 10_000  # answers kept per function: routes are built once, so never reached in use


def _kept(function: Callable[..., Any]) -> Callable[..., Any]:
    answers: dict[Any, Any] = {}

    @wraps(function)
    def kept(key: Any, **options: Any) -> Any:
        memo = (key, *options.items()) if options else key
        try:
            return answers[memo]
        except KeyError:
            answer = function(key, **options)
            if len(answers) < _MOST:
                answers[memo] = answer
            return answer
        except TypeError:  # an annotation or callable that cannot be a key: asked each time
            return function(key, **options)

    return kept


def _kept_per_dependant(function: Callable[..., Any]) -> Callable[..., Any]:
    """Kept by the dependant's identity (a dependant is not hashable); the dependant is held
    with its answer, so that its id cannot be another's."""
    answers: dict[int, tuple[Dependant, Any]] = {}

    @wraps(function)
    def kept(*, dependant: Dependant, **options: Any) -> Any:
        hit = answers.get(id(dependant))
        if hit is not None and hit[0] is dependant:
            return hit[1]
        answer = function(dependant=dependant, **options)
        if len(answers) < _MOST:
            answers[id(dependant)] = (dependant, answer)
        return answer

    return kept


def read_params_once() -> None:
    """Keep FastAPI's answers about fields and dependencies, so a request pays only for the
    values it carries; called once when the app is built (a second call changes nothing)."""
    for name in _KEPT:
        function = getattr(utils, name)
        if not hasattr(function, "__wrapped__"):
            setattr(utils, name, _kept(function))
    if not hasattr(utils._get_cache_key, "__wrapped__"):
        utils._get_cache_key = _kept_per_dependant(utils._get_cache_key)
