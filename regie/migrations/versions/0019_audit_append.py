"""audit append: the application role appends only through the owner's functions

On PostgreSQL the app role loses INSERT on audit_entry and every write on audit_head. Entries
are appended by `audit_append`, a SECURITY DEFINER function owned by the table owner that
numbers and chains them itself under the head's row lock; `audit_lock_head` locks the head for
a checkpoint and `audit_set_retention` changes the retention period (never below six months).
SQLite has no roles: nothing changes there.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

from regie.migrations import rls

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only the session tenant's head; the first entry of a tenant creates it (seven years'
# retention, as audit.models says). The other functions lock the head through this one.
LOCK_HEAD = """
CREATE FUNCTION audit_lock_head(p_tenant uuid, OUT size bigint, OUT last_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_tenant IS DISTINCT FROM NULLIF(current_setting('regie.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'audit: only the session tenant''s log' USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT h.size, h.last_hash INTO size, last_hash FROM audit_head h
   WHERE h.tenant_id = p_tenant FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO audit_head (tenant_id, size, last_hash, retention_days)
    VALUES (p_tenant, 0, repeat('0', 64), 2557) ON CONFLICT DO NOTHING;
    SELECT h.size, h.last_hash INTO size, last_hash FROM audit_head h
     WHERE h.tenant_id = p_tenant FOR UPDATE;
  END IF;
END $$
"""

# entry_hash = SHA-256(prev_hash || seq as 8 bytes big-endian || body), as audit.chain says.
APPEND = """
CREATE FUNCTION audit_append(p_tenant uuid, p_entries jsonb) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  v_size bigint;
  v_prev text;
  v_hash text;
  e record;
BEGIN
  SELECT h.size, h.last_hash INTO v_size, v_prev FROM audit_lock_head(p_tenant) h;
  FOR e IN SELECT * FROM jsonb_to_recordset(p_entries) AS x(
      occurred_at timestamptz, action text, entity_type text, entity_id text,
      actor_kind text, actor_id text, body text) LOOP
    IF (e.body::jsonb ->> 'tenant') IS DISTINCT FROM p_tenant::text THEN
      RAISE EXCEPTION 'audit_append: an entry of another tenant' USING ERRCODE = 'check_violation';
    END IF;
    v_size := v_size + 1;
    v_hash := encode(sha256(decode(v_prev, 'hex') || int8send(v_size)
                            || convert_to(e.body, 'UTF8')), 'hex');
    INSERT INTO audit_entry (tenant_id, seq, occurred_at, action, entity_type, entity_id,
                             actor_kind, actor_id, body, prev_hash, entry_hash)
    VALUES (p_tenant, v_size, e.occurred_at, e.action, e.entity_type, e.entity_id,
            e.actor_kind, e.actor_id, e.body, v_prev, v_hash);
    v_prev := v_hash;
  END LOOP;
  UPDATE audit_head SET size = v_size, last_hash = v_prev WHERE tenant_id = p_tenant;
  RETURN v_size;
END $$
"""

SET_RETENTION = """
CREATE FUNCTION audit_set_retention(p_tenant uuid, p_days integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_days < 183 THEN
    RAISE EXCEPTION 'audit_set_retention: at least 183 days' USING ERRCODE = 'check_violation';
  END IF;
  PERFORM audit_lock_head(p_tenant);
  UPDATE audit_head SET retention_days = p_days WHERE tenant_id = p_tenant;
END $$
"""

SIGNATURES = (
    "audit_lock_head(uuid)",
    "audit_append(uuid, jsonb)",
    "audit_set_retention(uuid, integer)",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for body in (LOCK_HEAD, APPEND, SET_RETENTION):
        op.execute(body)
    role = rls.app_role()
    for signature in SIGNATURES:
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        if role:
            op.execute(f'GRANT EXECUTE ON FUNCTION {signature} TO "{role}"')
    if role:
        op.execute(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON audit_head FROM "{role}"')
        op.execute(f'REVOKE INSERT ON audit_entry FROM "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    role = rls.app_role()
    if role:
        op.execute(f'GRANT INSERT, UPDATE, DELETE ON audit_head TO "{role}"')
        op.execute(f'GRANT INSERT ON audit_entry TO "{role}"')
    for signature in reversed(SIGNATURES):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
