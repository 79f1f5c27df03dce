"""Alert CI rules: which configuration item alerts concern, by their labels; each fold
records the rule its last alert matched and the CI that gave.

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TABLE = "tickets_alert_ci_rule"
FOLD = "tickets_alert_fold"

revision: str = "0030"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("match", sa.JSON(), nullable=True),
        sa.Column("match_key", sa.String(length=64), nullable=False),
        sa.Column("ci_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint("tenant_id", "match_key", name="uq_tickets_alert_ci_rule_match"),
    )
    rls.tenant_table(TABLE)
    with op.batch_alter_table(FOLD) as batch:
        batch.add_column(sa.Column("ci_rule_id", sa.Uuid(), nullable=True))
        batch.add_column(sa.Column("ci_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table(FOLD) as batch:
        batch.drop_column("ci_id")
        batch.drop_column("ci_rule_id")
    rls.drop_tenant_table_policy(TABLE)
    op.drop_table(TABLE)
