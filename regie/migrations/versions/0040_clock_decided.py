"""A stored clock carries when its outcome was decided and whether its ticket ended rejected,
so a period's clock counts read one index range per kind and never the ticket's facts.

Before, "decided in the month" was two ranges (breached, or stopped) and every clock found was
joined to its ticket's facts by primary key to leave out rejected tickets: ~8,400 index probes
for a 100,000-ticket tenant's month, most of the supplier overview's time. The new index
holds what the counts read (the breach, the stop and the rejection), so PostgreSQL counts
without visiting the table. The breach index served only the old form and goes.

Existing rows are filled here: the decided moment from the clock's own columns, the rejection
from the ticket's KPI facts (the listener writes both from the same history from now on).

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLOCK, FACTS = "services_sla_clock", "services_kpi_ticket"
DECIDED, BREACHED = "ix_services_sla_clock_decided", "ix_services_sla_clock_breached"
FILL = (
    f"UPDATE {CLOCK} SET decided_at = CASE WHEN breached_at IS NOT NULL "  # noqa: S608
    "AND (stopped_at IS NULL OR breached_at <= stopped_at) THEN breached_at ELSE stopped_at END "
    "WHERE breached_at IS NOT NULL OR stopped_at IS NOT NULL",
    f"UPDATE {CLOCK} SET rejected = TRUE WHERE EXISTS (SELECT 1 FROM {FACTS} f "  # noqa: S608
    f"WHERE f.tenant_id = {CLOCK}.tenant_id AND f.ticket_id = {CLOCK}.ticket_id AND f.rejected)",
)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table(CLOCK, schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("decided_at", core.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("rejected", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The owner is under the tables' forced policies too, which show it no row without a
    # tenant: the fill covers every tenant with them lifted, inside this transaction.
    if postgres:
        for table in (CLOCK, FACTS):
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for statement in FILL:
        op.execute(statement)
    if postgres:
        for table in (CLOCK, FACTS):
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.drop_index(BREACHED, table_name=CLOCK)
    op.create_index(
        DECIDED,
        CLOCK,
        ["tenant_id", "kind", "decided_at"],
        postgresql_include=["breached_at", "stopped_at", "rejected"],
    )


def downgrade() -> None:
    op.drop_index(DECIDED, table_name=CLOCK)
    op.create_index(BREACHED, CLOCK, ["tenant_id", "kind", "breached_at"])
    with op.batch_alter_table(CLOCK, schema=None) as batch_op:
        batch_op.drop_column("rejected")
        batch_op.drop_column("decided_at")
