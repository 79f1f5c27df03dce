"""All SQL of the conversation. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from tickets.conversation.models import Attachment, AttachmentContent, Message, Visibility


def messages(
    session: Session,
    ticket_id: uuid.UUID,
    *,
    public_only: bool,
    limit: int,
    after: list[Any] | None,
) -> list[Message]:
    """A page of a ticket's messages, oldest first; reporters see the public ones only."""
    stmt = select(Message).where(Message.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(Message.visibility == Visibility.public)
    typed = typed_cursor(after, timestamp=True)
    stmt = keyset(stmt, col(Message.created_at), col(Message.id), descending=False, after=typed)
    return list(session.exec(stmt.limit(limit)))


def cursor_values(message: Message) -> list[Any]:
    """The keyset cursor after this message, for the next page."""
    return [message.created_at.isoformat(), str(message.id)]


def message(session: Session, ticket_id: uuid.UUID, message_id: uuid.UUID) -> Message | None:
    """One message, only when it belongs to the ticket named in the path."""
    stmt = select(Message).where(Message.ticket_id == ticket_id, Message.id == message_id)
    return session.exec(stmt).first()


def attachments(session: Session, ticket_id: uuid.UUID, *, public_only: bool) -> list[Attachment]:
    """A ticket's attachments, oldest first; reporters see the public ones only."""
    stmt = select(Attachment).where(Attachment.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(Attachment.visibility == Visibility.public)
    stmt = stmt.order_by(col(Attachment.created_at), col(Attachment.id))
    return list(session.exec(stmt))


def attachment(
    session: Session, ticket_id: uuid.UUID, attachment_id: uuid.UUID
) -> Attachment | None:
    """One attachment, only when it belongs to the ticket named in the path."""
    stmt = select(Attachment).where(
        Attachment.ticket_id == ticket_id, Attachment.id == attachment_id
    )
    return session.exec(stmt).first()


def content(session: Session, attachment_id: uuid.UUID) -> bytes | None:
    """An attachment's bytes, kept apart so that listing attachments never loads them."""
    stmt = select(AttachmentContent.data).where(AttachmentContent.attachment_id == attachment_id)
    return session.exec(stmt).first()


def all_messages(session: Session, ticket_id: uuid.UUID) -> list[Message]:
    """Every message of a ticket, oldest first, for redacting personal data in all of them."""
    stmt = (
        select(Message)
        .where(Message.ticket_id == ticket_id)
        .order_by(col(Message.created_at), col(Message.id))
    )
    return list(session.exec(stmt))
