"""Outages, for the monthly availability within service hours.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "services_availability_outage"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "scope",
            sa.Enum(
                "platform", "application", "service", name="scope", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column("attributable", sa.Boolean(), nullable=False),
        sa.Column(
            "cause",
            sa.Enum(
                "supplier",
                "client-landscape",
                "third-party",
                "internet",
                "unknown",
                name="cause",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("planned", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_services_availability_outage_number"),
        sa.UniqueConstraint(
            "tenant_id", "incident_id", name="uq_services_availability_outage_incident"
        ),
    )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_availability_outage_start", ["tenant_id", "start_at", "id"], unique=False
        )
    rls.tenant_table(TABLE)


def downgrade() -> None:
    rls.drop_tenant_table_policy(TABLE)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index("ix_services_availability_outage_start")
    op.drop_table(TABLE)
