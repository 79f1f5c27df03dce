"""Sequencing: give entries the tenant's next numbers and chain them, under the head lock.

On PostgreSQL the database does it (`audit_append`, owned by the table owner): the app role may
not write entries or the head by hand. SQLite has no roles, so the chaining runs here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from audit import repository
from audit.chain import canonical, entry_digest


def append(conn: Connection, tenant_id: uuid.UUID, bodies: list[dict[str, Any]]) -> int:
    """Append entry bodies to the tenant's log in this transaction; returns the new size."""
    drafts = []
    for body in bodies:
        body = {**body, "tenant": str(tenant_id)}
        drafts.append({**columns(body), "body": canonical(body).decode()})
    if conn.dialect.name == "postgresql":
        return repository.append_in_database(conn, tenant_id, drafts)
    size, prev = repository.lock_head(conn, tenant_id)
    for draft in drafts:
        size += 1
        digest = entry_digest(prev, size, draft["body"].encode()).hex()
        draft.update(tenant_id=tenant_id, seq=size, prev_hash=prev, entry_hash=digest)
        prev = digest
    repository.append(conn, tenant_id, drafts)
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
