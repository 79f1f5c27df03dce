"""API shapes of the mailbox and of a person's notification address."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import EmailStr, Field

from core.api.pagination import Page
from core.api.schemas import ApiModel
from tickets.mail.models import Delivery


class MailPublic(ApiModel):
    id: uuid.UUID
    recipient_id: uuid.UUID
    recipient_name: str
    email: str | None = Field(description="The address it was sent to, when it was mailed")
    ticket_id: uuid.UUID
    ticket_number: str
    notice: str = Field(description="confirmation, assignment, escalation, status, reply, ...")
    subject: str
    body: str
    delivery: Delivery
    created_at: datetime
    sent_at: datetime | None


class MailPage(Page[MailPublic]):
    """One page of notifications, newest first; pass nextCursor back as `cursor`."""


class AddressUpdate(ApiModel):
    email: EmailStr = Field(max_length=320)


class AddressPublic(ApiModel):
    email: str
    version: int
    updated_at: datetime
