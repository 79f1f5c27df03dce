"""Redaction: personal data leaves a ticket's text and messages, and is kept nowhere."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.api import idempotency
from core.api.etag import check_if_match
from core.api.openapi import API_PREFIX
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import guard, permissions
from tickets.conversation.service import redact_messages
from tickets.models import EventKind, Ticket
from tickets.service import get_ticket, record


def redact(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, if_match: str | None
) -> Ticket:
    """Replace the personal data found in the ticket's text and messages by markers.

    The audit log holds only digests of that text, and stored answers of earlier creates of
    this ticket are dropped, so the original survives nowhere."""
    actor.require(permissions.WORK)
    ticket = get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    check_if_match(if_match, ticket.version)
    messages = redact_messages(session, ticket)
    fields = guard.redact_ticket(ticket)
    if not fields and not messages:
        return ticket
    record(session, actor, ticket, EventKind.redacted, fields=fields, messages=messages)
    idempotency.forget(session, f"{API_PREFIX}/tickets/{ticket.id}")
    ticket.updated_at = utcnow()
    session.flush()
    return ticket
