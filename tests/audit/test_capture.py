"""Capture at flush: creates, updates and deletes of audited tables become entries in the
same transaction, with who, from where, and field-level before/after."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from audit import sequencer
from audit.capture import MASK
from core.db import unit_of_work
from core.identity.models import ApiKey
from services.catalogue.models import CatalogueEntry
from tests.audit.helpers import NEW, entries, records
from tests.factories import auth, make_tenant, make_token


def test_create_and_update_through_the_api_are_recorded_with_context(client) -> None:
    tenant = make_tenant()
    token = make_token(tenant)
    key_id = token.split("_")[2]
    headers = auth(token, **{"X-Request-ID": "req-create-0001", "User-Agent": "probe/1.0"})
    created = client.post("/api/v1/services", headers=headers, json=NEW).json()
    client.patch(
        f"/api/v1/services/{created['id']}",
        headers=auth(token, **{"If-Match": '"1"', "X-Request-ID": "req-update-0001"}),
        json={"name": "Mail"},
    )
    create, update = records(tenant.id, "services_catalogue_entry")
    assert create["action"] == "create" and create["entity"]["id"] == created["id"]
    assert create["changes"]["code"] == {"before": None, "after": "E14-MAIL"}
    assert create["actor"] == {"kind": "api_key", "id": str(uuid.UUID(hex=key_id))}
    assert create["context"]["requestId"] == "req-create-0001"
    assert create["context"]["userAgent"] == "probe/1.0"
    assert create["context"]["clientAddress"] == "testclient"
    assert create["tenant"] == str(tenant.id)
    assert update["action"] == "update" and update["context"]["requestId"] == "req-update-0001"
    assert update["changes"]["name"] == {"before": "E-mail", "after": "Mail"}
    assert "code" not in update["changes"]  # only what changed


def test_sequence_numbers_are_per_tenant_and_gap_free(client) -> None:
    a, b = make_tenant(), make_tenant()
    ta, tb = make_token(a), make_token(b)
    for i in range(3):
        for token in (ta, tb):
            client.post("/api/v1/services", headers=auth(token), json={**NEW, "code": f"X-{i}"})
    for tenant in (a, b):
        seqs = [e.seq for e in entries(tenant.id)]
        assert seqs == list(range(1, len(seqs) + 1)) and len(seqs) >= 4
        assert all(e.tenant_id == tenant.id for e in entries(tenant.id))


def test_api_key_secret_hash_is_masked_and_delete_is_recorded() -> None:
    tenant = make_tenant()
    make_token(tenant)
    with unit_of_work(tenant.id) as session:
        key = session.exec(select(ApiKey)).one()
        session.delete(key)
    create, delete = (
        records(tenant.id, "core_api_key")[:1] + records(tenant.id, "core_api_key")[-1:]
    )
    assert create["changes"]["secret_hash"] == {"before": None, "after": MASK}
    assert delete["action"] == "delete"
    assert delete["changes"]["secret_hash"] == {"before": MASK, "after": None}
    assert key.secret_hash not in "".join(e.body for e in entries(tenant.id))


def test_configured_sensitive_fields_are_masked(monkeypatch) -> None:
    from core.settings import get_settings

    monkeypatch.setattr(
        get_settings(), "audit_masked_fields", frozenset({"services_catalogue_entry.description"})
    )
    tenant = make_tenant()
    with unit_of_work(tenant.id) as session:
        session.add(
            CatalogueEntry(code="P-1", name="x", description="BSN 123", domain="B", subdomain=1)
        )
    (create,) = records(tenant.id, "services_catalogue_entry")
    assert create["changes"]["description"]["after"] == MASK
    assert "BSN" not in entries(tenant.id)[-1].body


def test_jobs_act_as_the_system() -> None:
    tenant = make_tenant()
    with unit_of_work(tenant.id) as session:
        session.add(CatalogueEntry(code="J-1", name="job", domain="B", subdomain=1))
    (create,) = records(tenant.id, "services_catalogue_entry")
    assert create["actor"] == {"kind": "system", "id": "system"}


def test_a_failing_capture_fails_the_change(client, monkeypatch) -> None:
    tenant = make_tenant()
    token = make_token(tenant)

    def broken(*_args, **_kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(sequencer, "append", broken)
    r = client.post("/api/v1/services", headers=auth(token), json=NEW)
    assert r.status_code == 500
    monkeypatch.undo()
    with unit_of_work(tenant.id, read_only=True) as session:
        assert session.exec(select(CatalogueEntry)).first() is None
    assert all(e.entity_type != "services_catalogue_entry" for e in entries(tenant.id))


def test_a_rolled_back_change_leaves_no_entry() -> None:
    tenant = make_tenant()
    with pytest.raises(RuntimeError), unit_of_work(tenant.id) as session:
        session.add(CatalogueEntry(code="R-1", name="rolled back", domain="B", subdomain=1))
        session.flush()
        raise RuntimeError("the request failed after the flush")
    assert entries(tenant.id) == []
