"""Helpers for the audit tests: tokens with audit permissions, stored entries, tampering."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlmodel import col, select

from audit import permissions as audit
from audit.models import AuditEntry
from core.db import unit_of_work
from core.tenancy import Tenant
from tests.factories import ALL_CATALOGUE, auth, make_token

AUDITOR = [*ALL_CATALOGUE, audit.READ, audit.MANAGE, audit.WITNESS]
NEW = {"code": "E14-MAIL", "name": "E-mail", "domain": "E", "subdomain": 14}


def auditor_token(tenant: Tenant) -> str:
    return make_token(tenant, AUDITOR)


def sign_now(client: Any, token: str) -> dict[str, Any]:
    """POST /audit/checkpoints, then what the worker does with the request: the checkpoint
    signed (the API never signs itself)."""
    import audit.tasks  # noqa: F401  (registers the worker's handler of the request)
    from core.outbox.service import drain

    r = client.post("/api/v1/audit/checkpoints", headers=auth(token))
    assert r.status_code in (200, 202), r.text
    if r.status_code == 202:
        assert r.json()["status"] == "pending"
        assert drain(uuid.UUID(hex=token.split("_")[1])) >= 1
    latest = client.get("/api/v1/audit/checkpoints?sort=-treeSize&limit=1", headers=auth(token))
    cp = latest.json()["items"][0]
    assert cp["treeSize"] >= r.json()["treeSize"]
    return cp


def entries(tenant_id: uuid.UUID) -> list[AuditEntry]:
    with unit_of_work(tenant_id, read_only=True) as session:
        return list(session.exec(select(AuditEntry).order_by(col(AuditEntry.seq))))


def records(tenant_id: uuid.UUID, entity_type: str | None = None) -> list[dict[str, Any]]:
    return [
        json.loads(e.body)
        for e in entries(tenant_id)
        if entity_type is None or e.entity_type == entity_type
    ]


def create_services(client: Any, token: str, count: int) -> list[dict[str, Any]]:
    out = []
    for i in range(count):
        body = {**NEW, "code": f"S-{i:03d}", "name": f"Service {i}"}
        r = client.post("/api/v1/services", headers=auth(token), json=body)
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out


@contextmanager
def tampering(owner_engine: Engine, tenant_id: uuid.UUID) -> Iterator[Connection]:
    """A connection as the table owner, in the tenant's scope, with the audit triggers off:
    what an administrator with full database access could do."""
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            for table in ("audit_entry", "audit_checkpoint"):
                conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield conn
        if conn.dialect.name == "postgresql":
            for table in ("audit_entry", "audit_checkpoint"):
                conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
