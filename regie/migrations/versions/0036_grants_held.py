"""One statement for the tenants where a person holds grants (supplier staff's reach).

`core_grants_held` answers, for the user (tid, oid) and the directory groups they are in, the
unrevoked grants of every active tenant. It answers only when the session's tenant is the
one bound to directory `tid` (the person's own organisation), and it reads each tenant's grants
with the session setting switched to that tenant, so the row-level security policy of
`core_grant` still decides every row; the setting is restored before it returns.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

from regie.migrations import rls

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = "core_grants_held(uuid, uuid, uuid[])"
FUNCTION = """
CREATE FUNCTION core_grants_held(p_tid uuid, p_oid uuid, p_groups uuid[])
RETURNS TABLE (tenant_id uuid, role varchar)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  home uuid := NULLIF(current_setting('regie.tenant_id', true), '')::uuid;
  t uuid;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM core_tenant h WHERE h.id = home AND h.entra_tenant_id = p_tid) THEN
    RAISE EXCEPTION 'core_grants_held: only for the session tenant''s own directory'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR t IN SELECT c.id FROM core_tenant c WHERE c.status = 'active' LOOP
    PERFORM set_config('regie.tenant_id', t::text, true);
    RETURN QUERY
      SELECT g.tenant_id, g.role FROM core_grant g
       WHERE g.tenant_id = t AND g.subject_tid = p_tid AND g.revoked_at IS NULL
         AND ((g.subject_kind = 'user' AND g.subject_oid = p_oid)
              OR (g.subject_kind = 'group' AND g.subject_oid = ANY (p_groups)));
  END LOOP;
  PERFORM set_config('regie.tenant_id', home::text, true);
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    role = rls.app_role()
    if role:
        op.execute(f'GRANT EXECUTE ON FUNCTION {SIGNATURE} TO "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
