"""Rebuild a tenant's derived ticket data (SLA clocks and KPI facts) from the history.

Kept apart from tickets.sla and tickets.kpi, which each follow one ticket's history, so that
neither has to reach for the other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

from sqlmodel import Session

from core.types import utcnow
from services.sla import public as sla_store
from tickets import kpi, repository, sla
from tickets.models import Ticket

PAGE = 500
# Tickets created from this long before a rebuild began may get rows from other transactions
# (their listeners) after it read which tickets have rows: theirs are looked up too. The
# margin covers clock skew between the app servers.
RECENT = timedelta(minutes=5)


def recompute(session: Session) -> tuple[int, int]:
    """Rebuild every clock and every ticket's KPI facts of the session's tenant, and drop
    those of no ticket; (tickets seen, clock rows changed).

    A page of tickets at a time: their histories, stored clocks and stored facts are read in
    one statement each and the changed rows written in bulk, so the statements sent grow
    with the pages, not the tickets; each page's rows leave the session once written. Which
    tickets have stored rows is read first: after a bulk load none has, and the per-page
    look-ups, which the planner may then cost on stale statistics (a scan of the tenant's
    rows so far, per page), are left out."""
    since = utcnow() - RECENT
    clocked, with_facts = sla_store.clocked_tickets(session), kpi.facts_tickets(session)
    seen: set[uuid.UUID] = set()
    changed = 0
    for tickets in _pages(session):
        recent = {ticket.id for ticket in tickets if ticket.created_at >= since}
        clocked.update(recent)
        with_facts.update(recent)
        histories = repository.histories(session, [ticket.id for ticket in tickets])
        changed += sla.update_clocks_of(session, tickets, histories, clocked)
        kpi.update_facts_of(session, tickets, histories, with_facts)
        seen.update(ticket.id for ticket in tickets)
        for row in [*tickets, *(event for rows in histories.values() for event in rows)]:
            session.expunge(row)
    changed += sla_store.drop_clocks_except(session, ticket_ids=seen)
    kpi.drop_facts_except(session, ticket_ids=seen)
    return len(seen), changed


def _pages(session: Session) -> Iterator[list[Ticket]]:
    after = None
    while True:
        page = repository.page(
            session, repository.Filters(), sort="createdAt", limit=PAGE, after=after
        )
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = repository.cursor_values(page[-1], "createdAt")
