"""Rebuild a tenant's derived ticket data (SLA clocks and KPI facts) from the history.

Kept apart from tickets.sla and tickets.kpi, which each follow one ticket's history, so that
neither has to reach for the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from sqlmodel import Session

from services.sla import public as sla_store
from tickets import kpi, repository, sla
from tickets.models import Ticket

PAGE = 500


def recompute(session: Session) -> tuple[int, int]:
    """Rebuild every clock and every ticket's KPI facts of the session's tenant, and drop
    those of no ticket; (tickets seen, clock rows changed)."""
    seen: set[uuid.UUID] = set()
    changed = 0
    for ticket in _all_tickets(session):
        seen.add(ticket.id)
        changed += sla.update_clocks(session, ticket)
        kpi.update_facts(session, ticket)
    session.flush()
    changed += sla_store.drop_clocks_except(session, ticket_ids=seen)
    kpi.drop_facts_except(session, ticket_ids=seen)
    return len(seen), changed


def _all_tickets(session: Session) -> Iterator[Ticket]:
    after = None
    while True:
        page = repository.page(
            session, repository.Filters(), sort="createdAt", limit=PAGE, after=after
        )
        yield from page
        if len(page) < PAGE:
            return
        after = repository.cursor_values(page[-1], "createdAt")
