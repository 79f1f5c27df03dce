"""The stored per-ticket facts, kept in step with what the tickets domain tells."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from core.types import utcnow
from services.kpi import repository
from services.kpi.figures import TicketFacts
from services.kpi.models import TicketFactsRow

COLUMNS = (
    "number",
    "type",
    "priority",
    "incident_class",
    "line",
    "status",
    "opened_at",
    "responded_at",
    "finished_at",
    "resolved",
    "rejected",
    "reopen_count",
    "escalated",
    "resolved_line",
    "service_id",
    "statuses",
    "as_of",
)


def _values(facts: TicketFacts) -> dict[str, Any]:
    values = {name: getattr(facts, name) for name in COLUMNS}
    values["statuses"] = [[at.isoformat(), status] for at, status in facts.statuses]
    return values


def update_facts(session: Session, *, facts: TicketFacts, new: bool = False) -> bool:
    """Make the ticket's stored facts equal `facts`; True when the row changed. `new`: the
    ticket was created in this transaction, so no row is stored for it yet."""
    with session.no_autoflush:
        row = _pending(session, facts.ticket_id)
        if row is None and not new:
            row = repository.facts(session, facts.ticket_id)
    return _store(session, row, facts)[1]


def update_facts_of(session: Session, *, facts: Sequence[TicketFacts]) -> int:
    """`update_facts` for many tickets in a fixed number of statements (a rebuild reads a
    page of tickets at once); the rows are flushed and leave the session, which so stays
    small over any number of pages. Returns how many rows changed."""
    ids = [one.ticket_id for one in facts]
    stored = {row.ticket_id: row for row in repository.facts_rows(session, ids)}
    changed, touched = 0, []
    for one in facts:
        row, written = _store(session, stored.get(one.ticket_id), one)
        changed += written
        touched.append(row)
    session.flush()
    for row in touched:
        session.expunge(row)
    return changed


def _store(
    session: Session, row: TicketFactsRow | None, facts: TicketFacts
) -> tuple[TicketFactsRow, bool]:
    """Add or update the row to hold `facts`: the row and whether it changed."""
    values = _values(facts)
    if row is None:
        row = TicketFactsRow(ticket_id=facts.ticket_id, **values)
        session.add(row)
        return row, True
    if all(getattr(row, name) == value for name, value in values.items()):
        return row, False
    for name, value in values.items():
        setattr(row, name, value)
    row.computed_at = utcnow()
    return row, True


def _pending(session: Session, ticket_id: uuid.UUID) -> TicketFactsRow | None:
    """A row added in this transaction but not yet flushed: one operation may record several
    history rows (a reopen and its response) before anything is flushed."""
    for row in session.new:
        if isinstance(row, TicketFactsRow) and row.ticket_id == ticket_id:
            return row
    return None


def drop_facts_except(session: Session, *, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the stored facts of every ticket not named (no such ticket); returns how many."""
    strays = repository.facts_ticket_ids(session) - ticket_ids
    return repository.delete_facts(session, strays) if strays else 0


def stored_facts(session: Session, *, ticket_id: uuid.UUID) -> TicketFactsRow | None:
    """The ticket's stored facts, if any."""
    return repository.facts(session, ticket_id)
