"""A ticket, problem or alert rule refers only to services of its own tenant's catalogue."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.factories import auth, make_entries, make_token
from tests.tickets.helpers import incident
from tickets import permissions as tp
from tickets.alerts import permissions as ap
from tickets.problems import permissions as pp

MANAGER = [tp.REPORT, tp.READ, tp.WORK, tp.CONFIGURE, pp.READ, pp.MANAGE, ap.MANAGE]


def refused(r: Any) -> bool:
    params = r.json().get("invalidParams", [])
    return r.status_code == 400 and [p["name"] for p in params] == ["serviceId"]


def create(desk: Any, path: str, body: dict[str, Any]) -> Any:
    token = make_token(desk.tenant, MANAGER)
    return desk.client.post(path, headers=auth(token), json=body)


BODIES = {
    "/api/v1/tickets": incident(),
    "/api/v1/problems": {"title": "Slow overview", "description": "A missing index."},
    "/api/v1/alert-rules": {"name": "All"},
}


@pytest.mark.parametrize("path", BODIES)
def test_another_tenants_service_is_refused_like_an_unknown_one(desk, other, path) -> None:
    theirs = make_entries(other.tenant, 1, prefix="T")[0]
    foreign = create(desk, path, {**BODIES[path], "serviceId": str(theirs.id)})
    unknown = create(desk, path, {**BODIES[path], "serviceId": str(uuid.uuid4())})
    assert refused(foreign) and refused(unknown)
    assert foreign.json()["detail"] == unknown.json()["detail"]  # nothing learnt
    mine = make_entries(desk.tenant, 1, prefix="M")[0]
    r = create(desk, path, {**BODIES[path], "serviceId": str(mine.id)})
    assert r.status_code == 201, r.text
    assert r.json()["serviceId"] == str(mine.id)


def test_a_ticket_cannot_be_moved_to_another_tenants_service(desk, other) -> None:
    ticket = desk.report()
    theirs = make_entries(other.tenant, 1, prefix="T")[0]
    headers = auth(desk.agent, **{"If-Match": f'"{ticket["version"]}"'})
    path = f"/api/v1/tickets/{ticket['id']}"
    r = desk.client.patch(path, headers=headers, json={"serviceId": str(theirs.id)})
    assert refused(r)
    after = desk.get(ticket)
    assert after["serviceId"] is None and after["version"] == ticket["version"]
