"""Monthly service level reports: jobs, their files, and the scheduled report per month.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = sa.Enum(
    "queued", "running", "done", "failed", name="jobstate", native_enum=False, length=20
)


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{table}_tenant_id_core_tenant")
    )


def _job_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "job_id"],
        ["services_report_job.tenant_id", "services_report_job.id"],
        name=op.f(f"fk_{table}_tenant_id_services_report_job"),
    )


def upgrade() -> None:
    op.create_table(
        "services_report_job",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("state", STATES, nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("mail", sa.Boolean(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", core.types.UTCDateTime(timezone=True), nullable=True),
        _tenant_fk("services_report_job"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_report_job")),
    )
    op.create_index(
        "ix_services_report_job_created",
        "services_report_job",
        ["tenant_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "services_report_file",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        _tenant_fk("services_report_file"),
        _job_fk("services_report_file"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "job_id", "format", name=op.f("pk_services_report_file")
        ),
    )
    op.create_table(
        "services_report_monthly",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("job_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        _tenant_fk("services_report_monthly"),
        _job_fk("services_report_monthly"),
        sa.PrimaryKeyConstraint("tenant_id", "month", name=op.f("pk_services_report_monthly")),
    )
    for table in ("services_report_job", "services_report_file", "services_report_monthly"):
        rls.tenant_table(table)


def downgrade() -> None:
    for table in ("services_report_monthly", "services_report_file", "services_report_job"):
        rls.drop_tenant_table_policy(table)
        op.drop_table(table)
