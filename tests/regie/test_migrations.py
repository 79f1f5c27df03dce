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
