"""Tenant exports requested through the API: jobs the worker runs.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TABLE = "exit_export_job"
STATES = sa.Enum(
    "queued", "running", "done", "failed", name="jobstate", native_enum=False, length=20
)

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state", STATES, nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(
        "ix_exit_export_job_created", TABLE, ["tenant_id", "created_at", "id"], unique=False
    )
    rls.tenant_table(TABLE)


def downgrade() -> None:
    rls.drop_tenant_table_policy(TABLE)
    op.drop_index("ix_exit_export_job_created", table_name=TABLE)
    op.drop_table(TABLE)
