"""Identity: grants of roles per tenant; tenant kind and required authentication context.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_grant",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "subject_kind",
            sa.Enum("user", "group", name="subjectkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("subject_tid", sa.Uuid(), nullable=False),
        sa.Column("subject_oid", sa.Uuid(), nullable=False),
        sa.Column("subject_name", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "agent-line-1",
                "agent-line-2",
                "agent-line-3",
                "problem-manager",
                "change-manager",
                "service-level-manager",
                "security-officer",
                "supplier-admin",
                "reporter",
                "key-user",
                "product-owner",
                "kpi-viewer",
                "client-admin",
                "auditor",
                name="role",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("granted_by", sa.String(length=200), nullable=False),
        sa.Column("granted_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_core_grant_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_grant")),
    )
    with op.batch_alter_table("core_grant", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_grant_subject", ["tenant_id", "subject_tid", "subject_oid"], unique=False
        )

    with op.batch_alter_table("core_tenant", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum("client", "supplier", name="tenantkind", native_enum=False, length=20),
                nullable=False,
                server_default="client",
            )
        )
        batch_op.add_column(sa.Column("auth_context_id", sa.String(length=40), nullable=True))

    rls.tenant_table("core_grant")


def downgrade() -> None:
    rls.drop_tenant_table_policy("core_grant")
    with op.batch_alter_table("core_tenant", schema=None) as batch_op:
        batch_op.drop_column("auth_context_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("core_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_core_grant_subject")

    op.drop_table("core_grant")
