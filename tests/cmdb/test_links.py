"""Tickets, problems and catalogue services name only CIs of their own tenant."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.catalogue import permissions as catalogue
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_token
from tests.tickets.helpers import incident
from tickets import permissions as tp
from tickets.problems import permissions as pp

BODIES = {
    "/api/v1/tickets": incident(),
    "/api/v1/problems": {"title": "Slow overview", "description": "A missing index."},
    "/api/v1/services": {"code": "X1", "name": "X", "domain": "D", "subdomain": 1},
}
STAFF = [tp.REPORT, tp.READ, tp.WORK, pp.READ, pp.MANAGE, catalogue.READ, catalogue.WRITE]


def create(cmdb: Cmdb, path: str, **extra: Any) -> Any:
    token = make_token(cmdb.tenant, STAFF)
    return cmdb.client.post(path, headers=auth(token), json={**BODIES[path], **extra})


@pytest.mark.parametrize("path", BODIES)
def test_another_tenants_ci_is_refused_like_an_unknown_one(cmdb, theirs, path) -> None:
    their_ci = theirs.ci("Theirs")
    foreign = create(cmdb, path, ciId=their_ci["id"])
    unknown = create(cmdb, path, ciId=str(uuid.uuid4()))
    for r in (foreign, unknown):
        assert r.status_code == 400 and [p["name"] for p in r.json()["invalidParams"]] == ["ciId"]
    assert foreign.json()["detail"] == unknown.json()["detail"]
    mine = cmdb.ci("Mine")
    r = create(cmdb, path, ciId=mine["id"])
    assert r.status_code == 201, r.text
    assert r.json()["ciId"] == mine["id"]


@pytest.mark.parametrize("path", ["/api/v1/tickets", "/api/v1/problems", "/api/v1/services"])
def test_a_link_cannot_be_moved_to_another_tenants_ci(cmdb, theirs, path) -> None:
    token = make_token(cmdb.tenant, STAFF)
    made = create(cmdb, path, ciId=cmdb.ci("Mine")["id"]).json()
    their_ci = theirs.ci("Theirs")
    headers = auth(token, **{"If-Match": f'"{made["version"]}"'})
    r = cmdb.client.patch(f"{path}/{made['id']}", headers=headers, json={"ciId": their_ci["id"]})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "ciId"
    after = cmdb.client.get(f"{path}/{made['id']}", headers=auth(token)).json()
    assert after["ciId"] == made["ciId"] and after["version"] == made["version"]


def test_an_unknown_service_and_ci_are_named_together(cmdb) -> None:
    r = create(cmdb, "/api/v1/tickets", ciId=str(uuid.uuid4()), serviceId=str(uuid.uuid4()))
    assert sorted(p["name"] for p in r.json()["invalidParams"]) == ["ciId", "serviceId"]


def test_a_service_unlinks_its_ci_with_null(cmdb) -> None:
    token = make_token(cmdb.tenant, STAFF)
    made = create(cmdb, "/api/v1/services", ciId=cmdb.ci("Mine")["id"]).json()
    headers = auth(token, **{"If-Match": f'"{made["version"]}"'})
    r = cmdb.client.patch(f"/api/v1/services/{made['id']}", headers=headers, json={"ciId": None})
    assert r.status_code == 200 and r.json()["ciId"] is None
