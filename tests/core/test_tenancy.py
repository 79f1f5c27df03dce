"""Clients are strictly separated: by the session layer everywhere, by PostgreSQL itself too."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import col, select

from core.db import (
    STATEMENT_TIMEOUT,
    get_engine,
    make_engine,
    new_session,
    reading_tenants,
    unit_of_work,
)
from core.errors import CrossTenantWrite
from core.settings import get_settings
from regie.tenant_exit.tables import DERIVED
from services.catalogue.models import CatalogueEntry, ServiceDomain
from tests.factories import make_entries, make_tenant


def test_query_without_where_returns_only_current_tenant_rows() -> None:
    a, b = make_tenant(), make_tenant()
    make_entries(a, 3, "A")
    make_entries(b, 2, "B")
    with unit_of_work(a.id) as session:
        rows = session.exec(select(CatalogueEntry)).all()
    assert len(rows) == 3
    assert {r.tenant_id for r in rows} == {a.id}


def test_session_without_tenant_sees_nothing() -> None:
    make_entries(make_tenant(), 3)
    with unit_of_work(None) as session:
        assert session.exec(select(CatalogueEntry)).all() == []


def test_get_by_primary_key_of_other_tenant_finds_nothing() -> None:
    a, b = make_tenant(), make_tenant()
    entry = make_entries(b, 1)[0]
    with unit_of_work(a.id) as session:
        assert (
            session.exec(select(CatalogueEntry).where(CatalogueEntry.id == entry.id)).first()
            is None
        )


def test_a_select_built_once_answers_each_session_its_own_tenants_rows() -> None:
    """A module's statement, scoped once: the tenant comes with each execution."""
    a, b = make_tenant(), make_tenant()
    make_entries(a, 3, "A")
    make_entries(b, 2, "B")
    built_once = select(CatalogueEntry).where(col(CatalogueEntry.code) >= bindparam("from"))
    for tenant, codes in ((a, {"A0001", "A0002"}), (b, {"B0001"}), (a, {"A0001", "A0002"})):
        with unit_of_work(tenant.id) as session:
            rows = session.exec(built_once, params={"from": "A0001"}).all()
            assert {r.code for r in rows} >= codes and {r.tenant_id for r in rows} == {tenant.id}
            entry = rows[0]
            session.expire(entry)  # reloaded on the next read, through the same scoping
            assert entry.tenant_id == tenant.id
    with unit_of_work(None) as session:
        assert session.exec(built_once, params={"from": "A0001"}).all() == []


def test_insert_with_other_tenants_id_is_refused() -> None:
    a, b = make_tenant(), make_tenant()
    with pytest.raises(CrossTenantWrite), unit_of_work(a.id) as session:
        session.add(
            CatalogueEntry(
                tenant_id=b.id, code="X-1", name="x", domain=ServiceDomain.A, subdomain=1
            )
        )
    with unit_of_work(b.id) as session:
        assert session.exec(select(CatalogueEntry)).all() == []


def test_bulk_update_touches_only_current_tenant() -> None:
    from sqlalchemy import update

    a, b = make_tenant(), make_tenant()
    make_entries(a, 2, "A")
    make_entries(b, 2, "B")
    with unit_of_work(a.id) as session:
        session.exec(update(CatalogueEntry).values(description="changed"))
    with unit_of_work(b.id) as session:
        assert {e.description for e in session.exec(select(CatalogueEntry))} == {""}


# -- PostgreSQL: the database enforces the same, even for SQL that bypasses the ORM ----------

TENANT_TABLES_SQL = """
SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind = 'r'
  AND EXISTS (SELECT 1 FROM pg_attribute a
              WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
"""


@pytest.mark.postgres
def test_every_tenant_table_forces_row_level_security(owner_engine) -> None:
    with owner_engine.connect() as conn:
        rows = conn.execute(text(TENANT_TABLES_SQL)).all()
    assert rows, "no tenant tables found"
    assert [r.relname for r in rows if not (r.relrowsecurity and r.relforcerowsecurity)] == sorted(
        DERIVED
    )


@pytest.mark.postgres
def test_the_app_role_holds_no_right_on_a_table_whose_policy_is_not_forced(owner_engine) -> None:
    """A derived table is read through its owner's function only: the policy still binds any
    other role, and the app role may not even try."""
    with get_engine().connect() as conn:
        app_role = conn.execute(text("SELECT current_user")).scalar_one()
    with owner_engine.connect() as conn:
        for table in DERIVED:
            enabled, privileges = conn.execute(
                text(
                    "SELECT c.relrowsecurity, (SELECT count(*) FROM information_schema"
                    ".role_table_grants g WHERE g.table_name = c.relname AND g.grantee = :r) "
                    "FROM pg_class c WHERE c.relname = :t"
                ),
                {"t": table, "r": app_role},
            ).one()
            assert (table, enabled, privileges) == (table, True, 0)


@pytest.mark.postgres
def test_app_role_owns_nothing_and_cannot_bypass_rls() -> None:
    with get_engine().connect() as conn:
        role = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()
        owned = conn.execute(
            text(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                "AND tableowner = current_user"
            )
        ).scalar()
    assert (role.rolsuper, role.rolbypassrls, owned) == (False, False, 0)


@pytest.mark.postgres
@pytest.mark.parametrize("listened", [False, True], ids=["to-the-driver", "through-sqlalchemy"])
def test_raw_sql_sees_only_the_tenant_set_for_the_transaction(listened: bool) -> None:
    """The tenant is set at each transaction's start straight through the driver (in one
    exchange with its BEGIN), or through SQLAlchemy when something listens to the engine's
    statements: both hold the boundary."""
    a, b = make_tenant(), make_tenant()
    make_entries(a, 3, "A")
    make_entries(b, 2, "B")
    engine = make_engine(get_settings().database_url)
    seen: list[str] = []
    if listened:
        event.listen(engine, "before_cursor_execute", lambda _c, _k, sql, *_: seen.append(sql))
    try:
        with unit_of_work(a.id, engine) as session:
            session.info[STATEMENT_TIMEOUT] = 1234  # set with the tenant as the transaction begins
            count = session.execute(text("SELECT count(*) FROM services_catalogue_entry"))
            assert count.scalar() == 3
            assert session.execute(text("SHOW statement_timeout")).scalar() == "1234ms"
        with unit_of_work(None, engine) as session:
            count = session.execute(text("SELECT count(*) FROM services_catalogue_entry"))
            assert count.scalar() == 0
    finally:
        engine.dispose()
    assert any("set_config" in sql for sql in seen) == listened


@pytest.mark.postgres
def test_pooled_connection_does_not_keep_the_previous_tenant() -> None:
    a = make_tenant()
    make_entries(a, 2)
    with unit_of_work(a.id) as session:
        session.execute(text("SELECT 1"))
    # The setting is transaction-local: a new transaction on the same pool starts empty.
    with get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM services_catalogue_entry")).scalar() == 0
        assert conn.execute(text("SELECT current_setting('regie.tenant_id', true)")).scalar() in (
            None,
            "",
        )


@pytest.mark.postgres
def test_database_refuses_raw_insert_with_other_tenants_id() -> None:
    a, b = make_tenant(), make_tenant()
    session = new_session(a.id)
    with pytest.raises(DBAPIError, match="row-level security"):
        session.execute(
            text(
                "INSERT INTO services_catalogue_entry (tenant_id, id, code, name, description,"
                " domain, subdomain, status, version, created_at, updated_at)"
                " VALUES (:t, gen_random_uuid(), 'X-1', 'x', '', 'A', 1, 'active', 1, now(), now())"
            ),
            {"t": str(b.id)},
        )
    session.rollback()
    session.close()


@pytest.mark.postgres
def test_database_refuses_moving_a_row_to_another_tenant() -> None:
    a, b = make_tenant(), make_tenant()
    make_entries(a, 1)
    session = new_session(a.id)
    with pytest.raises(DBAPIError, match="row-level security"):
        session.execute(
            text("UPDATE services_catalogue_entry SET tenant_id = :t"), {"t": str(b.id)}
        )
    session.rollback()
    session.close()


@pytest.mark.postgres
def test_the_apps_statements_run_without_jit_compilation() -> None:
    """Its statements are short: compiling one whose estimate passes jit_above_cost cost more
    than it saved, on every request (a page over many tenants most of all)."""
    first, second = make_tenant(), make_tenant()
    with unit_of_work(first.id, read_only=True) as session:
        assert session.execute(text("SHOW jit")).scalar() == "off"
    with reading_tenants() as in_tenant:
        for tenant in (first, second):
            assert in_tenant(tenant.id).execute(text("SHOW jit")).scalar() == "off"
