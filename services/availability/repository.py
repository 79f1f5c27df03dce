"""All SQL of outages. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from core.api.pagination import keyset
from core.errors import InvalidInput
from services.availability.models import Outage, Scope

SORTS: dict[str, Any] = {"start": Outage.start_at, "number": Outage.number}


@dataclass(frozen=True)
class Filters:
    """Outages going on at some moment in [since, until), of a scope, by attribution."""

    since: datetime | None = None
    until: datetime | None = None
    scope: Scope | None = None
    service_id: uuid.UUID | None = None
    attributable: bool | None = None


def get(session: Session, outage_id: uuid.UUID) -> Outage | None:
    """One outage of the tenant."""
    return session.exec(select(Outage).where(Outage.id == outage_id)).first()


def by_incident(session: Session, incident_id: uuid.UUID) -> Outage | None:
    """The outage recorded for an incident: an incident has one at most."""
    return session.exec(select(Outage).where(Outage.incident_id == incident_id)).first()


def next_number(session: Session) -> int:
    """The next outage number; a racing insert fails on the unique number and retries."""
    highest = session.exec(select(func.max(Outage.number))).one()
    return (highest or 0) + 1


def _filtered(filters: Filters) -> Any:
    stmt = select(Outage)
    if filters.until is not None:
        stmt = stmt.where(Outage.start_at < filters.until)
    if filters.since is not None:
        stmt = stmt.where(or_(col(Outage.end_at).is_(None), col(Outage.end_at) > filters.since))
    if filters.scope is not None:
        stmt = stmt.where(Outage.scope == filters.scope)
    if filters.service_id is not None:
        stmt = stmt.where(Outage.service_id == filters.service_id)
    if filters.attributable is not None:
        stmt = stmt.where(Outage.attributable == filters.attributable)
    return stmt


def page(
    session: Session, filters: Filters, *, sort: str, limit: int, after: list[Any] | None
) -> list[Outage]:
    """One page in (sort key, id) order, strictly after the cursor's row."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    typed = _typed_cursor(after, key) if after is not None else None
    stmt = keyset(
        _filtered(filters), SORTS[key], col(Outage.id), descending=descending, after=typed
    )
    return list(session.exec(stmt.limit(limit)))


def _typed_cursor(after: list[Any], key: str) -> list[Any]:
    try:
        value = datetime.fromisoformat(str(after[0])) if key == "start" else int(after[0])
        return [value, uuid.UUID(str(after[1]))]
    except (ValueError, TypeError):
        raise InvalidInput("The cursor does not belong to this list and sort order.") from None


def cursor_values(outage: Outage, sort: str) -> list[Any]:
    """The keyset cursor after this outage in the sort, for the next page."""
    if sort.lstrip("-") == "start":
        return [outage.start_at.isoformat(), str(outage.id)]
    return [outage.number, str(outage.id)]


def overlapping(session: Session, start: datetime, end: datetime) -> list[Outage]:
    """Every outage going on at some moment in [start, end), earliest first."""
    stmt = _filtered(Filters(since=start, until=end)).order_by(col(Outage.start_at), col(Outage.id))
    return list(session.exec(stmt))
