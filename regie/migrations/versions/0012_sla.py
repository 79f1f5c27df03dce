"""Service level agreements (versioned per tenant) and the SLA clocks stored per ticket.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("services_sla_agreement", "services_sla_clock")

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_sla_agreement",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("extra_closed_days", sa.JSON(), nullable=False),
        sa.Column("yearly_closed_days", sa.JSON(), nullable=False),
        sa.Column("open_holidays", sa.JSON(), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("response_norm", sa.Float(), nullable=False),
        sa.Column("restore_platform_norm", sa.Float(), nullable=False),
        sa.Column("restore_application_norm", sa.Float(), nullable=False),
        sa.Column("availability_norm", sa.Float(), nullable=False),
        sa.Column("paused_statuses", sa.JSON(), nullable=False),
        sa.Column("counted_types", sa.JSON(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_sla_agreement_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_sla_agreement")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_services_sla_agreement_number"),
    )
    with op.batch_alter_table("services_sla_agreement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_sla_agreement_effective",
            ["tenant_id", "effective_from", "number"],
            unique=False,
        )

    op.create_table(
        "services_sla_clock",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("priority", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("elapsed_seconds", sa.Float(), nullable=False),
        sa.Column("target_seconds", sa.Float(), nullable=False),
        sa.Column("remaining_seconds", sa.Float(), nullable=False),
        sa.Column("deadline", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("breached_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("as_of", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("computed_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "agreement_id"],
            ["services_sla_agreement.tenant_id", "services_sla_agreement.id"],
            name=op.f("fk_services_sla_clock_tenant_id_services_sla_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_sla_clock_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "ticket_id", "kind", name=op.f("pk_services_sla_clock")
        ),
    )
    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_sla_clock_deadline", ["tenant_id", "state", "deadline"], unique=False
        )

    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    with op.batch_alter_table("services_sla_clock", schema=None) as batch_op:
        batch_op.drop_index("ix_services_sla_clock_deadline")

    op.drop_table("services_sla_clock")
    with op.batch_alter_table("services_sla_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_services_sla_agreement_effective")

    op.drop_table("services_sla_agreement")
