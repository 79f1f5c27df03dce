"""The DAP (Dossier Afspraken en Procedures) per tenant, one row per version.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "services_dap_version",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("report_recipients", sa.JSON(), nullable=False),
        sa.Column("escalation_contacts", sa.JSON(), nullable=False),
        sa.Column("weekly_windows", sa.JSON(), nullable=False),
        sa.Column("one_off_windows", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_dap_version_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_dap_version")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_services_dap_version_number"),
    )
    with op.batch_alter_table("services_dap_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_services_dap_version_effective",
            ["tenant_id", "effective_from", "number"],
            unique=False,
        )
    rls.tenant_table("services_dap_version")


def downgrade() -> None:
    rls.drop_tenant_table_policy("services_dap_version")
    with op.batch_alter_table("services_dap_version", schema=None) as batch_op:
        batch_op.drop_index("ix_services_dap_version_effective")
    op.drop_table("services_dap_version")
