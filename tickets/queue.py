"""One work queue across every tenant an agent holds grants in.

Each tenant is read in its own unit of work (its own row-level security scope); the rows are
merged in memory, most urgent and oldest first. Nothing crosses tenants in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import case
from sqlalchemy.orm import load_only
from sqlmodel import col, select

from core.db import unit_of_work
from core.identity.access import reach
from core.identity.permissions import Principal
from core.tenancy import Tenant
from tickets import lifecycle, permissions
from tickets.models import Line, Priority, Ticket
from tickets.schemas import SUMMARY_COLUMNS

RANK = {Priority.urgent: 0, Priority.high: 1, Priority.medium: 2, Priority.low: 3}
_RANK_SQL = case({p.value: r for p, r in RANK.items()}, value=col(Ticket.priority))


@dataclass(frozen=True)
class QueueItem:
    tenant: Tenant
    ticket: Ticket


def work_queue(actor: Principal, *, limit: int, line: Line | None, mine: bool) -> list[QueueItem]:
    """Open tickets of every tenant where `actor` may work tickets, most urgent first."""
    actor.require(permissions.WORK)
    items: list[QueueItem] = []
    for tenant, acting in reach(actor):
        if acting.can(permissions.WORK):
            items += [QueueItem(tenant, t) for t in _open(tenant.id, limit, line, mine, acting)]
    items.sort(key=lambda i: (RANK[i.ticket.priority], i.ticket.created_at, i.ticket.id))
    return items[:limit]


def _open(
    tenant_id: uuid.UUID, limit: int, line: Line | None, mine: bool, acting: Principal
) -> list[Ticket]:
    summary = load_only(*(getattr(Ticket, c) for c in SUMMARY_COLUMNS), raiseload=True)
    stmt = select(Ticket).options(summary)
    stmt = stmt.where(col(Ticket.status).in_(lifecycle.OPEN - lifecycle.PAUSED))
    if line is not None:
        stmt = stmt.where(Ticket.line == line)
    if mine:
        stmt = stmt.where(Ticket.assignee_id == acting.actor_id)
    stmt = stmt.order_by(_RANK_SQL, col(Ticket.created_at), col(Ticket.id)).limit(limit)
    with unit_of_work(tenant_id, read_only=True) as session:
        return list(session.exec(stmt))
