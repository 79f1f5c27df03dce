"""One work queue across every tenant an agent holds grants in.

Each tenant is read under its own scope (and row-level security setting), all in one read-only
transaction; the rows are merged in memory, most urgent and oldest first. No statement crosses
tenants in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, union_all
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from core.db import reading_tenants
from core.errors import Forbidden
from core.identity.access import reach
from core.identity.permissions import Principal
from core.tenancy import Tenant
from core.types import utcnow
from services.sla import public as sla
from tickets import lifecycle, permissions
from tickets.models import Line, Priority, Ticket, TicketType
from tickets.schemas import SUMMARY_COLUMNS

RANK = {Priority.urgent: 0, Priority.high: 1, Priority.medium: 2, Priority.low: 3}


@dataclass(frozen=True)
class QueueItem:
    tenant: Tenant
    ticket: Ticket
    clocks: tuple[sla.Clock, ...] = ()


@dataclass(frozen=True)
class Narrowing:
    """What a person narrows the queue to besides line and "mine" (all optional)."""

    tenant: str | None = None  # a slug
    group_id: uuid.UUID | None = None
    type: TicketType | None = None
    priority: Priority | None = None


@dataclass
class LineCounts:
    """One line's open tickets, those whose clock nears its deadline and those past it."""

    open: int = 0
    breaching_soon: int = 0
    breached: int = 0
    tenants: set[str] = field(default_factory=set)


def work_queue(
    actor: Principal,
    *,
    limit: int,
    line: Line | None,
    mine: bool,
    only: Narrowing = Narrowing(),
    clocks: bool = False,
    reached: list[tuple[Tenant, Principal]] | None = None,
) -> list[QueueItem]:
    """Open tickets of every tenant where `actor` may work tickets, most urgent first
    (with their stored SLA clocks when `clocks`; `reached`: those tenants, already read).

    Each tenant is asked only for the sort keys of its first tickets that would still make the
    first `limit` found so far; the whole rows are read for those that win across tenants."""
    tenants = [(t, a) for t, a in require_work(actor, reached) if only.tenant in (None, t.slug)]
    with reading_tenants() as in_tenant:
        keys: list[tuple[int, datetime, uuid.UUID, int]] = []
        for index, (tenant, acting) in enumerate(tenants):
            below = keys[limit - 1][:3] if len(keys) >= limit else None
            stmt = _open_keys(tenant, limit, line, mine, acting, only, below)
            found_here = in_tenant(tenant.id).exec(stmt) if stmt is not None else []
            keys += [(rank, at, ticket_id, index) for rank, at, ticket_id in found_here]
            keys = sorted(keys)[:limit]
        winners: dict[int, list[uuid.UUID]] = {}
        for _rank, _at, ticket_id, index in keys:
            winners.setdefault(index, []).append(ticket_id)
        found: dict[uuid.UUID, QueueItem] = {}
        for index, ids in winners.items():
            found.update(_rows(in_tenant(tenants[index][0].id), tenants[index][0], ids, clocks))
    return [found[ticket_id] for _rank, _at, ticket_id, _index in keys]


def working_tenants(actor: Principal) -> list[tuple[Tenant, Principal]]:
    """The tenants where `actor` may work tickets, each with the principal acting there."""
    return [(tenant, acting) for tenant, acting in reach(actor) if acting.can(permissions.WORK)]


def require_work(
    actor: Principal, reached: list[tuple[Tenant, Principal]] | None = None
) -> list[tuple[Tenant, Principal]]:
    """The tenants `actor` works tickets in (`reached`: already read); 403 for none. Supplier
    staff may work clients' tickets through grants there without a role at home."""
    found = working_tenants(actor) if reached is None else reached
    if not found:
        raise Forbidden(f"This action needs the permission '{permissions.WORK}'.")
    return found


def _open_keys(
    tenant: Tenant,
    limit: int,
    line: Line | None,
    mine: bool,
    acting: Principal,
    only: Narrowing,
    below: tuple[int, datetime, uuid.UUID] | None,
) -> Any:
    """One tenant's first `limit` open tickets in the queue's order that come before the key
    `below`, as (priority rank, created at, id): per priority its oldest (an index in that
    order), then merged; None when no priority can. The tenant is named here too, as the
    session's scoping does not reach into the union's parts."""
    stmt = _narrowed(tenant, line, mine, acting, only)
    parts = []
    for priority in [only.priority] if only.priority is not None else list(RANK):
        if below is not None and RANK[priority] > below[0]:
            continue
        oldest = stmt.where(Ticket.priority == priority)
        if below is not None and RANK[priority] == below[0]:
            at, ticket_id = col(Ticket.created_at), col(Ticket.id)
            oldest = oldest.where(or_(at < below[1], and_(at == below[1], ticket_id < below[2])))
        oldest = oldest.order_by(col(Ticket.created_at), col(Ticket.id))
        first = oldest.limit(limit).subquery()
        parts.append(select(literal(RANK[priority]).label("rank"), first.c.created_at, first.c.id))
    if not parts:
        return None
    merged = union_all(*parts).subquery()
    order = (merged.c.rank, merged.c.created_at, merged.c.id)
    return select(*order).order_by(*order).limit(limit)


def _narrowed(
    tenant: Tenant, line: Line | None, mine: bool, acting: Principal, only: Narrowing
) -> Any:
    """(created at, id) of the tenant's open tickets not waiting, narrowed as the person chose."""
    stmt = select(col(Ticket.created_at), col(Ticket.id)).where(
        Ticket.tenant_id == tenant.id,
        col(Ticket.status).in_(lifecycle.OPEN - lifecycle.PAUSED),
    )
    if line is not None:
        stmt = stmt.where(Ticket.line == line)
    if mine:
        stmt = stmt.where(Ticket.assignee_id == acting.actor_id)
    for column, wanted in (("group_id", only.group_id), ("type", only.type)):
        if wanted is not None:
            stmt = stmt.where(getattr(Ticket, column) == wanted)
    return stmt


def _rows(
    session: Session, tenant: Tenant, ids: list[uuid.UUID], clocks: bool
) -> dict[uuid.UUID, QueueItem]:
    summary = load_only(*(getattr(Ticket, c) for c in SUMMARY_COLUMNS), raiseload=True)
    stmt = select(Ticket).options(summary).where(col(Ticket.id).in_(ids))
    rows = list(session.exec(stmt))
    found = sla.clocks_of(session, ticket_ids=ids) if clocks else {}
    return {t.id: QueueItem(tenant, t, tuple(found.get(t.id, ()))) for t in rows}


def line_counts(
    actor: Principal,
    *,
    soon: datetime | None = None,
    reached: list[tuple[Tenant, Principal]] | None = None,
) -> dict[Line | None, LineCounts]:
    """Per line (None: not yet assigned), over every tenant where `actor` works tickets
    (`reached`: those tenants, already read): open tickets, those with a running clock past
    its warning moment (75 %, or `soon`) and those with a clock past its deadline. Counted in
    SQL, one statement per tenant."""
    counts: dict[Line | None, LineCounts] = {}
    now = utcnow()
    breached = sla.breached(col(Ticket.tenant_id), col(Ticket.id), now)
    nearing = and_(~breached, sla.nearing(col(Ticket.tenant_id), col(Ticket.id), now, soon))
    stmt = (
        select(
            Ticket.line,
            func.count(),
            func.sum(case((breached, 1), else_=0)),
            func.sum(case((nearing, 1), else_=0)),
        )
        .where(col(Ticket.status).in_(lifecycle.OPEN))
        .group_by(col(Ticket.line))
    )
    with reading_tenants() as in_tenant:
        for tenant, _acting in require_work(actor, reached):
            for line, open_, breached_, soon_ in in_tenant(tenant.id).exec(stmt):
                here = counts.setdefault(Line(line) if line else None, LineCounts())
                here.open += open_
                here.breached += breached_ or 0
                here.breaching_soon += soon_ or 0
                here.tenants.add(tenant.slug)
    return counts


def clock_state(clocks: list[sla.Clock], now: datetime, soon: datetime | None = None) -> str:
    """The most pressing state of a ticket's clocks: breached when one passed its deadline,
    soon when a running one passed its warning moment (or falls due before `soon`), else ok."""
    if any(c.breached_at is not None or _overdue(c, now) for c in clocks):
        return "breached"
    for c in clocks:
        if c.state == "running" and c.deadline is not None:
            warned = c.warn_at is not None and c.warn_at <= now
            if warned or (soon is not None and c.deadline <= soon):
                return "soon"
    return "ok"


def _overdue(clock: sla.Clock, now: datetime) -> bool:
    return clock.state == "running" and clock.deadline is not None and clock.deadline <= now
