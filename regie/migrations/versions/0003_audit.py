"""audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:28:38.702406
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("audit_entry", "audit_checkpoint")

# Row changes pass only inside audit_prune (which sets the flag for its own transaction).
# TRUNCATE is left to the table owner, who could disable these triggers anyway: the signed
# checkpoints kept outside the database are what expose an owner rewriting the log.
GUARD_FUNCTION = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    IF pg_has_role(current_user, (SELECT tableowner FROM pg_tables
                                  WHERE tablename = TG_TABLE_NAME AND schemaname = TG_TABLE_SCHEMA),
                   'USAGE') THEN
      RETURN NULL;
    END IF;
  ELSIF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entry'
        AND current_setting('regie.audit_prune', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$
"""

PRUNE_FUNCTION = """
CREATE FUNCTION audit_prune(p_tenant uuid, p_upto bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  deleted bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM NULLIF(current_setting('regie.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'audit_prune: only the session tenant''s log';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_checkpoint WHERE tenant_id = p_tenant AND tree_size = p_upto) THEN
    RAISE EXCEPTION 'audit_prune: no checkpoint at size % to verify the rest from', p_upto;
  END IF;
  IF EXISTS (SELECT 1 FROM audit_entry WHERE tenant_id = p_tenant AND seq <= p_upto
             AND occurred_at >= now() - interval '183 days') THEN
    RAISE EXCEPTION 'audit_prune: entries younger than the six-month minimum';
  END IF;
  PERFORM set_config('regie.audit_prune', 'on', true);
  DELETE FROM audit_entry WHERE tenant_id = p_tenant AND seq <= p_upto;
  GET DIAGNOSTICS deleted = ROW_COUNT;
  PERFORM set_config('regie.audit_prune', 'off', true);
  RETURN deleted;
END $$
"""


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("chain_hash", sa.String(length=64), nullable=False),
        sa.Column("issued_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("frontier", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_audit_checkpoint_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "tree_size", name=op.f("pk_audit_checkpoint")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("occurred_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity_type", sa.String(length=100), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("actor_kind", sa.String(length=40), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_audit_entry_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "seq", name=op.f("pk_audit_entry")),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_actor", ["tenant_id", "actor_id"], unique=False)
        batch_op.create_index(
            "ix_audit_entry_entity", ["tenant_id", "entity_type", "entity_id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_entry_occurred_at", ["tenant_id", "occurred_at"], unique=False
        )

    op.create_table(
        "audit_head",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_audit_head_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_audit_head")),
    )
    rls.tenant_table("audit_entry", append_only=True)
    rls.tenant_table("audit_checkpoint", append_only=True)
    rls.tenant_table("audit_head")  # the one mutable row per tenant: size and last hash
    if op.get_bind().dialect.name == "postgresql":
        _protect()


def _protect() -> None:
    op.execute(GUARD_FUNCTION)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
    op.execute(PRUNE_FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION audit_prune(uuid, bigint) FROM PUBLIC")
    role = rls.app_role()
    if role:
        op.execute(f'GRANT EXECUTE ON FUNCTION audit_prune(uuid, bigint) TO "{role}"')


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS audit_prune(uuid, bigint)")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    for table in ("audit_head", "audit_checkpoint", "audit_entry"):
        rls.drop_tenant_table_policy(table)
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_occurred_at")
        batch_op.drop_index("ix_audit_entry_entity")
        batch_op.drop_index("ix_audit_entry_actor")

    op.drop_table("audit_entry")
    op.drop_table("audit_checkpoint")
