"""The service catalogue over the API: the shared conventions applied to a real resource."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest
from sqlmodel import select

from core.api.idempotency import IdempotencyRecord, hold
from core.db import unit_of_work
from services.catalogue import permissions
from services.catalogue.models import CatalogueEntry
from tests.factories import auth, make_entries, make_tenant, make_token

NEW = {"code": "E14-MAIL", "name": "E-mail", "domain": "E", "subdomain": 14}


@pytest.fixture
def token() -> str:
    return make_token(make_tenant())


def test_create_then_read_back(client, token) -> None:
    r = client.post("/api/v1/services", headers=auth(token), json=NEW)
    assert r.status_code == 201
    created = r.json()
    assert (
        created["code"] == "E14-MAIL" and created["version"] == 1 and created["status"] == "active"
    )
    assert r.headers["location"] == f"/api/v1/services/{created['id']}"
    got = client.get(r.headers["location"], headers=auth(token))
    assert got.json() == created and got.headers["etag"] == '"1"'


def test_duplicate_code_is_409_and_creates_nothing(client, token) -> None:
    assert client.post("/api/v1/services", headers=auth(token), json=NEW).status_code == 201
    r = client.post("/api/v1/services", headers=auth(token), json={**NEW, "name": "Other"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert len(client.get("/api/v1/services", headers=auth(token)).json()["items"]) == 1


def test_same_code_is_fine_in_another_tenant(client, token) -> None:
    other = make_token(make_tenant())
    assert client.post("/api/v1/services", headers=auth(token), json=NEW).status_code == 201
    assert client.post("/api/v1/services", headers=auth(other), json=NEW).status_code == 201


def test_update_needs_if_match_and_refuses_a_stale_one(client, token) -> None:
    created = client.post("/api/v1/services", headers=auth(token), json=NEW).json()
    url = f"/api/v1/services/{created['id']}"
    assert client.patch(url, headers=auth(token), json={"name": "Mail"}).status_code == 428
    first = client.patch(url, headers=auth(token, **{"If-Match": '"1"'}), json={"name": "Mail"})
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    # A second agent still holding version 1 must not overwrite the first one's change.
    second = client.patch(url, headers=auth(token, **{"If-Match": '"1"'}), json={"name": "Post"})
    assert second.status_code == 412 and second.json()["currentEtag"] == '"2"'
    assert client.get(url, headers=auth(token)).json()["name"] == "Mail"


def test_update_refuses_a_wildcard_or_weak_if_match(client, token) -> None:
    created = client.post("/api/v1/services", headers=auth(token), json=NEW).json()
    url = f"/api/v1/services/{created['id']}"
    # `*` matches any version, so it would let a stale writer overwrite a newer change.
    star = client.patch(url, headers=auth(token, **{"If-Match": "*"}), json={"name": "Mail"})
    assert star.status_code == 428 and "*" in star.json()["detail"]
    # A weak tag never matches under strong comparison, even one naming the current version.
    weak = client.patch(url, headers=auth(token, **{"If-Match": 'W/"1"'}), json={"name": "Mail"})
    assert weak.status_code == 412 and "weak" in weak.json()["detail"].lower()
    assert weak.json()["currentEtag"] == '"1"'
    assert client.get(url, headers=auth(token)).json()["name"] == "E-mail"


def test_if_match_is_documented_as_required_where_it_is_demanded(client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    if_match = {
        (method, path): param["required"]
        for path, item in doc["paths"].items()
        for method, op in item.items()
        for param in op.get("parameters", [])
        if param["name"] == "If-Match"
    }
    assert if_match[("patch", "/services/{serviceId}")] is True
    assert if_match[("put", "/mailbox/address")] is False  # the first address needs none
    assert {k for k, required in if_match.items() if not required} == {("put", "/mailbox/address")}


def test_update_refuses_null_for_required_fields(client, token) -> None:
    created = client.post("/api/v1/services", headers=auth(token), json=NEW).json()
    r = client.patch(
        f"/api/v1/services/{created['id']}",
        headers=auth(token, **{"If-Match": '"1"'}),
        json={"name": None},
    )
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "name"
    # Invalid input is named before any version check, every field at once.
    stale = client.patch(
        f"/api/v1/services/{created['id']}",
        headers=auth(token, **{"If-Match": '"7"'}),
        json={"name": None, "status": None},
    )
    assert stale.status_code == 400
    assert [p["name"] for p in stale.json()["invalidParams"]] == ["name", "status"]


def test_missing_or_bad_token_is_401(client) -> None:
    assert client.get("/api/v1/services").status_code == 401
    assert client.get("/api/v1/services", headers=auth("rgk_nonsense")).status_code == 401
    real = make_token(make_tenant())
    forged = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    assert client.get("/api/v1/services", headers=auth(forged)).status_code == 401


def test_token_without_permission_is_403(client) -> None:
    reader = make_token(make_tenant(), [permissions.READ])
    assert client.get("/api/v1/services", headers=auth(reader)).status_code == 200
    r = client.post("/api/v1/services", headers=auth(reader), json=NEW)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    nothing = make_token(make_tenant(), [])
    assert client.get("/api/v1/services", headers=auth(nothing)).status_code == 403


@pytest.mark.parametrize("sort", ["name", "-name", "code", "-code", "createdAt", "-createdAt"])
def test_cursor_paging_visits_every_row_once_in_order(client, sort) -> None:
    tenant = make_tenant()
    make_entries(tenant, 57)
    make_entries(make_tenant(), 5, "OTHER")  # another tenant's rows never appear
    token = make_token(tenant)
    seen, cursor = [], None
    while True:
        url = f"/api/v1/services?limit=20&sort={sort}" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=auth(token)).json()
        seen.extend(page["items"])
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert len(seen) == 57 and len({s["id"] for s in seen}) == 57
    key = sort.lstrip("-")
    keys = [(s[key], s["id"]) for s in seen]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_filters_and_bad_cursor(client, token) -> None:
    client.post("/api/v1/services", headers=auth(token), json=NEW)
    client.post(
        "/api/v1/services", headers=auth(token), json={**NEW, "code": "B3-DESK", "domain": "B"}
    )
    only_b = client.get("/api/v1/services?domain=B", headers=auth(token)).json()["items"]
    assert [s["code"] for s in only_b] == ["B3-DESK"]
    r = client.get("/api/v1/services?cursor=!!notacursor", headers=auth(token))
    assert r.status_code == 400


def test_idempotency_key_replays_the_first_answer(client, token) -> None:
    headers = auth(token, **{"Idempotency-Key": "create-mail-1"})
    first = client.post("/api/v1/services", headers=headers, json=NEW)
    again = client.post("/api/v1/services", headers=headers, json=NEW)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert len(client.get("/api/v1/services", headers=auth(token)).json()["items"]) == 1


def test_idempotency_key_reused_with_another_body_is_422(client, token) -> None:
    headers = auth(token, **{"Idempotency-Key": "k-2"})
    client.post("/api/v1/services", headers=headers, json=NEW)
    r = client.post("/api/v1/services", headers=headers, json={**NEW, "name": "Different"})
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_idempotency_key_while_first_request_runs_is_409(client) -> None:
    tenant = make_tenant()
    token = make_token(tenant)
    headers = auth(token, **{"Idempotency-Key": "k-3"})
    actor = _actor_of(client, token)
    # The first request still works: its transaction holds the key.
    with unit_of_work(tenant.id) as session:
        assert hold(session, tenant.id, actor, "k-3")
        assert client.post("/api/v1/services", headers=headers, json=NEW).status_code == 409
    assert client.post("/api/v1/services", headers=headers, json=NEW).status_code == 201


def test_a_key_whose_request_died_is_free_again_at_once(client) -> None:
    """A process killed mid-request leaves its reservation without an answer; the key must
    not answer 409 until some timeout: nobody holds it, so the retry takes it over."""
    tenant = make_tenant()
    token = make_token(tenant)
    actor = _actor_of(client, token)
    body = json.dumps(NEW).encode()
    request_hash = hashlib.sha256(
        json.dumps(["POST", "/api/v1/services"]).encode() + b"\0" + body
    ).hexdigest()
    with unit_of_work(tenant.id) as session:  # what the dead request left behind
        session.add(IdempotencyRecord(actor_id=actor, key="k-dead", request_hash=request_hash))
    headers = {**auth(token, **{"Idempotency-Key": "k-dead"}), "Content-Type": "application/json"}
    first = client.post("/api/v1/services", headers=headers, content=body)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/services", headers=headers, content=body)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    items = client.get("/api/v1/services", headers=auth(token)).json()["items"]
    assert [i["code"] for i in items].count(NEW["code"]) == 1


def _actor_of(client, token: str) -> uuid.UUID:
    """The API key's actor id, as the idempotency records store it."""
    headers = auth(token, **{"Idempotency-Key": "who-am-i"})
    client.post("/api/v1/services", headers=headers, json={**NEW, "code": "WHO"})
    tenant_id = make_tenant_id(token)
    with unit_of_work(tenant_id) as session:
        record = session.exec(select(IdempotencyRecord)).one()
        session.delete(record)
        return record.actor_id


def test_failed_create_releases_the_key(client, token) -> None:
    existing = client.post("/api/v1/services", headers=auth(token), json=NEW).json()
    headers = auth(token, **{"Idempotency-Key": "k-4"})
    assert client.post("/api/v1/services", headers=headers, json=NEW).status_code == 409
    # The conflict was not stored as the key's answer: once the cause is gone, a retry works.
    tenant_id = make_tenant_id(token)
    with unit_of_work(tenant_id) as session:
        session.get(CatalogueEntry, (tenant_id, uuid.UUID(existing["id"]))).code = "RENAMED"
    assert client.post("/api/v1/services", headers=headers, json=NEW).status_code == 201


def make_tenant_id(token: str) -> uuid.UUID:
    return uuid.UUID(hex=token.split("_")[1])


def test_stored_answers_are_forgotten_after_a_day(client) -> None:
    from datetime import timedelta

    from core.api.idempotency import prune
    from core.types import utcnow

    tenant = make_tenant()
    token = make_token(tenant)
    client.post("/api/v1/services", headers=auth(token, **{"Idempotency-Key": "old"}), json=NEW)
    fresh = {**NEW, "code": "E14-NEW"}
    client.post("/api/v1/services", headers=auth(token, **{"Idempotency-Key": "new"}), json=fresh)
    with unit_of_work(tenant.id) as session:
        old = session.exec(select(IdempotencyRecord).where(IdempotencyRecord.key == "old")).one()
        old.created_at = utcnow() - timedelta(hours=25)
    assert prune(tenant.id) == 1
    with unit_of_work(tenant.id) as session:
        assert [r.key for r in session.exec(select(IdempotencyRecord))] == ["new"]
