"""Migrations run from empty and back one step, on the database under test."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from core.db import make_engine
from core.settings import Settings, get_settings
from regie.migrate import alembic_config, downgrade, upgrade
from tests.conftest import OWNER_ROLE, TEST_PG, TMP


@pytest.fixture
def empty_settings():
    """Settings for a brand-new empty database of the same kind as the one under test."""
    if not TEST_PG:
        yield Settings(database_url=f"sqlite:///{TMP}/mig-{uuid.uuid4().hex}.db")
        return
    import psycopg

    name = f"regie_mig_{uuid.uuid4().hex[:8]}"
    admin = make_url(TEST_PG).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER {OWNER_ROLE}")
    current = get_settings()
    url = make_url(current.database_url).set(database=name).render_as_string(False)
    owner = make_url(current.owner_url).set(database=name).render_as_string(False)
    yield Settings(database_url=url, database_owner_url=owner)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


def tables(settings: Settings) -> set[str]:
    engine = make_engine(settings.owner_url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def current_revision(settings: Settings) -> str | None:
    engine = make_engine(settings.owner_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def test_upgrade_from_empty_downgrade_one_step_and_upgrade_again(empty_settings) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_settings))
    head = script.get_current_head()
    previous = script.get_revision(head).down_revision
    upgrade(empty_settings)
    at_head = tables(empty_settings)
    assert {"core_tenant", "services_catalogue_entry", "core_outbox_message"} <= at_head
    assert current_revision(empty_settings) == head
    downgrade(empty_settings, "-1")
    assert current_revision(empty_settings) == previous
    assert tables(empty_settings) <= at_head
    upgrade(empty_settings)
    assert tables(empty_settings) == at_head
    downgrade(empty_settings, "base")
    assert tables(empty_settings) == set()


def test_models_and_migrations_agree() -> None:
    """A model change without its migration fails here (alembic check)."""
    command.check(alembic_config(get_settings()))


@pytest.mark.postgres
def test_migrations_run_as_owner_and_grant_only_dml_to_app(owner_engine) -> None:
    app_role = make_url(get_settings().database_url).username
    with owner_engine.connect() as conn:
        privileges = (
            conn.execute(
                text(
                    "SELECT DISTINCT privilege_type FROM information_schema.role_table_grants "
                    "WHERE grantee = :r"
                ),
                {"r": app_role},
            )
            .scalars()
            .all()
        )
        owner = conn.execute(
            text("SELECT tableowner FROM pg_tables WHERE tablename = 'core_tenant'")
        ).scalar()
    assert set(privileges) <= {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert owner == OWNER_ROLE != app_role
    assert os.environ["REGIE_DATABASE_OWNER_URL"] != os.environ["REGIE_DATABASE_URL"]


def test_0040_fills_each_stored_clock_with_its_decided_moment_and_its_rejection(
    empty_settings,
) -> None:
    """Clocks stored before 0040 count in the right month and stay out when rejected."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import Table

    from core.tenancy import Tenant
    from services.kpi.models import TicketFactsRow
    from services.sla.models import Clock

    upgrade(empty_settings, "0039")
    engine = make_engine(empty_settings.owner_url)
    old_clock = Table(
        "services_sla_clock",
        Clock.metadata.__class__(),
        *[c._copy() for c in Clock.__table__.c if c.name not in ("decided_at", "rejected")],
    )
    tenant, t0 = uuid.uuid4(), datetime(2026, 11, 2, 9, tzinfo=UTC)
    tickets = {"met": uuid.uuid4(), "missed": uuid.uuid4(), "running": uuid.uuid4()}
    tickets["rejected"] = uuid.uuid4()
    hour = timedelta(hours=1)
    # (breached at, stopped at) of each ticket's one clock, and the moment it was decided.
    clocks = {
        "met": (None, t0 + hour, t0 + hour),
        "missed": (t0 + 2 * hour, t0 + 5 * hour, t0 + 2 * hour),
        "running": (None, None, None),
        "rejected": (t0 + 3 * hour, None, t0 + 3 * hour),
    }
    with engine.begin() as conn:
        if TEST_PG:
            conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant)})
        conn.execute(Tenant.__table__.insert(), [{"id": tenant, "slug": "fill", "name": "Fill"}])
        for name, ticket in tickets.items():
            conn.execute(
                TicketFactsRow.__table__.insert(),
                [
                    {
                        "tenant_id": tenant,
                        "ticket_id": ticket,
                        "number": f"FIL-{name}",
                        "type": "incident",
                        "priority": "high",
                        "status": "rejected" if name == "rejected" else "resolved",
                        "opened_at": t0,
                        "rejected": name == "rejected",
                        "statuses": [],
                        "as_of": t0,
                    }
                ],
            )
            breached, stopped, _ = clocks[name]
            conn.execute(
                old_clock.insert(),
                [
                    {
                        "tenant_id": tenant,
                        "ticket_id": ticket,
                        "kind": "response",
                        "priority": "high",
                        "state": "stopped" if stopped else "running",
                        "elapsed_seconds": 60.0,
                        "target_seconds": 7200.0,
                        "remaining_seconds": 0.0,
                        "breached_at": breached,
                        "stopped_at": stopped,
                        "as_of": t0,
                    }
                ],
            )
    upgrade(empty_settings)
    with engine.begin() as conn:
        if TEST_PG:
            conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant)})
        rows = conn.execute(
            Clock.__table__.select().where(Clock.__table__.c.tenant_id == tenant)
        ).all()
    engine.dispose()
    filled = {row.ticket_id: (row.decided_at, row.rejected) for row in rows}
    assert filled == {
        ticket: (clocks[name][2], name == "rejected") for name, ticket in tickets.items()
    }
