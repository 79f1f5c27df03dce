"""Tickets: settings and numbering, assignment groups and members, tickets, history.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "tickets_settings",
    "tickets_group",
    "tickets_group_member",
    "tickets_ticket",
    "tickets_event",
)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets_group",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "line",
            sa.Enum("1", "2", "3", "third-party", name="line", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("manager_id", sa.Uuid(), nullable=True),
        sa.Column("manager_name", sa.String(length=200), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_group_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_group")),
        sa.UniqueConstraint("tenant_id", "name", name="uq_tickets_group_name"),
    )
    op.create_table(
        "tickets_settings",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.Column("reopen_days", sa.Integer(), nullable=False),
        sa.Column(
            "privacy_mode",
            sa.Enum("warn", "block", name="privacymode", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("priority_matrix", sa.JSON(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_settings_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tickets_settings")),
    )
    op.create_table(
        "tickets_ticket",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column(
            "type",
            sa.Enum(
                "incident",
                "service-request",
                "question",
                "change-request",
                "onboarding",
                "offboarding",
                name="tickettype",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "in-progress",
                "needs-information",
                "waiting-reporter",
                "waiting-third-party",
                "waiting-change",
                "resolved",
                "closed",
                "rejected",
                name="status",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "impact",
            sa.Enum("low", "medium", "high", name="level", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "urgency",
            sa.Enum("low", "medium", "high", name="level", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "urgent", "high", "medium", "low", name="priority", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("reporter_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_name", sa.String(length=200), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column(
            "line",
            sa.Enum("1", "2", "3", "third-party", name="line", native_enum=False, length=20),
            nullable=True,
        ),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("assignee_name", sa.String(length=200), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("ci_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("preceding_actions", sa.String(length=4000), nullable=True),
        sa.Column("reproducible", sa.Boolean(), nullable=True),
        sa.Column("investigation", sa.String(length=4000), nullable=True),
        sa.Column("cause_outside_service", sa.Boolean(), nullable=True),
        sa.Column("third_party", sa.String(length=200), nullable=True),
        sa.Column("external_reference", sa.String(length=200), nullable=True),
        sa.Column("backlog_story", sa.String(length=200), nullable=True),
        sa.Column("problem_id", sa.Uuid(), nullable=True),
        sa.Column("converted_to_id", sa.Uuid(), nullable=True),
        sa.Column("converted_from_id", sa.Uuid(), nullable=True),
        sa.Column("privacy_findings", sa.JSON(), nullable=True),
        sa.Column("resolution", sa.String(length=4000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_ticket_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_ticket")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_tickets_ticket_number"),
    )
    with op.batch_alter_table("tickets_ticket", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_ticket_assignee",
            ["tenant_id", "assignee_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tickets_ticket_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_ticket_group", ["tenant_id", "group_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_ticket_reporter",
            ["tenant_id", "reporter_id", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_tickets_ticket_status", ["tenant_id", "status", "created_at", "id"], unique=False
        )

    op.create_table(
        "tickets_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "status",
                "priority",
                "assignment",
                "escalation",
                "forwarded",
                "converted",
                "linked",
                "redacted",
                "responded",
                name="eventkind",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("from_value", sa.String(length=200), nullable=True),
        sa.Column("to_value", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["tickets_ticket.tenant_id", "tickets_ticket.id"],
            name=op.f("fk_tickets_event_tenant_id_tickets_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_event_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_event")),
    )
    with op.batch_alter_table("tickets_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_event_ticket", ["tenant_id", "ticket_id", "at", "id"], unique=False
        )

    op.create_table(
        "tickets_group_member",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("member_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"],
            ["tickets_group.tenant_id", "tickets_group.id"],
            name=op.f("fk_tickets_group_member_tenant_id_tickets_group"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_group_member_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "group_id", "member_id", name=op.f("pk_tickets_group_member")
        ),
    )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("tickets_group_member")
    with op.batch_alter_table("tickets_event", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_event_ticket")

    op.drop_table("tickets_event")
    with op.batch_alter_table("tickets_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_ticket_status")
        batch_op.drop_index("ix_tickets_ticket_reporter")
        batch_op.drop_index("ix_tickets_ticket_group")
        batch_op.drop_index("ix_tickets_ticket_created")
        batch_op.drop_index("ix_tickets_ticket_assignee")

    op.drop_table("tickets_ticket")
    op.drop_table("tickets_settings")
    op.drop_table("tickets_group")
