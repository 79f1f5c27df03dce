"""Row-level security holds for every change table on PostgreSQL: raw SQL in one tenant's
transaction sees none of another's changes, history, votes or numbers."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import new_session, unit_of_work
from tests.changes.helpers import Desk
from tests.factories import make_tenant

TABLES = (
    "changes_change",
    "changes_event",
    "changes_settings",
    "changes_template",
    "changes_approval_rule",
    "changes_vote",
    "changes_rollback",
)


@pytest.mark.postgres
def test_raw_sql_sees_only_the_tenants_own_changes(client) -> None:
    a, b = Desk(client, make_tenant()), Desk(client, make_tenant())
    a.create(), a.create()
    b.move(b.create(), "cancelled", reason="Not needed")
    with unit_of_work(a.tenant.id, read_only=True) as session:
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    assert counts["changes_change"] == 2 and counts["changes_event"] == 2
    with unit_of_work(None, read_only=True) as session:
        for table in TABLES:
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


@pytest.mark.postgres
def test_a_number_is_taken_only_for_the_session_tenant(client) -> None:
    a, b = make_tenant(), make_tenant()
    session = new_session(a.id)
    with pytest.raises(DBAPIError, match="only the session tenant"):
        session.execute(text("SELECT changes_next_number(:t)"), {"t": str(b.id)})
    session.rollback()
    session.close()


@pytest.mark.postgres
def test_raw_sql_sees_only_the_tenants_own_releases(client) -> None:
    from tests.changes.test_releases import Lane

    a, b = Lane(Desk(client, make_tenant())), Lane(Desk(client, make_tenant()))
    mine = a.create([]).json()
    a.up_to(mine, "development")
    theirs = b.create([]).json()
    b.up_to(theirs, "test")
    tables = ("changes_release", "changes_deployment", "changes_release_sign_off")
    with unit_of_work(a.desk.tenant.id, read_only=True) as session:
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}
    assert counts == {"changes_release": 1, "changes_deployment": 1, "changes_release_sign_off": 0}
    with unit_of_work(None, read_only=True) as session:
        for table in tables:
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
