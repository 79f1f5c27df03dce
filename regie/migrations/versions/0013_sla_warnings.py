"""SLA breach warnings: the 75 % moment of each stored clock, and one row per warning sent.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing clocks get their 75 % moment at their next event or `regie sla recompute`.
    op.add_column(
        "services_sla_clock",
        sa.Column("warn_at", core.types.UTCDateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_sla_clock_warn_at", ["tenant_id", "state", "warn_at"], unique=False
        )

    op.create_table(
        "services_sla_warning",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("due_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_sla_warning_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "ticket_id", "kind", "threshold", name=op.f("pk_services_sla_warning")
        ),
    )
    rls.tenant_table("services_sla_warning")


def downgrade() -> None:
    rls.drop_tenant_table_policy("services_sla_warning")
    op.drop_table("services_sla_warning")
    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_services_sla_clock_warn_at")
        batch_op.drop_column("warn_at")
