"""All SQL of the improvement register. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.api.pagination import keyset
from core.tenancy import Tenant
from services.improvement.models import (
    Backlog,
    ChangeLink,
    Evaluation,
    Event,
    ImprovementEventKind,
    ImprovementSource,
    ImprovementStatus,
    Item,
)

SORTS: dict[str, Any] = {"createdAt": Item.created_at, "updatedAt": Item.updated_at}


@dataclass(frozen=True)
class Filters:
    status: list[ImprovementStatus] | None = None
    source_kind: ImprovementSource | None = None
    source_id: uuid.UUID | None = None
    kpi: str | None = None


def get(session: Session, item_id: uuid.UUID, *, for_update: bool = False) -> Item | None:
    """One improvement item; `for_update` locks it for a write that reads it first."""
    stmt = select(Item).where(Item.id == item_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def by_feed_key(session: Session, key: str) -> Item | None:
    """The item a feed proposed under this key, so it proposes each finding once."""
    return session.exec(select(Item).where(Item.feed_key == key)).first()


def page(
    session: Session, filters: Filters, *, sort: str, limit: int, after: list[Any] | None
) -> list[Item]:
    """A page of items by the filters, in keyset order."""
    stmt = select(Item)
    if filters.status:
        stmt = stmt.where(col(Item.status).in_(filters.status))
    equal = [
        (Item.source_kind, filters.source_kind),
        (Item.source_id, filters.source_id),
        (Item.kpi, filters.kpi),
    ]
    for column, value in equal:
        if value is not None:
            stmt = stmt.where(column == value)
    key = sort.lstrip("-")
    stmt = keyset(stmt, SORTS[key], col(Item.id), descending=sort.startswith("-"), after=after)
    return list(session.exec(stmt.limit(limit)))


def items(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Item]:
    """The items of these ids that exist in the tenant, in one statement."""
    return {row.id: row for row in session.exec(select(Item).where(col(Item.id).in_(ids)))}


def events(
    session: Session, item_id: uuid.UUID, kind: ImprovementEventKind | None = None
) -> list[Event]:
    """An item's history, oldest first, optionally of one kind."""
    stmt = select(Event).where(Event.item_id == item_id)
    if kind is not None:
        stmt = stmt.where(Event.kind == kind)
    return list(session.exec(stmt.order_by(col(Event.at), col(Event.id))))


def events_since(
    session: Session, since: datetime, kinds: list[ImprovementEventKind], *, limit: int, after: Any
) -> list[tuple[Event, Item]]:
    """History rows of these kinds from `since` with their items, for the review."""
    stmt: Any = (
        select(Event, Item)
        .join(Item, and_(col(Item.id) == Event.item_id, col(Item.tenant_id) == Event.tenant_id))
        .where(col(Event.at) >= since, col(Event.kind).in_(kinds))
    )
    stmt = keyset(stmt, col(Event.at), col(Event.id), descending=False, after=after)
    return [(event, item) for event, item in session.exec(stmt.limit(limit))]


def backlog(session: Session, *, for_update: bool = False) -> Backlog | None:
    """The tenant's backlog row (the items' order), if made yet."""
    stmt = select(Backlog)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def backlog_for_change(session: Session) -> Backlog:
    """The tenant's backlog row, locked until commit; made on the tenant's first item."""
    row = backlog(session, for_update=True)
    if row is None:
        try:
            with session.begin_nested():
                session.add(Backlog(item_ids=[]))
        except IntegrityError:
            pass  # a concurrent first item made it; reading it again finds it
        row = backlog(session, for_update=True)
    assert row is not None
    return row


def change_ids(session: Session, item_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The changes linked to each item, in the order they were linked."""
    found: dict[uuid.UUID, list[uuid.UUID]] = {item_id: [] for item_id in item_ids}
    stmt = (
        select(ChangeLink)
        .where(col(ChangeLink.item_id).in_(item_ids))
        .order_by(col(ChangeLink.linked_at), col(ChangeLink.change_id))
    )
    for link in session.exec(stmt):
        found[link.item_id].append(link.change_id)
    return found


def change_link(session: Session, item_id: uuid.UUID, change_id: uuid.UUID) -> ChangeLink | None:
    """The link between an item and a change, if any."""
    stmt = select(ChangeLink).where(
        ChangeLink.item_id == item_id, ChangeLink.change_id == change_id
    )
    return session.exec(stmt).first()


def evaluation(session: Session, item_id: uuid.UUID) -> Evaluation | None:
    """An item's evaluation, once it was evaluated."""
    return session.exec(select(Evaluation).where(Evaluation.item_id == item_id)).first()


def tenant(session: Session, tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant, to tell the client's side from the supplier's."""
    return session.get(Tenant, tenant_id)


def status_counts(session: Session) -> dict[str, int]:
    """How many items the tenant has in each status, in one statement."""
    stmt = select(Item.status, func.count()).group_by(Item.status)
    return {str(status): count for status, count in session.exec(stmt)}
