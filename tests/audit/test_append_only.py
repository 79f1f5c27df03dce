"""The application role appends to the log only through the database's own append function:
it can neither write entries by hand nor move, rewind or remove a tenant's head."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from audit import checkpoints
from audit.chain import canonical, entry_digest
from audit.service import verify_tenant
from core.db import get_engine, unit_of_work
from tests.audit.helpers import entries
from tests.factories import make_entries, make_tenant

pytestmark = pytest.mark.postgres


def _forged_entry(conn, tenant_id: uuid.UUID) -> None:
    """A correctly chained entry after the head, then the head moved past it."""
    size, prev = conn.execute(
        text("SELECT size, last_hash FROM audit_head WHERE tenant_id = :t"), {"t": tenant_id}
    ).one()
    body = canonical(
        {
            "action": "delete",
            "actor": {"id": "nobody", "kind": "system"},
            "changes": {},
            "context": {},
            "entity": {"id": "x", "type": "services_catalogue_entry"},
            "tenant": str(tenant_id),
            "time": "2026-12-01T00:00:00+00:00",
        }
    )
    digest = entry_digest(prev, size + 1, body).hex()
    conn.execute(
        text(
            "INSERT INTO audit_entry (tenant_id, seq, occurred_at, action, entity_type, "
            "entity_id, actor_kind, actor_id, body, prev_hash, entry_hash) VALUES (:t, :s, "
            "'2026-12-01T00:00:00+00:00', 'delete', 'services_catalogue_entry', 'x', 'system', "
            "'nobody', :b, :p, :h)"
        ),
        {"t": tenant_id, "s": size + 1, "b": body.decode(), "p": prev, "h": digest},
    )
    conn.execute(
        text("UPDATE audit_head SET size = :s, last_hash = :h WHERE tenant_id = :t"),
        {"t": tenant_id, "s": size + 1, "h": digest},
    )


TAMPERS = {
    "append a forged entry and advance the head": _forged_entry,
    "rewind the head": lambda conn, t: conn.execute(
        text("UPDATE audit_head SET size = 1 WHERE tenant_id = :t"), {"t": t}
    ),
    "delete the head": lambda conn, t: conn.execute(
        text("DELETE FROM audit_head WHERE tenant_id = :t"), {"t": t}
    ),
    "insert a second head": lambda conn, t: conn.execute(
        text(
            "INSERT INTO audit_head (tenant_id, size, last_hash, retention_days) "
            "VALUES (:t, 0, :g, 2557) ON CONFLICT (tenant_id) DO UPDATE SET size = 0"
        ),
        {"t": t, "g": "0" * 64},
    ),
    "update an entry": lambda conn, t: conn.execute(
        text("UPDATE audit_entry SET action = 'read' WHERE tenant_id = :t"), {"t": t}
    ),
    "delete an entry": lambda conn, t: conn.execute(
        text("DELETE FROM audit_entry WHERE tenant_id = :t AND seq = 2"), {"t": t}
    ),
}


@pytest.mark.parametrize("how", list(TAMPERS))
def test_the_application_role_cannot_write_the_log_or_its_head(how) -> None:
    tenant = make_tenant()
    make_entries(tenant, 2)
    refused = r"permission denied|append-only"
    with pytest.raises(DBAPIError, match=refused), get_engine().begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant.id)})
        TAMPERS[how](conn, tenant.id)
    # Audited writes still work, and the log is whole.
    make_entries(tenant, 1, prefix="AFTER")
    assert [e.seq for e in entries(tenant.id)] == [1, 2, 3]
    with unit_of_work(tenant.id) as session:
        checkpoints.make_checkpoint(session, tenant.id)
    with unit_of_work(tenant.id, read_only=True) as session:
        verdict = verify_tenant(session, tenant.id)
    assert verdict.ok and verdict.entries == 3, verdict


def test_the_append_function_refuses_another_tenants_log() -> None:
    mine, other = make_tenant(), make_tenant()
    make_entries(other, 1)
    with pytest.raises(DBAPIError, match="session tenant"), get_engine().begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(mine.id)})
        conn.execute(
            text("SELECT audit_append(:t, CAST(:rows AS jsonb))"), {"t": other.id, "rows": "[]"}
        )
    assert len(entries(other.id)) == 1
