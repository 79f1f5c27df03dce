"""Incident class: platform or application, whose restore clock runs and which KPI counts it.

Backfill: every existing incident becomes `platform`, the default of new incidents (the
stricter target, so no incident flatters the figures before an agent classifies it); other
types stay without a class. Their KPI facts carry the same class, and the application restore
clocks of incidents are dropped, so the stored clocks already match what `regie sla
recompute` rebuilds (each clock kind is computed on its own: the others are unchanged).
Closed months keep their frozen figures. An agent reclassifies with
`POST /tickets/{id}/class-changes`, an audited history row.

On PostgreSQL the tables force row-level security on their owner too; the backfill lifts
that for its own statements only, inside this migration's transaction.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TICKETS, FACTS, CLOCKS = "tickets_ticket", "services_kpi_ticket", "services_sla_clock"
BACKFILL = (
    f"UPDATE {TICKETS} SET incident_class = 'platform' WHERE type = 'incident'",  # noqa: S608
    f"UPDATE {FACTS} SET incident_class = 'platform' WHERE type = 'incident'",  # noqa: S608
    f"DELETE FROM {CLOCKS} WHERE kind = 'restore_application' AND EXISTS ("  # noqa: S608
    f"SELECT 1 FROM {TICKETS} t WHERE t.tenant_id = {CLOCKS}.tenant_id "
    f"AND t.id = {CLOCKS}.ticket_id AND t.type = 'incident')",
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for table in (TICKETS, FACTS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("incident_class", sa.String(length=12), nullable=True))
    tables = (TICKETS, FACTS, CLOCKS)
    if _postgres():
        for table in tables:
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for statement in BACKFILL:
        op.execute(statement)
    if _postgres():
        for table in tables:
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    for table in (FACTS, TICKETS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("incident_class")
