"""Sequencing: give entries the tenant's next numbers and chain them, under the head lock."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from audit import repository
from audit.chain import canonical, entry_digest


def append(conn: Connection, tenant_id: uuid.UUID, bodies: list[dict[str, Any]]) -> int:
    """Append entry bodies to the tenant's log in this transaction; returns the new size."""
    size, prev = repository.lock_head(conn, tenant_id)
    rows = []
    for body in bodies:
        size += 1
        body = {**body, "tenant": str(tenant_id)}
        raw = canonical(body)
        digest = entry_digest(prev, size, raw).hex()
        rows.append(_row(tenant_id, size, body, raw, prev, digest))
        prev = digest
    repository.append(conn, tenant_id, rows)
    return size


def columns(body: dict[str, Any]) -> dict[str, Any]:
    """The columns that repeat body fields for filtering; verification checks they agree."""
    return {
        "occurred_at": datetime.fromisoformat(body["time"]),
        "action": body["action"],
        "entity_type": body["entity"]["type"][:100],
        "entity_id": body["entity"]["id"][:200],
        "actor_kind": body["actor"]["kind"][:40],
        "actor_id": body["actor"]["id"][:200],
    }


def _row(
    tenant_id: uuid.UUID, seq: int, body: dict[str, Any], raw: bytes, prev: str, digest: str
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "seq": seq,
        **columns(body),
        "body": raw.decode(),
        "prev_hash": prev,
        "entry_hash": digest,
    }
