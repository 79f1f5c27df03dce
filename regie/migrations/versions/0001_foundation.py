"""Foundation: tenants, API keys, idempotency records, the outbox, the service catalogue.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "core_api_key",
    "core_idempotency_record",
    "core_outbox_message",
    "services_catalogue_entry",
)

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "core_tenant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("entra_tenant_id", sa.Uuid(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "suspended",
                "offboarded",
                name="tenantstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entra_tenant_id"),
    )
    with op.batch_alter_table("core_tenant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_core_tenant_slug"), ["slug"], unique=True)

    op.create_table(
        "core_api_key",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_core_api_key_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_api_key")),
    )
    op.create_table(
        "core_idempotency_record",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.JSON(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_idempotency_record_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "actor_id", "key", name=op.f("pk_core_idempotency_record")
        ),
    )
    op.create_table(
        "core_outbox_message",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "done", "failed", name="outboxstatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("available_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_core_outbox_message_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_core_outbox_message")),
    )
    with op.batch_alter_table("core_outbox_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_core_outbox_message_due", ["tenant_id", "status", "available_at"], unique=False
        )

    op.create_table(
        "services_catalogue_entry",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=4000), nullable=False),
        sa.Column(
            "domain",
            sa.Enum(
                "A", "B", "C", "D", "E", "F", name="servicedomain", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("subdomain", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "retired", name="servicestatus", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_services_catalogue_entry_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_services_catalogue_entry")),
        sa.UniqueConstraint("tenant_id", "code", name="uq_services_catalogue_entry_code"),
    )
    op.create_index(
        "ix_services_catalogue_entry_name",
        "services_catalogue_entry",
        ["tenant_id", "name", "id"],
    )
    op.create_index(
        "ix_services_catalogue_entry_created",
        "services_catalogue_entry",
        ["tenant_id", "created_at", "id"],
    )

    # The tenancy itself is global: the app may read and add tenants, never remove them.
    rls.grant("core_tenant", "SELECT, INSERT, UPDATE")
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_index("ix_services_catalogue_entry_created", "services_catalogue_entry")
    op.drop_index("ix_services_catalogue_entry_name", "services_catalogue_entry")
    op.drop_table("services_catalogue_entry")
    with op.batch_alter_table("core_outbox_message", schema=None) as batch_op:
        batch_op.drop_index("ix_core_outbox_message_due")

    op.drop_table("core_outbox_message")
    op.drop_table("core_idempotency_record")
    op.drop_table("core_api_key")
    with op.batch_alter_table("core_tenant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_core_tenant_slug"))

    op.drop_table("core_tenant")
