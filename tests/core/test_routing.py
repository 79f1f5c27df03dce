"""Skipping the routers a path cannot belong to changes no answer: every route's own path,
with each of its methods and with a method it lacks, and paths no route has, reach the same
router as FastAPI's try-them-all matching does."""

from __future__ import annotations

import re

from fastapi.routing import _IncludedRouter
from starlette.routing import BaseRoute, Match

from core.api.routing import _PrefixedRouter

ID = "00000000-0000-4000-8000-000000000001"


def _scope(method: str, path: str) -> dict:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def _winner(routes: list[BaseRoute], scope: dict) -> tuple[str, int] | None:
    """Which root entry answers, as the app's router decides: the first full match, else the
    first partial one (a 405)."""
    partial = None
    for index, route in enumerate(routes):
        match, _ = route.matches(dict(scope))
        if match == Match.FULL:
            return "full", index
        if match == Match.PARTIAL and partial is None:
            partial = ("partial", index)
    return partial


def test_every_path_reaches_the_router_it_reached_before(app) -> None:
    indexed = list(app.router.routes)
    assert sum(isinstance(r, _PrefixedRouter) for r in indexed) > 50
    plain = [
        _IncludedRouter(original_router=r.original_router, include_context=r.include_context)
        if isinstance(r, _PrefixedRouter)
        else r
        for r in indexed
    ]
    requests = [("GET", "/nowhere"), ("GET", "/api/v1/nowhere"), ("GET", "/api/v2/tickets")]
    for route in indexed:
        if not isinstance(route, _PrefixedRouter):
            continue
        for candidate in route.effective_candidates():
            path = re.sub(r"\{[^}]+\}", ID, candidate.path)
            methods = sorted(getattr(candidate.original_route, "methods", None) or {"GET"})
            requests += [(m, path) for m in methods] + [("PURGE", path), ("GET", path + "/x")]
    assert len(requests) > 400
    for method, path in requests:
        scope = _scope(method, path)
        assert _winner(indexed, scope) == _winner(plain, scope), (method, path)
