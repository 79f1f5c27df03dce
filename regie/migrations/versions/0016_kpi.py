"""KPI figures: the per-ticket facts they count, exclusions from a month's figures, and the
indexes on the stored clocks their period queries use.

Existing tickets get their facts from `regie sla recompute` (or with their next change).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("services_kpi_ticket", "services_kpi_exclusion")
CLOCK_INDEXES = {
    "ix_services_sla_clock_stopped": ["tenant_id", "kind", "stopped_at"],
    "ix_services_sla_clock_breached": ["tenant_id", "kind", "breached_at"],
}

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{table}_tenant_id_core_tenant")
    )


def upgrade() -> None:
    when = core.types.UTCDateTime(timezone=True)
    op.create_table(
        "services_kpi_ticket",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("priority", sa.String(length=12), nullable=False),
        sa.Column("line", sa.String(length=12), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("opened_at", when, nullable=False),
        sa.Column("responded_at", when, nullable=True),
        sa.Column("finished_at", when, nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("rejected", sa.Boolean(), nullable=False),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("resolved_line", sa.String(length=12), nullable=True),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("statuses", sa.JSON(), nullable=False),
        sa.Column("as_of", when, nullable=False),
        sa.Column("computed_at", when, nullable=False),
        _tenant_fk("services_kpi_ticket"),
        sa.PrimaryKeyConstraint("tenant_id", "ticket_id", name=op.f("pk_services_kpi_ticket")),
    )
    with op.batch_alter_table("services_kpi_ticket", schema=None) as batch_op:
        batch_op.create_index("ix_services_kpi_ticket_opened", ["tenant_id", "opened_at"])
        batch_op.create_index("ix_services_kpi_ticket_finished", ["tenant_id", "finished_at"])

    op.create_table(
        "services_kpi_exclusion",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum("ticket", "outage", name="exclusionsubject", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "proposed",
                "accepted",
                "rejected",
                name="exclusionstate",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("proposed_by", sa.String(length=80), nullable=False),
        sa.Column("proposed_at", when, nullable=False),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decided_at", when, nullable=True),
        sa.Column("decision_reason", sa.String(length=2000), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _tenant_fk("services_kpi_exclusion"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_kpi_exclusion")),
    )
    with op.batch_alter_table("services_kpi_exclusion", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_kpi_exclusion_month", ["tenant_id", "month", "subject_kind", "state"]
        )
        batch_op.create_index(
            "ix_services_kpi_exclusion_proposed", ["tenant_id", "proposed_at", "id"]
        )

    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        for name, columns in CLOCK_INDEXES.items():
            batch_op.create_index(name, columns)

    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        for name in CLOCK_INDEXES:
            batch_op.drop_index(name)
    with op.batch_alter_table("services_kpi_exclusion", schema=None) as batch_op:
        batch_op.drop_index("ix_services_kpi_exclusion_proposed")
        batch_op.drop_index("ix_services_kpi_exclusion_month")
    op.drop_table("services_kpi_exclusion")
    with op.batch_alter_table("services_kpi_ticket", schema=None) as batch_op:
        batch_op.drop_index("ix_services_kpi_ticket_finished")
        batch_op.drop_index("ix_services_kpi_ticket_opened")
    op.drop_table("services_kpi_ticket")
