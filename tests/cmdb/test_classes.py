"""CI classes by configuration: built-ins every tenant sees, and a tenant's own typed classes."""

from __future__ import annotations

import uuid

from tests.cmdb.helpers import SERVER, Cmdb, names
from tests.factories import auth

STORAGE = {
    "key": "storage-array",
    "name": "Storage array",
    "attributes": [
        {
            "key": "serial",
            "label": "Serial",
            "type": "string",
            "required": True,
            "maxLength": 12,
            "pattern": "[A-Z0-9]+",
        },
        {"key": "capacityTb", "label": "Capacity", "type": "number", "minimum": 1, "maximum": 500},
        {"key": "installedOn", "label": "Installed", "type": "date"},
        {"key": "replicated", "label": "Replicated", "type": "boolean"},
        {"key": "tier", "label": "Tier", "type": "enum", "values": ["gold", "silver"]},
        {"key": "host", "label": "Host", "type": "reference", "referenceClassId": SERVER},
    ],
}


def define(cmdb: Cmdb, body: dict | None = None):
    return cmdb.client.post(
        "/api/v1/ci-classes", headers=auth(cmdb.configurer), json=body or STORAGE
    )


def test_every_tenant_sees_the_builtin_classes_without_seeding(cmdb, theirs) -> None:
    for side in (cmdb, theirs):
        r = side.get("/api/v1/ci-classes", limit=200)
        assert r.status_code == 200, r.text
        keys = {c["key"] for c in r.json()["items"] if c["builtin"]}
        assert keys == {
            "business-service",
            "application",
            "component",
            "server",
            "database",
            "network",
            "saas-service",
            "interface",
            "document",
        }
    server = cmdb.get(f"/api/v1/ci-classes/{SERVER}").json()
    assert server["key"] == "server" and server["builtin"] is True
    assert "osVersion" in {a["key"] for a in server["attributes"]}


def test_a_tenant_defines_its_own_class_which_others_do_not_see(cmdb, theirs) -> None:
    r = define(cmdb)
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["ETag"] == '"1"' and made["builtin"] is False
    assert [a["key"] for a in made["attributes"]][:2] == ["serial", "capacityTb"]
    assert cmdb.get(f"/api/v1/ci-classes/{made['id']}").status_code == 200
    hidden = theirs.get(f"/api/v1/ci-classes/{made['id']}")
    unknown = theirs.get(f"/api/v1/ci-classes/{uuid.uuid4()}")
    assert hidden.status_code == unknown.status_code == 404
    assert "storage-array" not in {
        c["key"] for c in theirs.get("/api/v1/ci-classes", limit=200).json()["items"]
    }
    assert define(theirs).status_code == 201  # keys are per tenant


def test_classes_page_by_key(cmdb) -> None:
    define(cmdb)
    seen, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        body = cmdb.get("/api/v1/ci-classes", **params).json()
        seen += [c["key"] for c in body["items"]]
        cursor = body["nextCursor"]
        if not cursor:
            break
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 10


def test_a_class_key_is_unique_and_never_a_builtin_key(cmdb) -> None:
    assert define(cmdb).status_code == 201
    assert define(cmdb).status_code == 409
    assert define(cmdb, {"key": "server", "name": "Mine"}).status_code == 409


def test_bad_attribute_definitions_are_named(cmdb) -> None:
    body = {
        "key": "odd",
        "name": "Odd",
        "attributes": [
            {"key": "a", "label": "A", "type": "enum"},
            {"key": "b", "label": "B", "type": "number", "maxLength": 3},
            {"key": "c", "label": "C", "type": "string", "pattern": "("},
            {"key": "Not-camel", "label": "D", "type": "string"},
        ],
    }
    r = define(cmdb, body)
    pointers = {p["pointer"] for p in r.json()["invalidParams"]}
    assert r.status_code == 400
    assert {
        "/attributes/0",
        "/attributes/1",
        "/attributes/2/pattern",
        "/attributes/3/key",
    } <= pointers
    twice = {"key": "twice", "name": "T", "attributes": [STORAGE["attributes"][1]] * 2}
    assert define(cmdb, twice).status_code == 400
    foreign = {
        "key": "ref",
        "name": "R",
        "attributes": [
            {"key": "x", "label": "X", "type": "reference", "referenceClassId": str(uuid.uuid4())}
        ],
    }
    assert names(define(cmdb, foreign)) == ["attributes[0].referenceClassId"]


def test_changing_a_class_needs_if_match_and_builtins_are_fixed(cmdb, theirs) -> None:
    made = define(cmdb).json()
    path = f"/api/v1/ci-classes/{made['id']}"
    change = {"name": "Storage"}
    assert cmdb.client.patch(path, headers=auth(cmdb.configurer), json=change).status_code == 428
    stale = auth(cmdb.configurer, **{"If-Match": '"7"'})
    assert cmdb.client.patch(path, headers=stale, json=change).status_code == 412
    fresh = auth(cmdb.configurer, **{"If-Match": '"1"'})
    foreign = auth(theirs.configurer, **{"If-Match": '"1"'})
    assert cmdb.client.patch(path, headers=foreign, json=change).status_code == 404
    r = cmdb.client.patch(path, headers=fresh, json=change)
    assert r.status_code == 200 and r.json()["name"] == "Storage" and r.headers["ETag"] == '"2"'
    builtin = cmdb.client.patch(f"/api/v1/ci-classes/{SERVER}", headers=fresh, json=change)
    assert builtin.status_code == 409


def test_only_configurers_define_classes(cmdb) -> None:
    r = cmdb.client.post("/api/v1/ci-classes", headers=auth(cmdb.writer), json=STORAGE)
    assert r.status_code == 403


def test_a_reference_may_not_demand_another_tenants_class(cmdb, theirs) -> None:
    their_class = define(theirs).json()
    attribute = {
        "key": "x",
        "label": "X",
        "type": "reference",
        "referenceClassId": their_class["id"],
    }
    r = define(cmdb, {"key": "ref", "name": "R", "attributes": [attribute]})
    assert names(r) == ["attributes[0].referenceClassId"]
