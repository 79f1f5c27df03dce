"""The migrated schema can be distributed by tenant_id on Citus, and the setup script says how.

No Citus coordinator can run on this machine (deploy/README.md, "Scale-out with Citus"), so
these tests check on plain PostgreSQL what Citus would refuse: keys and foreign keys without
tenant_id, tables nobody classified, and policies that look at anything but the session's
tenant.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, text
from typer.testing import CliRunner

from core.db import metadata
from regie import citus
from regie.cli import app as cli
from regie.tenant_exit.tables import DERIVED

ROOT = Path(__file__).resolve().parents[2]
SETUP = ROOT / "deploy" / "citus" / "setup.sql"
README = ROOT / "deploy" / "README.md"


def test_checked_in_setup_sql_and_readme_match_the_classification() -> None:
    run = CliRunner().invoke(cli, ["citus", "sql"])
    assert run.exit_code == 0, run.output
    assert SETUP.read_text() == run.output == citus.setup_sql(), (
        "regenerate: regie citus sql > deploy/citus/setup.sql"
    )
    markdown = CliRunner().invoke(cli, ["citus", "sql", "--markdown"]).output
    assert markdown in README.read_text(), "paste `regie citus sql --markdown` in the README"


def test_setup_sql_distributes_every_tenant_table_once_after_its_parents() -> None:
    sql = citus.setup_sql()
    reference = re.findall(r"create_reference_table\('(\w+)'\)", sql)
    distributed = re.findall(r"create_distributed_table\('(\w+)', 'tenant_id'", sql)
    tenant = {t.name for t in metadata.tables.values() if "tenant_id" in t.c} | set(DERIVED)
    assert reference == ["core_tenant"]
    assert sorted(distributed) == sorted(tenant) and len(distributed) == len(tenant)
    assert sql.index("create_reference_table") < sql.index("create_distributed_table")
    anchor = distributed[0]
    assert f"create_distributed_table('{anchor}', 'tenant_id', colocate_with => 'none')" in sql
    assert sql.count(f"colocate_with => '{anchor}'") == len(distributed) - 1
    position = {name: i for i, name in enumerate(distributed)}
    for table in metadata.tables.values():
        for key in table.foreign_keys:
            parent = key.column.table.name
            if parent in position:
                assert position[parent] <= position[table.name], (parent, table.name)
    for table, parent in DERIVED.items():
        assert position[parent] < position[table], (parent, table)


@pytest.mark.postgres
def test_migrated_schema_is_ready_for_citus(owner_engine: Engine) -> None:
    with owner_engine.connect() as conn:
        assert citus.check(conn) == []
        in_database = conn.execute(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
            )
        ).scalars()
        assert set(in_database) == set(citus.distributed_tables())
    run = CliRunner().invoke(cli, ["citus", "check"])
    assert run.exit_code == 0, run.output
    assert "ready for Citus" in run.output


@pytest.fixture
def broken(owner_engine: Engine) -> Iterator[Connection]:
    """A schema with one of each mistake a migration could make."""
    with owner_engine.connect() as conn:
        conn.execute(text(BROKEN))
        try:
            yield conn
        finally:
            conn.rollback()


BROKEN = """
CREATE SCHEMA citus_broken;
SET LOCAL search_path = citus_broken;
CREATE TABLE core_tenant (id uuid PRIMARY KEY);
CREATE TABLE lookup (id int PRIMARY KEY, name text);
CREATE TABLE parent (tenant_id uuid REFERENCES core_tenant, id uuid PRIMARY KEY, code uuid,
                     UNIQUE (tenant_id, code));
CREATE UNIQUE INDEX parent_code ON parent (code) INCLUDE (tenant_id);
CREATE TABLE child (tenant_id uuid, id uuid, parent_id uuid REFERENCES parent (id),
                    other_tenant uuid, lookup_id int REFERENCES lookup,
                    PRIMARY KEY (tenant_id, id));
ALTER TABLE child ADD FOREIGN KEY (other_tenant, parent_id) REFERENCES parent (tenant_id, code)
    NOT VALID;
ALTER TABLE core_tenant ADD COLUMN first_parent uuid REFERENCES parent (id);
CREATE TABLE open_door (tenant_id uuid, id uuid, PRIMARY KEY (tenant_id, id));
CREATE TABLE guarded (tenant_id uuid, id uuid, PRIMARY KEY (tenant_id, id));
ALTER TABLE parent ENABLE ROW LEVEL SECURITY;
ALTER TABLE parent FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON parent
    USING (tenant_id = NULLIF(current_setting('regie.tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = NULLIF(current_setting('regie.tenant_id', true), '')::uuid);
ALTER TABLE child ENABLE ROW LEVEL SECURITY;
ALTER TABLE child FORCE ROW LEVEL SECURITY;
CREATE POLICY everyone ON child USING (true);
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
ALTER TABLE guarded FORCE ROW LEVEL SECURITY;
CREATE POLICY by_parent ON guarded
    USING (tenant_id IN (SELECT tenant_id FROM parent))
    WITH CHECK (tenant_id = NULLIF(current_setting('regie.tenant_id', true), '')::uuid);
"""


@pytest.mark.postgres
def test_check_names_every_mistake_citus_would_refuse(broken: Connection) -> None:
    problems = citus.check(broken, schema="citus_broken")
    assert sorted(problems) == sorted(
        [
            "lookup: no tenant_id and not classified in regie.citus.NOT_DISTRIBUTED",
            "parent: unique key parent_pkey does not include tenant_id",
            "parent: unique key parent_code does not include tenant_id",
            "child: foreign key child_parent_id_fkey to parent does not match "
            "tenant_id to tenant_id",
            "child: foreign key child_other_tenant_parent_id_fkey to parent does not match "
            "tenant_id to tenant_id",
            "child: foreign key child_lookup_id_fkey points at lookup, not a reference table",
            "core_tenant: foreign key core_tenant_first_parent_fkey from a table without "
            "tenant_id to parent",
            "child: policy everyone is not tenant_id = the session setting",
            "guarded: policy by_parent is not tenant_id = the session setting",
            "open_door: row-level security not enabled and forced",
            "open_door: no row-level security policy",
        ]
    )
