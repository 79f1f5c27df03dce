"""A ticket's history as SLA clock events, and its stored clocks kept in step with it.

The listener runs inside the transaction that added the history row, so the ticket's change
and its clocks commit or roll back together.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlmodel import Session

from services.sla import public as sla
from tickets import repository
from tickets.events import TicketEventRecorded
from tickets.models import EventKind, IncidentClass, Ticket, TicketEvent, TicketType

# The history rows that move a clock; others (assignments, messages) leave clocks as they are.
CLOCK_EVENTS = frozenset(
    {
        EventKind.created,
        EventKind.status,
        EventKind.priority,
        EventKind.responded,
        EventKind.classified,
    }
)


def on_ticket_event(event: TicketEventRecorded) -> None:
    """Recompute the ticket's clocks when a row that moves them is recorded."""
    if event.event.kind in CLOCK_EVENTS:
        update_clocks(event.session, event.ticket, rows=recorded_history(event), new=is_new(event))


def is_new(event: TicketEventRecorded) -> bool:
    """A created row starts a ticket in this transaction: it has no stored rows of any kind."""
    return event.event.kind == EventKind.created


def recorded_history(event: TicketEventRecorded) -> list[TicketEvent]:
    """The ticket's history with the row just recorded, read once for all listeners; a
    created row starts a ticket, so it is the whole history."""
    if "history" not in event.cache:
        if is_new(event):
            event.cache["history"] = [event.event]
        else:
            with event.session.no_autoflush:
                event.cache["history"] = history(event.session, event.ticket)
    rows: list[TicketEvent] = event.cache["history"]
    return rows


def update_clocks(
    session: Session, ticket: Ticket, *, rows: list[TicketEvent] | None = None, new: bool = False
) -> int:
    """Make the ticket's stored clocks match its history; returns how many rows changed."""
    # No autoflush: flushing the ticket mid-operation would bump its version a second time.
    with session.no_autoflush:
        return sla.update_clocks(
            session,
            ticket_id=ticket.id,
            ticket_type=ticket.type.value,
            events=clock_events(ticket, history(session, ticket) if rows is None else rows),
            incident_class=incident_class(ticket),
            new=new,
        )


def update_clocks_of(
    session: Session,
    tickets: Sequence[Ticket],
    histories: Mapping[uuid.UUID, list[TicketEvent]],
    clocked: set[uuid.UUID],
) -> int:
    """`update_clocks` for a page of tickets whose stored histories were read at once (a
    rebuild; `clocked`: the tickets with stored clocks); returns how many rows changed."""
    return sla.update_clocks_of(
        session,
        clocked=clocked,
        histories=[
            sla.ClockHistory(
                ticket_id=ticket.id,
                ticket_type=ticket.type.value,
                events=clock_events(ticket, histories[ticket.id]),
                incident_class=incident_class(ticket),
            )
            for ticket in tickets
        ],
    )


def explain(session: Session, ticket: Ticket) -> sla.SlaExplanation:
    """The ticket's clocks as of now, with timelines and the terms used."""
    events = clock_events(ticket, history(session, ticket))
    return sla.explain(
        session,
        ticket_id=ticket.id,
        ticket_type=ticket.type.value,
        events=events,
        incident_class=incident_class(ticket),
    )


def incident_class(ticket: Ticket) -> str | None:
    """The class whose restore clock the ticket runs: an incident's current one (it applies
    to the whole history, as the priority does); None for other types."""
    if ticket.type != TicketType.incident:
        return None
    return (ticket.incident_class or IncidentClass.platform).value


def history(session: Session, ticket: Ticket) -> list[TicketEvent]:
    """Stored rows and those added in this transaction but not yet flushed, oldest first."""
    stored = repository.events(session, ticket.id)
    known = {row.id for row in stored}
    pending = [
        row
        for row in session.new
        if isinstance(row, TicketEvent) and row.ticket_id == ticket.id and row.id not in known
    ]
    # A stable sort: rows of one moment keep the order they were recorded in.
    return sorted(stored + pending, key=lambda row: row.at)


def clock_events(ticket: Ticket, history: list[TicketEvent]) -> list[sla.Event]:
    """The history as clock events: opened with the priority it then had, then every status,
    priority and first-response row."""
    priorities = [row for row in history if row.kind == EventKind.priority]
    first = priorities[0].from_value if priorities else None
    events = []
    for row in history:
        if row.kind == EventKind.created:
            opened = first or ticket.priority.value
            events.append(sla.Event(row.at, "opened", status=row.to_value, priority=opened))
        elif row.kind == EventKind.status:
            events.append(sla.Event(row.at, "status", status=row.to_value))
        elif row.kind == EventKind.priority:
            events.append(sla.Event(row.at, "priority", priority=row.to_value))
        elif row.kind == EventKind.responded:
            events.append(sla.Event(row.at, "responded"))
    return events
