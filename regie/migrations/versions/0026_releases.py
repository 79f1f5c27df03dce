"""Releases: a version of the client's software bundling changes, its deployments and
rollbacks per DTAP environment, and the client's acceptance sign-offs.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = ("changes_release", "changes_deployment", "changes_release_sign_off")
ENVIRONMENTS = ("development", "test", "acceptance", "production")

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _tenant_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id"], ["core_tenant.id"], name=op.f(f"fk_{table}_tenant_id_core_tenant")
    )


def _release_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "release_id"],
        ["changes_release.tenant_id", "changes_release.id"],
        name=f"fk_{table}_release",
    )


def upgrade() -> None:
    with op.batch_alter_table("changes_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("next_release_number", sa.Integer(), nullable=False, server_default="1")
        )
    op.create_table(
        "changes_release",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=20000), nullable=True),
        sa.Column("release_version", sa.String(length=60), nullable=False),
        sa.Column("change_ids", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("created_by_name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        _tenant_fk("changes_release"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_release")),
        sa.UniqueConstraint("tenant_id", "number", name="uq_changes_release_number"),
    )
    op.create_index(
        "ix_changes_release_created", "changes_release", ["tenant_id", "created_at", "id"]
    )
    op.create_table(
        "changes_deployment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("deployment", "rollback", name="deploymentkind", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column(
            "environment",
            sa.Enum(*ENVIRONMENTS, name="environment", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("release_version", sa.String(length=60), nullable=False),
        sa.Column("replaced_version", sa.String(length=60), nullable=True),
        sa.Column(
            "result",
            sa.Enum("succeeded", "failed", name="deploymentresult", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("log_url", sa.String(length=2000), nullable=True),
        sa.Column("notes", sa.String(length=4000), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", core.types.UTCDateTime(timezone=True), nullable=False),
        _release_fk("changes_deployment"),
        _tenant_fk("changes_deployment"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_deployment")),
    )
    op.create_index(
        "ix_changes_deployment_release",
        "changes_deployment",
        ["tenant_id", "release_id", "at", "id"],
    )
    op.create_table(
        "changes_release_sign_off",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("release_id", sa.Uuid(), nullable=False),
        sa.Column("release_version", sa.String(length=60), nullable=False),
        sa.Column("signed_by", sa.String(length=80), nullable=False),
        sa.Column("signed_by_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=4000), nullable=True),
        sa.Column("at", core.types.UTCDateTime(timezone=True), nullable=False),
        _release_fk("changes_release_sign_off"),
        _tenant_fk("changes_release_sign_off"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_changes_release_sign_off")),
        sa.UniqueConstraint(
            "tenant_id", "release_id", "release_version", name="uq_changes_sign_off_version"
        ),
    )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("changes_release_sign_off")
    op.drop_index("ix_changes_deployment_release", table_name="changes_deployment")
    op.drop_table("changes_deployment")
    op.drop_index("ix_changes_release_created", table_name="changes_release")
    op.drop_table("changes_release")
    with op.batch_alter_table("changes_settings", schema=None) as batch_op:
        batch_op.drop_column("next_release_number")
