"""Row-level security and grants for migrations (PostgreSQL only; SQLite is scoped in-session).

The app role gets only DML; the policy compares `tenant_id` with the per-transaction setting,
so a connection from the pool that has no tenant set sees and writes nothing.
"""

from __future__ import annotations

from alembic import op

SETTING = "regie.tenant_id"
CURRENT = f"NULLIF(current_setting('{SETTING}', true), '')::uuid"


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def app_role() -> str | None:
    role = op.get_context().opts.get("app_role")
    owner = op.get_bind().exec_driver_sql("SELECT current_user").scalar() if _postgres() else None
    return role if role and role != owner else None


def tenant_table(table: str, *, append_only: bool = False) -> None:
    """Force row-level security on a tenant-owned table and grant the app role its DML."""
    if not _postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING (tenant_id = {CURRENT}) WITH CHECK (tenant_id = {CURRENT})"
    )
    grant(table, "SELECT, INSERT" if append_only else "SELECT, INSERT, UPDATE, DELETE")


def grant(table: str, privileges: str) -> None:
    role = app_role()
    if _postgres() and role:
        op.execute(f'GRANT {privileges} ON {table} TO "{role}"')


def drop_tenant_table_policy(table: str) -> None:
    if _postgres():
        op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
