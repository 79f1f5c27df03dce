"""Configuration items: attributes checked against their class at every write, natural keys,
lists, If-Match, Idempotency-Key, tenants apart, and the audit log."""

from __future__ import annotations

import uuid

from sqlmodel import select

from audit.models import AuditEntry
from core.db import unit_of_work
from tests.cmdb.helpers import APPLICATION, SERVER, Cmdb, names
from tests.cmdb.test_classes import define
from tests.factories import auth


def post(cmdb: Cmdb, body: dict, **headers: str):
    return cmdb.client.post("/api/v1/cis", headers=auth(cmdb.writer, **headers), json=body)


def storage(cmdb: Cmdb, **attributes) -> dict:
    made = define(cmdb).json()
    return {"classId": made["id"], "name": "SAN 1", "naturalKey": "san-1", "attributes": attributes}


def test_a_ci_is_recorded_with_attributes_its_class_allows(cmdb) -> None:
    body = {
        "classId": SERVER,
        "name": "app-01",
        "naturalKey": "app-01.example.nl",
        "status": "planned",
        "owner": "Platform team",
        "attributes": {
            "hostname": "app-01.example.nl",
            "osVersion": "Debian 13",
            "cpuCount": 8,
            "environment": "production",
        },
    }
    r = post(cmdb, body)
    assert r.status_code == 201, r.text
    ci = r.json()
    assert r.headers["ETag"] == '"1"' and r.headers["Location"].endswith(ci["id"])
    assert (ci["status"], ci["owner"], ci["attributes"]["cpuCount"]) == (
        "planned",
        "Platform team",
        8,
    )
    got = cmdb.get(f"/api/v1/cis/{ci['id']}").json()
    assert got["attributes"] == body["attributes"] and got["relations"] == []


def test_every_attribute_type_is_checked_and_each_bad_value_named(cmdb, theirs) -> None:
    their_server = theirs.ci("their-host", SERVER)
    app = cmdb.ci("An application")
    bad = storage(
        cmdb,
        serial="abc",  # pattern
        capacityTb=900,  # above maximum
        installedOn="2026-02-30",  # no such date
        replicated="yes",  # not a boolean
        tier="bronze",  # not a value
        host=app["id"],  # a CI, but not a server
        colour="red",  # no such attribute
    )
    r = post(cmdb, bad)
    assert names(r) == [
        f"attributes.{k}"
        for k in sorted(
            ["serial", "capacityTb", "installedOn", "replicated", "tier", "host", "colour"]
        )
    ]
    pointers = {p["pointer"] for p in r.json()["invalidParams"]}
    assert "/attributes/capacityTb" in pointers
    missing = {**bad, "attributes": {"host": their_server["id"], "capacityTb": "7"}}
    assert names(post(cmdb, missing)) == [
        "attributes.capacityTb",
        "attributes.host",
        "attributes.serial",
    ]
    too_long = {**bad, "attributes": {"serial": "A" * 13}}
    assert names(post(cmdb, too_long)) == ["attributes.serial"]
    server = cmdb.ci("Host", SERVER)
    good = {
        **bad,
        "attributes": {
            "serial": "SAN1",
            "capacityTb": 12.5,
            "installedOn": "2026-01-31",
            "replicated": True,
            "tier": "gold",
            "host": server["id"],
        },
    }
    assert post(cmdb, good).status_code == 201


def test_a_class_of_another_tenant_is_refused_like_an_unknown_one(cmdb, theirs) -> None:
    their_class = define(theirs).json()
    foreign = post(cmdb, {"classId": their_class["id"], "name": "x", "naturalKey": "x"})
    unknown = post(cmdb, {"classId": str(uuid.uuid4()), "name": "x", "naturalKey": "x"})
    assert names(foreign) == names(unknown) == ["classId"]
    assert foreign.json()["detail"] == unknown.json()["detail"]


def test_a_natural_key_is_unique_within_its_class(cmdb, theirs) -> None:
    cmdb.ci("Portal")
    again = post(cmdb, {"classId": APPLICATION, "name": "Other", "naturalKey": "portal"})
    assert again.status_code == 409
    assert (
        post(cmdb, {"classId": SERVER, "name": "Portal", "naturalKey": "portal"}).status_code == 201
    )
    theirs.ci("Portal")  # another tenant's keys are its own


def test_changes_need_if_match_and_are_checked_against_the_class(cmdb) -> None:
    ci = cmdb.ci("db-01", SERVER, attributes={"osVersion": "13"})
    path = f"/api/v1/cis/{ci['id']}"
    assert cmdb.client.patch(path, headers=auth(cmdb.writer), json={"name": "x"}).status_code == 428
    assert cmdb.patch(ci, {"name": "x"}, version=9).status_code == 412
    assert names(cmdb.patch(ci, {"attributes": {"cpuCount": 0}})) == ["attributes.cpuCount"]
    r = cmdb.patch(ci, {"attributes": {"cpuCount": 4, "osVersion": None}, "status": "retired"})
    assert r.status_code == 200, r.text
    assert r.json()["attributes"] == {"cpuCount": 4} and r.headers["ETag"] == '"2"'
    assert names(cmdb.patch(r.json(), {"name": None})) == ["name"]
    other = cmdb.ci("db-02", SERVER)
    assert cmdb.patch(other, {"naturalKey": "db-01"}).status_code == 409


def test_lists_filter_by_class_status_and_name_and_page(cmdb, theirs) -> None:
    for i in range(5):
        cmdb.ci(f"Web {i}", SERVER, status="active" if i % 2 else "retired")
    cmdb.ci("Portal")
    theirs.ci("Web theirs", SERVER)
    seen, cursor = [], None
    while True:
        params = {
            "classId": SERVER,
            "limit": 2,
            "sort": "-name",
            **({"cursor": cursor} if cursor else {}),
        }
        body = cmdb.get("/api/v1/cis", **params).json()
        seen += [c["name"] for c in body["items"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == [f"Web {i}" for i in (4, 3, 2, 1, 0)]
    active = cmdb.get("/api/v1/cis", status="active").json()["items"]
    assert sorted(c["name"] for c in active) == ["Portal", "Web 1", "Web 3"]
    found = cmdb.get("/api/v1/cis", q="EB 2").json()["items"]
    assert [c["name"] for c in found] == ["Web 2"]
    assert cmdb.get("/api/v1/cis", q="%").json()["items"] == []


def test_another_tenants_ci_is_not_found_on_every_route(cmdb, theirs) -> None:
    ci = theirs.ci("Secret app")
    base = f"/api/v1/cis/{ci['id']}"
    for path in (base, base + "/history", base + "/impact"):
        r = cmdb.get(path)
        assert r.status_code == 404, path
        assert "Secret" not in r.text
    assert cmdb.patch(ci, {"name": "Mine"}).status_code == 404
    assert theirs.get(base).json()["name"] == "Secret app"


def test_a_retried_create_with_the_same_idempotency_key_records_one_ci(cmdb) -> None:
    body = {"classId": APPLICATION, "name": "Once", "naturalKey": "once"}
    first = post(cmdb, body, **{"Idempotency-Key": "k-1"})
    again = post(cmdb, body, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    other = post(cmdb, {**body, "name": "Twice"}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422
    assert len(cmdb.get("/api/v1/cis").json()["items"]) == 1


def test_readers_read_and_only_writers_write(cmdb) -> None:
    body = {"classId": APPLICATION, "name": "x", "naturalKey": "x"}
    r = cmdb.client.post("/api/v1/cis", headers=auth(cmdb.reader), json=body)
    assert r.status_code == 403


def test_every_ci_write_is_in_the_audit_log(cmdb) -> None:
    ci = cmdb.ci("Audited", SERVER)
    cmdb.patch(ci, {"owner": "Ops"})
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        entries = list(session.exec(select(AuditEntry).where(AuditEntry.entity_id == ci["id"])))
    actions = sorted((e.entity_type, e.action) for e in entries)
    assert ("cmdb_ci", "create") in actions and ("cmdb_ci", "update") in actions


def test_numbers_beyond_range_and_text_with_nul_are_refused_not_stored(cmdb) -> None:
    body = {"classId": SERVER, "name": "big", "naturalKey": "big"}
    huge = post(cmdb, {**body, "attributes": {"cpuCount": 10**400}})
    assert names(huge) == ["attributes.cpuCount"]
    nul = post(cmdb, {**body, "attributes": {"osVersion": "13\u0000"}})
    assert names(nul) == ["attributes.osVersion"]
    assert cmdb.get("/api/v1/cis").json()["items"] == []
