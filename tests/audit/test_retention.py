"""Retention and the database's own protection of the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from audit import capture, checkpoints, retention
from audit.models import MIN_RETENTION_DAYS
from audit.service import verify_tenant
from core.db import get_engine, unit_of_work
from core.errors import InvalidInput
from core.types import utcnow
from tests.audit.helpers import entries, records
from tests.factories import make_entries, make_tenant


def _checkpoint(tenant_id) -> int:
    with unit_of_work(tenant_id) as session:
        cp = checkpoints.make_checkpoint(session, tenant_id)
    return cp.tree_size if cp else 0


def test_prune_keeps_a_log_that_verifies_from_the_anchoring_checkpoint(monkeypatch) -> None:
    tenant = make_tenant()
    eight_years_ago = utcnow() - timedelta(days=8 * 365)
    monkeypatch.setattr(capture, "utcnow", lambda: eight_years_ago)
    make_entries(tenant, 4, prefix="OLD")
    anchor = _checkpoint(tenant.id)
    monkeypatch.undo()
    make_entries(tenant, 3, prefix="NEW")
    _checkpoint(tenant.id)
    with unit_of_work(tenant.id) as session:
        deleted = retention.prune(session, tenant.id)
    assert deleted == anchor == 4
    kept = entries(tenant.id)
    assert kept[0].seq == anchor + 1
    assert kept[-1].action == "prune" and records(tenant.id)[-1]["event"]["deletedThrough"] == 4
    with unit_of_work(tenant.id, read_only=True) as session:
        verdict = verify_tenant(session, tenant.id)
    assert verdict.ok, verdict.reason
    with unit_of_work(tenant.id) as session:  # nothing more is due
        assert retention.prune(session, tenant.id) == 0


def test_recent_entries_are_never_pruned() -> None:
    tenant = make_tenant()
    make_entries(tenant, 3)
    _checkpoint(tenant.id)
    with unit_of_work(tenant.id) as session:
        assert retention.prune(session, tenant.id, now=utcnow()) == 0
    assert len(entries(tenant.id)) == 3


def test_retention_cannot_go_below_six_months() -> None:
    tenant = make_tenant()
    with pytest.raises(InvalidInput), unit_of_work(tenant.id) as session:
        retention.set_retention(session, tenant.id, days=MIN_RETENTION_DAYS - 1)
    with unit_of_work(tenant.id) as session:
        retention.set_retention(session, tenant.id, days=MIN_RETENTION_DAYS)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET action = 'x'",
        "DELETE FROM audit_entry",
        "TRUNCATE audit_entry",
        "UPDATE audit_checkpoint SET root_hash = 'x'",
        "DELETE FROM audit_checkpoint",
        "SELECT audit_prune(:t, 1)",  # too young, and no checkpoint at 1
    ],
)
def test_the_application_role_cannot_change_or_remove_entries(statement) -> None:
    tenant = make_tenant()
    make_entries(tenant, 2)
    _checkpoint(tenant.id)
    with pytest.raises(DBAPIError), get_engine().begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant.id)})
        conn.execute(text(statement), {"t": tenant.id})
    assert len(entries(tenant.id)) == 2


@pytest.mark.postgres
def test_triggers_refuse_changes_even_with_a_widened_grant(owner_engine) -> None:
    tenant = make_tenant()
    make_entries(tenant, 1)
    with pytest.raises(DBAPIError, match="append-only"), owner_engine.begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant.id)})
        conn.execute(text("UPDATE audit_entry SET action = 'x'"))
