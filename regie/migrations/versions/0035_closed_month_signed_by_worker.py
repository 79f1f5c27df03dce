"""Closed months signed by the worker: `signature` and `key_id` are empty until the worker,
which holds the audit signing key, signs the snapshot that the closing request stored.

Both are set together or neither (a check constraint). Months signed before this revision
keep their signature. On PostgreSQL the application role, which could only insert and read
closed months, may now update these two columns and no other.

The downgrade makes both columns required again, so it fails while a month awaits its
signature: let the worker sign first.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from regie.migrations import rls

TABLE = "services_kpi_closed_month"
SIGNED = "ck_services_kpi_closed_month_signed"

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column("signature", existing_type=sa.String(length=128), nullable=True)
        batch_op.alter_column("key_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.create_check_constraint(
            op.f(SIGNED), sa.text("(signature IS NULL) = (key_id IS NULL)")
        )
    rls.grant(TABLE, "UPDATE (signature, key_id)")


def downgrade() -> None:
    role = rls.app_role()
    if op.get_bind().dialect.name == "postgresql" and role:
        op.execute(f'REVOKE UPDATE (signature, key_id) ON {TABLE} FROM "{role}"')
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(op.f(SIGNED), type_="check")
        batch_op.alter_column("key_id", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("signature", existing_type=sa.String(length=128), nullable=False)
