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
    values = _values(facts)
    with session.no_autoflush:
        row = _pending(session, facts.ticket_id)
        if row is None and not new:
            row = repository.facts(session, facts.ticket_id)
    if row is None:
        session.add(TicketFactsRow(ticket_id=facts.ticket_id, **values))
        return True
    return _refresh(row, values)


def update_facts_of(
    session: Session, *, facts: Sequence[TicketFacts], stored_for: set[uuid.UUID]
) -> int:
    """`update_facts` for many tickets in a fixed number of statements (a rebuild reads a
    page of tickets at once): new rows are inserted in bulk, and the stored rows leave the
    session once written, which so stays small over any number of pages. `stored_for`: the
    tickets with stored facts (`facts_tickets`), the only ones looked up. Returns how many
    rows changed."""
    ids = [one.ticket_id for one in facts if one.ticket_id in stored_for]
    stored = {row.ticket_id: row for row in repository.facts_rows(session, ids)}
    changed, added = 0, []
    for one in facts:
        row, values = stored.get(one.ticket_id), _values(one)
        if row is None:
            added.append({"ticket_id": one.ticket_id, **values})
        else:
            changed += _refresh(row, values)
    repository.insert_facts(session, added)
    session.flush()
    for row in stored.values():
        session.expunge(row)
    return changed + len(added)


def _refresh(row: TicketFactsRow, values: dict[str, Any]) -> bool:
    """Give the stored row these values; True when that changed it."""
    if all(getattr(row, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(row, name, value)
    row.computed_at = utcnow()
    return True


def _pending(session: Session, ticket_id: uuid.UUID) -> TicketFactsRow | None:
    """A row added in this transaction but not yet flushed: one operation may record several
    history rows (a reopen and its response) before anything is flushed."""
    for row in session.new:
        if isinstance(row, TicketFactsRow) and row.ticket_id == ticket_id:
            return row
    return None


def facts_tickets(session: Session) -> set[uuid.UUID]:
    """The tickets that have stored facts, in one statement: a rebuild looks up only theirs
    (after a bulk load of tickets none has; a lookup per page would then only cost)."""
    return repository.facts_ticket_ids(session)


def drop_facts_except(session: Session, *, ticket_ids: set[uuid.UUID]) -> int:
    """Delete the stored facts of every ticket not named (no such ticket); returns how many."""
    strays = repository.facts_ticket_ids(session) - ticket_ids
    return repository.delete_facts(session, strays) if strays else 0


def stored_facts(session: Session, *, ticket_id: uuid.UUID) -> TicketFactsRow | None:
    """The ticket's stored facts, if any."""
    return repository.facts(session, ticket_id)
