"""Identity: grants of roles, access reviews, web sessions and sign-in state per tenant; tenant kind,
required authentication context and session limits.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "core_grant",
    "core_login_attempt",
    "core_web_session",
    "core_access_review",
    "core_access_review_item",
)

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

    op.create_table(
        "core_login_attempt",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_login_attempt_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "state", name=op.f("pk_core_login_attempt")),
    )
    op.create_table(
        "core_web_session",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("user_tid", sa.Uuid(), nullable=True),
        sa.Column("user_oid", sa.Uuid(), nullable=False),
        sa.Column("user_name", sa.String(length=200), nullable=False),
        sa.Column("app_roles", sa.JSON(), nullable=False),
        sa.Column("id_token", sa.String(length=8000), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ended_reason", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_web_session_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_web_session")),
    )
    with op.batch_alter_table("core_web_session", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_web_session_user", ["tenant_id", "user_tid", "user_oid"], unique=False
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
        batch_op.add_column(
            sa.Column("session_idle_minutes", sa.Integer(), nullable=False, server_default="30")
        )
        batch_op.add_column(
            sa.Column(
                "session_absolute_minutes", sa.Integer(), nullable=False, server_default="600"
            )
        )

    op.create_table(
        "core_access_review",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("reviewer_tid", sa.Uuid(), nullable=True),
        sa.Column("reviewer_oid", sa.Uuid(), nullable=False),
        sa.Column("reviewer_name", sa.String(length=200), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.Column("started_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_access_review_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_access_review")),
    )
    op.create_table(
        "core_access_review_item",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("grant_id", sa.Uuid(), nullable=False),
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
        sa.Column("last_sign_in_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "decision",
            sa.Enum(
                "pending",
                "confirmed",
                "revoked",
                name="reviewdecision",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "grant_id"],
            ["core_grant.tenant_id", "core_grant.id"],
            name=op.f("fk_core_access_review_item_tenant_id_core_grant"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "review_id"],
            ["core_access_review.tenant_id", "core_access_review.id"],
            name=op.f("fk_core_access_review_item_tenant_id_core_access_review"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_access_review_item_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_access_review_item")),
    )

    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("core_access_review_item")
    op.drop_table("core_access_review")
    with op.batch_alter_table("core_tenant", schema=None) as batch_op:
        batch_op.drop_column("session_absolute_minutes")
        batch_op.drop_column("session_idle_minutes")
        batch_op.drop_column("auth_context_id")
        batch_op.drop_column("kind")

    with op.batch_alter_table("core_web_session", schema=None) as batch_op:
        batch_op.drop_index("ix_core_web_session_user")

    op.drop_table("core_web_session")
    op.drop_table("core_login_attempt")
    with op.batch_alter_table("core_grant", schema=None) as batch_op:
        batch_op.drop_index("ix_core_grant_subject")

    op.drop_table("core_grant")
