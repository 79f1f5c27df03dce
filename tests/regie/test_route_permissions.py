"""Every API route demands a credential and declares a permission; none is left open.

A route added without `require(...)` fails here, as does one that answers without a token
or to a token lacking its permission.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.routing import APIRoute

from tests.factories import auth, make_tenant, make_token

# Routes that are deliberately public: the key that lets an outsider verify audit checkpoints.
PUBLIC = {("GET", "/api/v1/audit/public-key")}


def api_routes(app) -> list[APIRoute]:
    found: list[APIRoute] = []

    def walk(routes) -> None:
        for route in routes:
            if isinstance(route, APIRoute):
                found.append(route)
            elif hasattr(route, "original_router"):
                walk(route.original_router.routes)

    walk(app.router.routes)
    return [r for r in found if r.path.startswith("/api/v1/")]


def declared_permissions(route: APIRoute) -> set[str]:
    found: set[str] = set()

    def walk(dependant) -> None:
        if hasattr(dependant.call, "permission"):
            found.add(dependant.call.permission)
        for sub in dependant.dependencies:
            walk(sub)

    walk(route.dependant)
    return found


def calls(app) -> list[tuple[str, str, APIRoute]]:
    out = []
    for route in api_routes(app):
        for method in sorted(route.methods - {"HEAD"}):
            path = route.path.replace("{", "").replace("}", "")
            for name in route.param_convertors:
                path = path.replace(name, str(uuid.uuid4()))
            out.append((method, path, route))
    return out


def test_every_api_route_declares_a_permission(app) -> None:
    routes = api_routes(app)
    assert len(routes) >= 5
    undeclared = [
        (sorted(r.methods), r.path)
        for r in routes
        if not declared_permissions(r) and (min(r.methods), r.path) not in PUBLIC
    ]
    assert undeclared == []


def test_every_api_route_refuses_without_credentials_and_without_permission(app, client) -> None:
    nothing = make_token(make_tenant(), [])
    for method, path, route in calls(app):
        if (method, route.path) in PUBLIC:
            continue
        r = client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json"
        r = client.request(method, path, json={}, headers=auth(nothing))
        assert r.status_code == 403, (method, path, r.status_code)


@pytest.mark.parametrize("header", ["rgk_x_y_z", "Basic dXNlcjpwYXNz"])
def test_malformed_credentials_are_401(client, header) -> None:
    r = client.get("/api/v1/services", headers={"Authorization": f"Bearer {header}"})
    assert r.status_code == 401
