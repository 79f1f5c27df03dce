"""Agreement versions are kept as written: the application role may read and add them, no
longer change or remove them (PostgreSQL).

A change of terms has always been a new version; nothing in the application updates or
deletes one (a tenant's removal runs as the owner). The database now holds to it, so that a
version read once may be kept by its id in every process (`services.sla.repository`).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

from regie.migrations import rls

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "services_sla_agreement"


def upgrade() -> None:
    role = rls.app_role()
    if op.get_bind().dialect.name == "postgresql" and role:
        op.execute(f'REVOKE UPDATE, DELETE ON {TABLE} FROM "{role}"')


def downgrade() -> None:
    rls.grant(TABLE, "UPDATE, DELETE")
