"""Who is told what when a ticket's history grows, and the delivery of each notice.

The listener runs inside the transaction that added the history row and only queues outbox
messages, so a rolled-back change tells nobody. The outbox handler renders the notice and
mails it when an SMTP server is configured and the person left an address; otherwise it is
kept in the local mailbox. Either way the mail row carries the outbox message id as its key,
so handling a message again never makes a second notification.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import structlog
from sqlmodel import Session

from core.outbox.models import OutboxMessage
from core.outbox.service import handler, publish
from core.settings import get_settings
from core.types import utcnow
from tickets.events import TicketEventRecorded
from tickets.mail import repository, smtp
from tickets.mail.models import Delivery, Mail
from tickets.models import EventKind, Ticket, TicketEvent

TOPIC = "tickets.notify"
log = structlog.get_logger("regie.tickets.notifications")


@dataclass(frozen=True)
class Notice:
    recipient_id: uuid.UUID
    recipient_name: str
    notice: str
    detail: str = ""


def on_ticket_event(event: TicketEventRecorded) -> None:
    """Queue the notices this history row calls for, in the same transaction."""
    ticket = event.ticket
    for notice in notices(ticket, event.event):
        publish(
            event.session,
            TOPIC,
            {
                "ticketId": str(ticket.id),
                "number": ticket.number,
                "title": ticket.title,
                "notice": notice.notice,
                "recipientId": str(notice.recipient_id),
                "recipientName": notice.recipient_name,
                "detail": notice.detail,
            },
        )


def notices(ticket: Ticket, event: TicketEvent) -> list[Notice]:
    """Confirmation to the reporter on intake; otherwise the person concerned, unless they
    made the change themselves."""
    if event.kind == EventKind.created:
        return [Notice(ticket.reporter_id, ticket.reporter_name, "confirmation")]
    found = _concerned(ticket, event)
    if found is None or found.recipient_id == _actor_id(event.actor):
        return []
    return [found]


def _concerned(ticket: Ticket, event: TicketEvent) -> Notice | None:
    reporter = (ticket.reporter_id, ticket.reporter_name)
    assignee = (ticket.assignee_id, ticket.assignee_name or "")
    kind = event.kind
    if kind == EventKind.escalation and event.data.get("escalation") == "hierarchical":
        who = (_uuid(event.to_value), str(event.data.get("manager") or ""))
        return _notice(who, "escalation", event.reason or "")
    if kind in (EventKind.assignment, EventKind.escalation):
        return _notice(assignee, kind.value, event.reason or "")
    if kind == EventKind.status:
        return _notice(reporter, "status", _status_detail(event))
    if kind == EventKind.replied:
        return _notice(assignee if event.data.get("byReporter") else reporter, "reply")
    if kind == EventKind.workaround:
        return _notice(reporter, "workaround", event.reason or "")
    return None


def _notice(who: tuple[uuid.UUID | None, str], notice: str, detail: str = "") -> Notice | None:
    person, name = who
    return Notice(person, name, notice, detail) if person is not None else None


def _status_detail(event: TicketEvent) -> str:
    line = f"New status: {event.to_value}."
    return f"{line}\n{event.reason}" if event.reason else line


def _actor_id(label: str) -> uuid.UUID | None:
    return _uuid(label.rpartition(":")[2])


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


_SUBJECTS = {
    "confirmation": "We received your ticket {number}",
    "assignment": "Ticket {number} was assigned to you",
    "escalation": "Ticket {number} was escalated to you",
    "status": "Ticket {number}: status changed",
    "reply": "Ticket {number}: new reply",
    "workaround": "Ticket {number}: a workaround is available",
    "sla_warning": "Ticket {number}: an SLA target is near or passed",
}


def render(payload: dict[str, str]) -> tuple[str, str]:
    """Subject and plain-text body of a notice: always the ticket number and title."""
    subject = _SUBJECTS.get(payload["notice"], "Ticket {number} changed").format(**payload)
    lines = [
        f"Hello {payload['recipientName']},",
        "",
        f"{subject}: {payload['title']}",
    ]
    if payload.get("detail"):
        lines += ["", payload["detail"]]
    lines += ["", f"Quote {payload['number']} whenever you contact the service desk."]
    return subject, "\n".join(lines)


@handler(TOPIC)
def deliver(session: Session, message: OutboxMessage) -> None:
    """Record the notice under the message id, then mail it if it can be mailed."""
    if repository.get(session, message.id) is not None:
        return
    payload = message.payload
    subject, body = render(payload)
    recipient = uuid.UUID(payload["recipientId"])
    address = repository.address(session, recipient)
    settings = get_settings()
    by_smtp = settings.smtp_url is not None and address is not None
    mail = Mail(
        id=message.id,
        recipient_id=recipient,
        recipient_name=payload["recipientName"],
        email=address.email if by_smtp and address else None,
        ticket_id=uuid.UUID(payload["ticketId"]),
        ticket_number=payload["number"],
        notice=payload["notice"],
        subject=subject,
        body=body,
        delivery=Delivery.smtp if by_smtp else Delivery.mailbox,
        sent_at=utcnow() if by_smtp else None,
    )
    session.add(mail)
    session.flush()  # a database refusal must come before the mail leaves
    if by_smtp and settings.smtp_url and mail.email:
        smtp.send(
            settings.smtp_url,
            sender=settings.smtp_from,
            to=mail.email,
            subject=subject,
            body=body,
            message_id=str(message.id),
        )
