"""SCIM provisioning: secrets, provisioned users and groups, group memberships.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "core_scim_credential",
    "core_scim_group",
    "core_scim_user",
    "core_scim_member",
)

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_scim_credential",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_scim_credential_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_scim_credential")),
    )
    op.create_table(
        "core_scim_group",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=300), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("directory_id", sa.Uuid(), nullable=True),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_core_scim_group_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_scim_group")),
    )
    with op.batch_alter_table("core_scim_group", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_scim_group_object", ["tenant_id", "directory_id", "object_id"], unique=False
        )

    op.create_table(
        "core_scim_user",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_name", sa.String(length=300), nullable=False),
        sa.Column("user_name_key", sa.String(length=300), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=True),
        sa.Column("directory_id", sa.Uuid(), nullable=True),
        sa.Column("object_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_core_scim_user_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_scim_user")),
    )
    with op.batch_alter_table("core_scim_user", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_scim_user_object", ["tenant_id", "directory_id", "object_id"], unique=False
        )
        batch_op.create_index(
            "uq_core_scim_user_user_name_key", ["tenant_id", "user_name_key"], unique=True
        )

    op.create_table(
        "core_scim_member",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display", sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "group_id"],
            ["core_scim_group.tenant_id", "core_scim_group.id"],
            name=op.f("fk_core_scim_member_tenant_id_core_scim_group"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["core_scim_user.tenant_id", "core_scim_user.id"],
            name=op.f("fk_core_scim_member_tenant_id_core_scim_user"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_scim_member_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "group_id", "user_id", name=op.f("pk_core_scim_member")
        ),
    )
    with op.batch_alter_table("core_scim_member", schema=None) as batch_op:
        batch_op.create_index("ix_core_scim_member_user", ["tenant_id", "user_id"], unique=False)

    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    with op.batch_alter_table("core_scim_member", schema=None) as batch_op:
        batch_op.drop_index("ix_core_scim_member_user")

    op.drop_table("core_scim_member")
    with op.batch_alter_table("core_scim_user", schema=None) as batch_op:
        batch_op.drop_index("uq_core_scim_user_user_name_key")
        batch_op.drop_index("ix_core_scim_user_object")

    op.drop_table("core_scim_user")
    with op.batch_alter_table("core_scim_group", schema=None) as batch_op:
        batch_op.drop_index("ix_core_scim_group_object")

    op.drop_table("core_scim_group")
    op.drop_table("core_scim_credential")
