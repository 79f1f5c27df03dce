"""CI imports (a file, its state and its report), and the CI that stands for a supplier.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TABLE = "cmdb_ci_import"

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = sa.Enum(
    "queued", "running", "done", "failed", name="importstate", native_enum=False, length=20
)
FORMATS = sa.Enum("csv", "json", name="importformat", native_enum=False, length=20)


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("class_id", sa.Uuid(), nullable=False),
        sa.Column("format", FORMATS, nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("state", STATES, nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=100), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index("ix_cmdb_ci_import_created", TABLE, ["tenant_id", "created_at", "id"])
    rls.tenant_table(TABLE)
    with op.batch_alter_table("services_supplier") as batch_op:
        batch_op.add_column(sa.Column("ci_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_services_supplier_ci", ["tenant_id", "ci_id"])


def downgrade() -> None:
    with op.batch_alter_table("services_supplier") as batch_op:
        batch_op.drop_index("ix_services_supplier_ci")
        batch_op.drop_column("ci_id")
    rls.drop_tenant_table_policy(TABLE)
    op.drop_index("ix_cmdb_ci_import_created", table_name=TABLE)
    op.drop_table(TABLE)
