"""Ticket numbers from a per-tenant sequence on PostgreSQL.

A counter row locked until commit made one tenant's creates run one at a time; a sequence
hands out numbers without holding a lock. Numbers stay unique and are never reused; a create
that rolls back leaves a gap. The sequence starts where the tenant's counter stood, and is
created on first use by a function that runs as the owner (the app role may create nothing).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from regie.migrations import rls

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION tickets_next_number(p_tenant uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  seq text := 'tickets_number_' || replace(p_tenant::text, '-', '');
  start bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM NULLIF(current_setting('regie.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'tickets_next_number: only the session tenant''s numbers';
  END IF;
  BEGIN
    RETURN nextval(seq);
  EXCEPTION WHEN undefined_table THEN
    SELECT coalesce(max(next_number), 1) INTO start FROM tickets_settings WHERE tenant_id = p_tenant;
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START %s', seq, start);
    RETURN nextval(seq);
  END;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION tickets_next_number(uuid) FROM PUBLIC")
    role = rls.app_role()
    if role:
        op.execute(f'GRANT EXECUTE ON FUNCTION tickets_next_number(uuid) TO "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS tickets_next_number(uuid)")
    sequences = op.get_bind().exec_driver_sql(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname ~ '^tickets_number_'"
    )
    for (name,) in list(sequences):
        op.execute(f'DROP SEQUENCE IF EXISTS "{name}"')
