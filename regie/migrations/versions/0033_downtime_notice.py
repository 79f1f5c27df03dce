"""Per tenant: how many days ahead a change's downtime is announced to the DAP's contacts.

Revision ID: 0033
Revises: 0030
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("changes_settings") as batch:
        batch.add_column(
            sa.Column("downtime_notice_days", sa.Integer(), nullable=False, server_default="5")
        )


def downgrade() -> None:
    with op.batch_alter_table("changes_settings") as batch:
        batch.drop_column("downtime_notice_days")
