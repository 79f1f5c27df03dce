"""Ticket conversation: messages, attachments with their content, notifications and the
addresses people want them mailed to.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.types
from regie.migrations import rls

TENANT_TABLES = (
    "tickets_message",
    "tickets_attachment",
    "tickets_attachment_content",
    "tickets_mail",
    "tickets_mail_address",
)

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "tickets_mail_address",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_mail_address_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "person_id", name=op.f("pk_tickets_mail_address")),
    )
    op.create_table(
        "tickets_mail",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("ticket_number", sa.String(length=20), nullable=False),
        sa.Column("notice", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(length=8000), nullable=False),
        sa.Column(
            "delivery",
            sa.Enum("smtp", "mailbox", name="delivery", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", core.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["tickets_ticket.tenant_id", "tickets_ticket.id"],
            name=op.f("fk_tickets_mail_tenant_id_tickets_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_mail_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_mail")),
    )
    with op.batch_alter_table("tickets_mail", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_mail_created", ["tenant_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_mail_recipient",
            ["tenant_id", "recipient_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "tickets_message",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(length=80), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("by_reporter", sa.Boolean(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum("public", "internal", name="visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("body", sa.String(length=20000), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["tickets_ticket.tenant_id", "tickets_ticket.id"],
            name=op.f("fk_tickets_message_tenant_id_tickets_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["core_tenant.id"], name=op.f("fk_tickets_message_tenant_id_core_tenant")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_message")),
    )
    with op.batch_alter_table("tickets_message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_message_ticket",
            ["tenant_id", "ticket_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "tickets_attachment",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ticket_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum("public", "internal", name="visibility", native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by", sa.String(length=80), nullable=False),
        sa.Column("uploaded_by_name", sa.String(length=200), nullable=False),
        sa.Column("created_at", core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "message_id"],
            ["tickets_message.tenant_id", "tickets_message.id"],
            name=op.f("fk_tickets_attachment_tenant_id_tickets_message"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "ticket_id"],
            ["tickets_ticket.tenant_id", "tickets_ticket.id"],
            name=op.f("fk_tickets_attachment_tenant_id_tickets_ticket"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_attachment_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_tickets_attachment")),
    )
    with op.batch_alter_table("tickets_attachment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_attachment_ticket",
            ["tenant_id", "ticket_id", "created_at", "id"],
            unique=False,
        )

    op.create_table(
        "tickets_attachment_content",
        sa.Column("tenant_id", sa.Uuid(), nullable=False),
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "attachment_id"],
            ["tickets_attachment.tenant_id", "tickets_attachment.id"],
            name=op.f("fk_tickets_attachment_content_tenant_id_tickets_attachment"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["core_tenant.id"],
            name=op.f("fk_tickets_attachment_content_tenant_id_core_tenant"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "attachment_id", name=op.f("pk_tickets_attachment_content")
        ),
    )
    for table in TENANT_TABLES:
        rls.tenant_table(table)


def downgrade() -> None:
    for table in TENANT_TABLES:
        rls.drop_tenant_table_policy(table)
    op.drop_table("tickets_attachment_content")
    with op.batch_alter_table("tickets_attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_attachment_ticket")

    op.drop_table("tickets_attachment")
    with op.batch_alter_table("tickets_message", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_message_ticket")

    op.drop_table("tickets_message")
    with op.batch_alter_table("tickets_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_mail_recipient")
        batch_op.drop_index("ix_tickets_mail_created")

    op.drop_table("tickets_mail")
    op.drop_table("tickets_mail_address")
