"""What a breach warning does: tells the assignee and, at 100 %, escalates to the manager.

The handler runs in the transaction that marks the outbox message done, and everything it
does is a database write in that transaction: the assignee's notice and the escalation's
history row (whose listener queues the manager's notice) commit with the message or not at
all, so a worker dying mid-run never warns twice. Notices are mailed by the notification
handler, keyed by their own message ids.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.identity.permissions import Principal
from core.outbox.models import OutboxMessage
from core.outbox.service import handler, publish
from services.sla import public as sla
from tickets import notifications, repository
from tickets.models import Ticket
from tickets.workflow import record_manager_escalation

# The history row's actor: the SLA monitor, not a person (a fixed id, the same everywhere).
MONITOR_ID = uuid.UUID("5a1a0000-0000-4000-8000-000000000075")
MONITOR_NAME = "SLA monitor"
_KINDS = {
    "response": "response",
    "restore_platform": "restore (platform)",
    "restore_application": "restore (application)",
}


@handler(sla.WARNING_TOPIC)
def warn(session: Session, message: OutboxMessage) -> None:
    """Notify the assignee; at 100 % record a hierarchical escalation to the group's manager."""
    payload = message.payload
    ticket = repository.get(session, uuid.UUID(payload["ticketId"]))
    if ticket is None:  # deleted since the sweep: nobody left to tell
        return
    detail = describe(payload)
    if ticket.assignee_id is not None:
        publish(
            session,
            notifications.TOPIC,
            {
                "ticketId": str(ticket.id),
                "number": ticket.number,
                "title": ticket.title,
                "notice": "sla_warning",
                "recipientId": str(ticket.assignee_id),
                "recipientName": ticket.assignee_name or "",
                "detail": detail,
            },
        )
    if payload["threshold"] >= 100:
        _escalate(session, ticket, payload, detail)


def describe(payload: dict[str, object]) -> str:
    """One line for people: which clock, which share of its target, and when."""
    kind = _KINDS.get(str(payload["kind"]), str(payload["kind"]))
    return f"The {kind} clock reached {payload['threshold']} % of its target at {payload['dueAt']}."


def _escalate(session: Session, ticket: Ticket, payload: dict[str, object], detail: str) -> None:
    """A hierarchical escalation to the ticket's group manager; none when there is no manager
    (as a manual escalation is refused then), the assignee's notice stands alone."""
    group = repository.group(session, ticket.group_id) if ticket.group_id else None
    if group is None or group.manager_id is None:
        return
    monitor = Principal(
        tenant_id=ticket.tenant_id, actor_id=MONITOR_ID, kind="system", name=MONITOR_NAME
    )
    record_manager_escalation(
        session,
        monitor,
        ticket,
        group,
        detail,
        sla=payload["kind"],
        threshold=payload["threshold"],
    )
