"""Alert intake: folds of alerts into incidents, label rules and alert settings.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("tickets_alert_rule", "tickets_alert_settings", "tickets_alert_fold")

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets_alert_rule",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("match", sa.JSON(), nullable=True),
        sa.Column("match_regex", sa.JSON(), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column(
            "impact",
            sa.Enum("low", "medium", "high", name="level", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column(
            "urgency",
            sa.Enum("low", "medium", "high", name="level", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "urgent", "high", "medium", "low", name="priority", native_enum=False, length=20
            ),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_alert_rule_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_alert_rule")),
    )
    with op.batch_alter_table("tickets_alert_rule", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_alert_rule_position", ["tenant_id", "position", "id"], unique=False
        )

    op.create_table(
        "tickets_alert_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column(
            "on_resolved",
            sa.Enum("annotate", "resolve", name="onresolved", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_alert_settings_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tickets_alert_settings")),
    )
    op.create_table(
        "tickets_alert_fold",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=True),
        sa.Column("is_open", sa.Boolean(), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("occurrences", sa.Integer(), nullable=False),
        sa.Column("first_seen", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "last_status",
            sa.Enum("firing", "resolved", name="alertstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["tickets_ticket.tenant_id", "tickets_ticket.id"],
            name=op.f("fk_tickets_alert_fold_tenant_id_tickets_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_alert_fold_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_alert_fold")),
        sa.UniqueConstraint(
            "tenant_id", "fingerprint", "is_open", name="uq_tickets_alert_fold_open"
        ),
    )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("tickets_alert_fold")
    op.drop_table("tickets_alert_settings")
    with op.batch_alter_table("tickets_alert_rule", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_alert_rule_position")

    op.drop_table("tickets_alert_rule")
