"""Route matching that skips the routers a path cannot belong to.

FastAPI tries the included routers in order and, within each, every route's pattern: a request
for a ticket was matched against the routes of the ten routers included before the tickets
router (98 µs; a change's 199 µs; now 13 and 24-31 µs, bench/README.md). A route can only
match a path that starts with the literal text before its first parameter, so each included
router first compares the path with those prefixes (one C-level `str.startswith`) and is tried
in full only when one fits.
Which route answers is unchanged: a router that is skipped could not have matched.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute, _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Mount, Route
from starlette.types import Scope


class _PrefixedRouter(_IncludedRouter):
    prefixes: tuple[str, ...] = ()

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(self.prefixes):
            return Match.NONE, {}
        return super().matches(scope)


def skip_unreachable_routers(app: FastAPI) -> None:
    """Give every included router of `app` the prefixes its routes start with; called once
    all routers are included. A router with a route of no literal path (a Host) stays as is."""
    routes = app.router.routes
    for index, route in enumerate(routes):
        if type(route) is not _IncludedRouter:
            continue
        prefixes = _prefixes(route)
        if prefixes is None:
            continue
        faster = _PrefixedRouter(
            original_router=route.original_router, include_context=route.include_context
        )
        faster.prefixes = prefixes
        routes[index] = faster


def _prefixes(router: _IncludedRouter) -> tuple[str, ...] | None:
    found: set[str] = set()
    for candidate in router.effective_candidates():
        if isinstance(candidate, _IncludedRouter):
            inner = _prefixes(candidate)
            if inner is None:
                return None
            found.update(inner)
            continue
        if isinstance(candidate.original_route, APIRoute):
            path = candidate.path  # the pattern it is matched by, include prefixes and all
        elif isinstance(candidate.starlette_route, Route | Mount):
            path = candidate.starlette_route.path
        else:
            return None
        if not path.startswith("/"):
            return None
        found.add(path.split("{", 1)[0])
    # "/api/v1/tickets" already admits "/api/v1/tickets/": keep the shortest of each family.
    return tuple(sorted(p for p in found if not any(p != q and p.startswith(q) for q in found)))
