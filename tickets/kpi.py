"""A ticket and its history as the facts the KPI figures count, kept in step with them.

The listener runs inside the transaction that added the history row, so the ticket's change
and its facts commit or roll back together. Changes without a history row (a PATCH of the
service) reach the facts with the ticket's next row, or with `regie sla recompute`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlmodel import Session

from services.kpi import public as kpi
from tickets import lifecycle
from tickets.events import TicketEventRecorded
from tickets.models import EventKind, Line, Status, Ticket, TicketEvent
from tickets.sla import history, incident_class, is_new, recorded_history

DONE = frozenset(s.value for s in lifecycle.DONE)
REOPENED_FROM = frozenset(s.value for s in lifecycle.REOPENED_FROM)
FIRST_LINE = Line.first.value
_LINED = frozenset({EventKind.assignment, EventKind.escalation})


def on_ticket_event(event: TicketEventRecorded) -> None:
    """Bring the ticket's facts up to date with the row just recorded."""
    update_facts(event.session, event.ticket, rows=recorded_history(event), new=is_new(event))


def update_facts(
    session: Session, ticket: Ticket, *, rows: list[TicketEvent] | None = None, new: bool = False
) -> bool:
    """Make the ticket's stored facts match it and its history; True when they changed."""
    # No autoflush: flushing the ticket mid-operation would bump its version a second time.
    with session.no_autoflush:
        facts = ticket_facts(ticket, history(session, ticket) if rows is None else rows)
        return kpi.update_facts(session, facts=facts, new=new)


def update_facts_of(
    session: Session,
    tickets: Sequence[Ticket],
    histories: Mapping[uuid.UUID, list[TicketEvent]],
    stored_for: set[uuid.UUID],
) -> int:
    """`update_facts` for a page of tickets whose stored histories were read at once (a
    rebuild; `stored_for`: the tickets with stored facts); returns how many rows changed."""
    facts = [ticket_facts(ticket, histories[ticket.id]) for ticket in tickets]
    return kpi.update_facts_of(session, facts=facts, stored_for=stored_for)


def facts_tickets(session: Session) -> set[uuid.UUID]:
    """The tickets that have stored facts."""
    return kpi.facts_tickets(session)


def ticket_facts(ticket: Ticket, rows: list[TicketEvent]) -> kpi.TicketFacts:
    """The facts of `ticket` from its history, oldest row first.

    Finished: when the ticket last went from an open status to a finished one (resolved to
    closed is no new finish). Reopened: each return from resolved or closed to an open
    status. Escalated: ever assigned or escalated to a group above line 1."""
    statuses: list[tuple[datetime, str]] = []
    line = finished = responded = resolved_line = None
    reopens, escalated = 0, False
    for row in rows:
        if row.kind in _LINED and row.data.get("line"):
            line = row.data["line"]
            escalated = escalated or line != FIRST_LINE
        elif row.kind == EventKind.responded and responded is None:
            responded = row.at
        elif row.kind in (EventKind.created, EventKind.status) and row.to_value:
            before = statuses[-1][1] if statuses else None
            if row.to_value in DONE and before not in DONE:
                finished = row.at
                resolved_line = line if row.to_value != Status.rejected.value else resolved_line
            elif before in REOPENED_FROM and row.to_value not in DONE:
                finished, reopens = None, reopens + 1
            statuses.append((row.at, row.to_value))
    done = ticket.status.value in DONE and finished is not None
    return kpi.TicketFacts(
        ticket_id=ticket.id,
        number=ticket.number,
        type=ticket.type.value,
        priority=ticket.priority.value,
        incident_class=incident_class(ticket),
        line=ticket.line.value if ticket.line else None,
        status=ticket.status.value,
        opened_at=rows[0].at if rows else ticket.created_at,
        responded_at=responded,
        finished_at=finished if done else None,
        resolved=done and ticket.status != Status.rejected,
        rejected=ticket.status == Status.rejected,
        reopen_count=reopens,
        escalated=escalated,
        resolved_line=resolved_line if done and ticket.status != Status.rejected else None,
        service_id=ticket.service_id,
        statuses=tuple(statuses),
        as_of=max((row.at for row in rows), default=ticket.updated_at),
    )


def drop_facts_except(session: Session, *, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the facts of every ticket not named (no such ticket); returns how many."""
    return kpi.drop_facts_except(session, ticket_ids=ticket_ids)
