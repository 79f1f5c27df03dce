"""Problems and known errors: problems, their history and per-tenant numbering.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("tickets_problem", "tickets_problem_counter", "tickets_problem_event")

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets_problem",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "investigating",
                "known-error",
                "resolved",
                "closed",
                name="problemstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "priority",
            sa.Enum(
                "urgent", "high", "medium", "low", name="priority", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("root_cause", sa.String(length=20000), nullable=True),
        sa.Column("workaround", sa.String(length=20000), nullable=True),
        sa.Column("known_error", sa.Boolean(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("ci_id", sa.Uuid(), nullable=True),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=False),
        sa.Column("resolution", sa.String(length=4000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("workaround_published_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_problem_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_problem")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_tickets_problem_number"),
    )
    with op.batch_alter_table("tickets_problem", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_problem_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_problem_known",
            ["tenant_id", "known_error", "updated_at", "id"],
            unique=False,
        )

    op.create_table(
        "tickets_problem_counter",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_problem_counter_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tickets_problem_counter")),
    )
    op.create_table(
        "tickets_problem_event",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("problem_id", sa.Uuid(), nullable=False),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "status",
                "priority",
                "known-error",
                "workaround",
                "linked",
                "unlinked",
                "change-request",
                name="problemeventkind",
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
            ["tenant_id", "problem_id"],
            ["tickets_problem.tenant_id", "tickets_problem.id"],
            name=op.f("fk_tickets_problem_event_tenant_id_tickets_problem"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_problem_event_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_problem_event")),
    )
    with op.batch_alter_table("tickets_problem_event", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_problem_event_problem",
            ["tenant_id", "problem_id", "at", "id"],
            unique=False,
        )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    with op.batch_alter_table("tickets_problem_event", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_problem_event_problem")

    op.drop_table("tickets_problem_event")
    op.drop_table("tickets_problem_counter")
    with op.batch_alter_table("tickets_problem", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_problem_known")
        batch_op.drop_index("ix_tickets_problem_created")

    op.drop_table("tickets_problem")
