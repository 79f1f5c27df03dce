"""Notifications as sent (or kept in the local mailbox), and where people want them mailed."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import ForeignKeyConstraint, Index
from sqlmodel import Field

from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class Delivery(enum.StrEnum):
    smtp = "smtp"  # handed to the SMTP server
    mailbox = "mailbox"  # kept here only: no SMTP server configured or no address known


class Mail(TenantScoped, table=True):
    """One notification to one person. Its id is the outbox message's, so handling the same
    message again finds it instead of sending twice."""

    __tablename__ = "tickets_mail"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "ticket_id"], ["tickets_ticket.tenant_id", "tickets_ticket.id"]
        ),
        Index("ix_tickets_mail_recipient", "tenant_id", "recipient_id", "created_at", "id"),
        Index("ix_tickets_mail_created", "tenant_id", "created_at", "id"),
    )
    __audited__ = True
    __audit_digested__ = ("email", "subject", "body")

    id: uuid.UUID = Field(primary_key=True)
    recipient_id: uuid.UUID
    recipient_name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=320)
    ticket_id: uuid.UUID
    ticket_number: str = Field(max_length=20)
    notice: str = Field(max_length=40)
    subject: str = Field(max_length=300)
    body: str = Field(max_length=8000)
    delivery: Delivery = Field(sa_type=enum_type(Delivery))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MailAddress(TenantScoped, table=True):
    """The address a person wants ticket notifications sent to (people are keyed by id, and
    their tokens carry no address Regie may rely on)."""

    __tablename__ = "tickets_mail_address"
    __audited__ = True
    __audit_digested__ = ("email",)

    person_id: uuid.UUID = Field(primary_key=True)
    email: str = Field(max_length=320)
    version: int = 1
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
