"""Closed months: a month's KPI figures frozen as a signed snapshot.

On PostgreSQL the application role may only insert and read them: a closed month is never
updated or deleted.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TABLE = "services_kpi_closed_month"

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("evidence_hash", sa.String(length=64), nullable=False),
        sa.Column("agreement_id", sa.Uuid(), nullable=True),
        sa.Column("agreement_number", sa.Integer(), nullable=True),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("closed_by", sa.String(length=80), nullable=False),
        sa.Column("closed_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("tenant_id", "month", name="uq_services_kpi_closed_month_month"),
    )
    rls.tenant_table(TABLE, append_only=True)


def downgrade() -> None:
    rls.drop_tenant_table_policy(TABLE)
    op.drop_table(TABLE)
