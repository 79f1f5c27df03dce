"""Saved views: each person's named filters of a web page, in their own tenant.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TABLE = "web_saved_view"

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_oid", sa.Uuid(), nullable=False),
        sa.Column("page", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("query", sa.String(length=1000), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
        sa.UniqueConstraint(
            "tenant_id", "owner_oid", "page", "name", name="uq_web_saved_view_name"
        ),
    )
    op.create_index(
        "ix_web_saved_view_owner", TABLE, ["tenant_id", "owner_oid", "page"], unique=False
    )
    rls.tenant_table(TABLE)


def downgrade() -> None:
    rls.drop_tenant_table_policy(TABLE)
    op.drop_index("ix_web_saved_view_owner", table_name=TABLE)
    op.drop_table(TABLE)
