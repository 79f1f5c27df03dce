"""Each change's calendar entry kept as the JSON the calendar answers, conflicts included.

A month's calendar across 20 clients is ~8,500 entries; computing each one's conflicts (the
live changes around it, the CMDB's paths between their CIs, the DAP's maintenance windows)
and its JSON on every read cost ~500 ms of CPU. The rows start empty: a change without an
entry is computed as before until the worker has written it.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from regie.migrations import rls

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "changes_calendar_entry"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("change_id", sa.Uuid(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("entry", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{TABLE}_tenant_id_core_tenant")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "change_id"],
            ["changes_change.tenant_id", "changes_change.id"],
            name="fk_changes_calendar_entry_change",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "change_id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(
        "ix_changes_calendar_entry_stale",
        TABLE,
        ["tenant_id", "change_id"],
        sqlite_where=sa.text("entry IS NULL"),
        postgresql_where=sa.text("entry IS NULL"),
    )
    rls.tenant_table(TABLE)


def downgrade() -> None:
    rls.drop_tenant_table_policy(TABLE)
    op.drop_index("ix_changes_calendar_entry_stale", table_name=TABLE)
    op.drop_table(TABLE)
