"""The conversation on a ticket: messages (public replies, internal notes) and attachments.

An attachment's bytes live in their own table, so listing attachments never loads them and
the audit log records the metadata (with the SHA-256) while the bytes stay masked.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, ForeignKeyConstraint, Index, LargeBinary
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class Visibility(enum.StrEnum):
    public = "public"  # the reporter reads it
    internal = "internal"  # agents and readers only


class Message(TenantScoped, table=True):
    __tablename__ = "tickets_message"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets_ticket.tenant_id", "tickets_ticket.id"]
        ),
        Index("ix_tickets_message_ticket", "tenant_id", "ticket_id", "created_at", "id"),
    )
    __audited__ = True
    # Free text may hold personal data that gets redacted; the immutable log keeps a digest.
    __audit_digested__ = ("body",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    ticket_id: uuid.UUID
    author: str = Field(max_length=80)  # the principal's label, e.g. user:<id>
    author_id: uuid.UUID
    author_name: str = Field(max_length=200)
    # Whether the ticket's reporter wrote it (else someone on the supplier's side).
    by_reporter: bool = False
    visibility: Visibility = Field(sa_type=enum_type(Visibility))
    body: str = Field(max_length=20000)
    redacted: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Attachment(TenantScoped, table=True):
    __tablename__ = "tickets_attachment"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets_ticket.tenant_id", "tickets_ticket.id"]
        ),
        ForeignKeyConstraint(
            ["tenant_id", "message_id"], ["tickets_message.tenant_id", "tickets_message.id"]
        ),
        Index("ix_tickets_attachment_ticket", "tenant_id", "ticket_id", "created_at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("file_name",)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None = None
    visibility: Visibility = Field(sa_type=enum_type(Visibility))
    file_name: str = Field(max_length=255)
    content_type: str = Field(max_length=100)  # sniffed from the bytes, never the client's
    size: int
    sha256: str = Field(max_length=64)
    uploaded_by: str = Field(max_length=80)
    uploaded_by_name: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AttachmentContent(TenantScoped, table=True):
    __tablename__ = "tickets_attachment_content"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "attachment_id"],
            ["tickets_attachment.tenant_id", "tickets_attachment.id"],
        ),
    )
    __audited__ = True
    __audit_masked__ = ("data",)

    attachment_id: uuid.UUID = Field(primary_key=True)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
