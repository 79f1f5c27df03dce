"""The tickets behind the KPI counts: those opened in a period, those finished in it (the
rates' whole), and the backlog at its end, each marked counted or taken out by an accepted
exclusion, by the same month rule as the figures (services.kpi.service)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session

from core.api.openapi import API_PREFIX
from core.api.pagination import encode_cursor
from core.identity.permissions import Principal
from services.kpi import figures as f
from services.kpi import permissions, repository
from services.kpi.figures import Period
from services.kpi.models import ExclusionState, ExclusionSubject, TicketFactsRow
from services.kpi.schemas import CountedTicket, CountedTicketPage, TicketSet


def url(period: Period, which: TicketSet) -> str:
    """Where the tickets of a KPI's ticket set are listed, so a count can be checked."""
    return f"{API_PREFIX}/kpis/tickets?period={period.text}&set={which.value}"


def read_tickets(
    session: Session,
    actor: Principal,
    *,
    period: str,
    which: TicketSet,
    limit: int,
    cursor: str | None,
) -> CountedTicketPage:
    """One page of the tickets behind a count of `period`, after the number in `cursor`."""
    actor.require(permissions.READ)
    parsed = f.parse_period(period)
    after = f.cursor_number(cursor) if cursor else None
    rows = repository.ticket_set(
        session, which.value, parsed.start, parsed.end, after=after, limit=limit + 1
    )
    more, rows = len(rows) > limit, rows[:limit]
    accepted = {
        (row.subject_id, row.month): row.id
        for row in repository.exclusions_in(
            session, parsed.months, ExclusionSubject.ticket, state=ExclusionState.accepted
        )
    }
    items = [_counted(row, _month(row, parsed, which), accepted) for row in rows]
    next_cursor = encode_cursor(["number", rows[-1].number]) if more and rows else None
    return CountedTicketPage(period=parsed.text, set=which, items=items, next_cursor=next_cursor)


def _month(row: TicketFactsRow, period: Period, which: TicketSet) -> date:
    """The month whose exclusions apply: of the opening, of the finish, or the period's last
    (the backlog is counted at the period's end)."""
    if which == TicketSet.opened:
        return f.month_of(row.opened_at)
    if which == TicketSet.finished and row.finished_at is not None:
        return f.month_of(row.finished_at)
    return period.months[-1]


def _counted(
    row: TicketFactsRow, month: date, accepted: dict[tuple[uuid.UUID, date], uuid.UUID]
) -> CountedTicket:
    exclusion = accepted.get((row.ticket_id, month))
    return CountedTicket(
        ticket_id=row.ticket_id,
        number=row.number,
        type=row.type,
        priority=row.priority,
        line=row.line,
        opened_at=row.opened_at,
        finished_at=row.finished_at,
        resolved=row.resolved,
        first_line=row.resolved and row.resolved_line == "1" and not row.escalated,
        reopened=row.reopen_count > 0,
        counted=exclusion is None,
        exclusion_id=exclusion,
    )
