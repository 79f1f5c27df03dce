"""Changes: the change itself, its history, votes and rollbacks, and per tenant the templates,
approval rules and risk questionnaire. Change numbers on PostgreSQL come from a per-tenant
sequence, handed out by an owner's function as ticket numbers are (0011).

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "changes_settings",
    "changes_template",
    "changes_approval_rule",
    "changes_change",
    "changes_event",
    "changes_vote",
    "changes_rollback",
    "changes_freeze",
    "changes_feed_token",
    "changes_review",
)
revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = """
CREATE FUNCTION changes_next_number(p_tenant uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  seq text := 'changes_number_' || replace(p_tenant::text, '-', '');
  start bigint;
BEGIN
  IF p_tenant IS DISTINCT FROM NULLIF(current_setting('regie.tenant_id', true), '')::uuid THEN
    RAISE EXCEPTION 'changes_next_number: only the session tenant''s numbers';
  END IF;
  BEGIN
    RETURN nextval(seq);
  EXCEPTION WHEN undefined_table THEN
    SELECT coalesce(max(next_number), 1) INTO start FROM changes_settings WHERE tenant_id = p_tenant;
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I START %s', seq, start);
    RETURN nextval(seq);
  END;
END $$
"""


def _number_function() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION changes_next_number(uuid) FROM PUBLIC")
    role = rls.app_role()
    if role:
        op.execute(f'GRANT EXECUTE ON FUNCTION changes_next_number(uuid) TO "{role}"')


def _drop_number_function() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS changes_next_number(uuid)")
    sequences = op.get_bind().exec_driver_sql(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname ~ '^changes_number_'"
    )
    for (name,) in list(sequences):
        op.execute(f'DROP SEQUENCE IF EXISTS "{name}"')


def upgrade() -> None:
    op.create_table(
        "changes_approval_rule",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "change_type",
            sa.Enum(
                "standard", "normal", "emergency", name="changetype", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "risk_class",
            sa.Enum("low", "medium", "high", name="riskclass", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("approvers", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_changes_approval_rule_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_approval_rule")),
        sa.UniqueConstraint("tenant_id", "change_type", "risk_class", name="uq_changes_rule_class"),
    )
    op.create_table(
        "changes_change",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "standard", "normal", "emergency", name="changetype", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "submitted",
                "assessed",
                "approved",
                "rejected",
                "scheduled",
                "implementing",
                "implemented",
                "rolled-back",
                "failed",
                "closed",
                "cancelled",
                name="changestatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("service_ids", sa.JSON(), nullable=True),
        sa.Column("ci_ids", sa.JSON(), nullable=True),
        sa.Column("planned_start", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("planned_end", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("implementer_id", sa.Uuid(), nullable=True),
        sa.Column("implementer_name", sa.String(length=200), nullable=True),
        sa.Column("requested_by", sa.String(length=80), nullable=False),
        sa.Column("requested_by_name", sa.String(length=200), nullable=False),
        sa.Column("template_id", sa.Uuid(), nullable=True),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("problem_id", sa.Uuid(), nullable=True),
        sa.Column("causes_downtime", sa.Boolean(), nullable=False),
        sa.Column("rollback_plan", sa.JSON(), nullable=True),
        sa.Column(
            "risk_class",
            sa.Enum("low", "medium", "high", name="riskclass", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("risk_score", sa.Integer(), nullable=True),
        sa.Column("risk_answers", sa.JSON(), nullable=True),
        sa.Column("impact", sa.JSON(), nullable=True),
        sa.Column("approvers", sa.JSON(), nullable=True),
        sa.Column("overdue_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("implemented_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_changes_change_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_change")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_changes_change_number"),
        sa.UniqueConstraint("tenant_id", "ticket_id", name="uq_changes_change_ticket"),
    )
    with op.batch_alter_table("changes_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_changes_change_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_changes_change_window", ["tenant_id", "planned_start", "planned_end"], unique=False
        )

    op.create_table(
        "changes_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=True),
        sa.Column("medium_from", sa.Integer(), nullable=False),
        sa.Column("high_from", sa.Integer(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_changes_settings_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_changes_settings")),
    )
    op.create_table(
        "changes_template",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column(
            "risk_class",
            sa.Enum("low", "medium", "high", name="riskclass", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("rollback_plan", sa.JSON(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_changes_template_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_template")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_changes_template_name"),
    )
    op.create_table(
        "changes_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "status",
                "updated",
                "assessed",
                "vote",
                "rollback-tested",
                "rolled-back",
                "overdue",
                "reviewed",
                name="changeeventkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("from_value", sa.String(length=200), nullable=True),
        sa.Column("to_value", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=4000), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_event_change",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_changes_event_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_event")),
    )
    with op.batch_alter_table("changes_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_changes_event_change", ["tenant_id", "change_id", "at", "id"], unique=False
        )

    op.create_table(
        "changes_rollback",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "restored",
                "partial",
                "failed",
                name="rollbackoutcome",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_rollback_change",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_changes_rollback_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_rollback")),
    )
    op.create_table(
        "changes_vote",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("voter", sa.String(length=80), nullable=False),
        sa.Column("voter_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("approve", "reject", name="votedecision", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=4000), nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_vote_change",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_changes_vote_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_vote")),
        sa.UniqueConstraint("tenant_id", "change_id", "voter", name="uq_changes_vote_voter"),
    )

    op.create_table(
        "changes_feed_token",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_changes_feed_token_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_feed_token")),
    )
    op.create_table(
        "changes_freeze",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_changes_freeze_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_freeze")),
    )
    with op.batch_alter_table("changes_freeze", schema=None) as batch_op:
        batch_op.create_index(
            "ix_changes_freeze_period", ["tenant_id", "starts_at", "ends_at"], unique=False
        )
    op.create_table(
        "changes_review",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "successful",
                "successful-with-issues",
                "failed",
                "rolled-back",
                name="reviewoutcome",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("incident_ids", sa.JSON(), nullable=True),
        sa.Column("lessons", sa.String(length=20000), nullable=False),
        sa.Column("reviewed_by", sa.String(length=80), nullable=False),
        sa.Column("reviewed_by_name", sa.String(length=200), nullable=False),
        sa.Column("reviewed_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_review_change",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_changes_review_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_review")),
        sa.UniqueConstraint("tenant_id", "change_id", name="uq_changes_review_change"),
    )
    for table in TENANT_TABLES:
        rls.tenant_table(table)
    _number_function()


def downgrade() -> None:
    _drop_number_function()
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("changes_review")
    op.drop_table("changes_feed_token")
    with op.batch_alter_table("changes_freeze", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_freeze_period")
    op.drop_table("changes_freeze")
    op.drop_table("changes_vote")
    op.drop_table("changes_rollback")
    with op.batch_alter_table("changes_event", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_event_change")

    op.drop_table("changes_event")
    op.drop_table("changes_template")
    op.drop_table("changes_settings")
    with op.batch_alter_table("changes_change", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_change_window")
        batch_op.drop_index("ix_changes_change_created")

    op.drop_table("changes_change")
    op.drop_table("changes_approval_rule")
