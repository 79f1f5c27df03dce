"""API shapes of a ticket's messages and attachments."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from tickets.conversation.models import Visibility

Body = Annotated[str, StringConstraints(min_length=1, max_length=20000)]


class MessageCreate(ApiModel):
    body: Body
    visibility: Visibility = Field(
        Visibility.public, description="internal: a note only agents and readers see"
    )


class MessagePublic(ApiModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    author: str
    author_name: str
    by_reporter: bool = Field(description="Written by the ticket's reporter")
    visibility: Visibility
    body: str
    redacted: bool
    created_at: datetime


class MessagePage(Page[MessagePublic]):
    """One page of messages, oldest first; pass nextCursor back as `cursor` for the next."""


class AttachmentPublic(ApiModel):
    id: uuid.UUID
    ticket_id: uuid.UUID
    message_id: uuid.UUID | None
    visibility: Visibility
    file_name: str
    content_type: str = Field(description="Determined from the bytes, not from the upload")
    size: int
    sha256: str = Field(description="SHA-256 of the bytes, hexadecimal")
    uploaded_by: str
    uploaded_by_name: str
    created_at: datetime


class AttachmentList(ApiModel):
    items: list[AttachmentPublic]
