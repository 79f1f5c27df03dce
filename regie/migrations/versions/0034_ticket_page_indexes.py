"""Indexes behind two web pages on a large desk: a CI's tickets, and the open tickets that the
work queue and the dashboard read (by line and priority, without visiting closed ones).

The open-ticket index is partial: its statuses are tickets.lifecycle.OPEN. Were a status added
to OPEN, queries naming it would no longer match the predicate and simply not use the index.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text(
    "status IN ('new', 'assigned', 'in-progress', 'waiting-reporter', "
    "'waiting-third-party', 'waiting-change', 'needs-information')"
)


def upgrade() -> None:
    op.create_index(
        "ix_tickets_ticket_ci", "tickets_ticket", ["tenant_id", "ci_id", "created_at", "id"]
    )
    op.create_index(
        "ix_tickets_ticket_open",
        "tickets_ticket",
        ["tenant_id", "line", "priority", "created_at", "id"],
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_ticket_open", table_name="tickets_ticket")
    op.drop_index("ix_tickets_ticket_ci", table_name="tickets_ticket")
