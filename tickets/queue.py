"""One work queue across every tenant an agent holds grants in.

Each tenant is read in its own unit of work (its own row-level security scope); the rows are
merged in memory, most urgent and oldest first. Nothing crosses tenants in the database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import case
from sqlalchemy.orm import load_only
from sqlmodel import Session, col, select

from core.db import unit_of_work
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
_RANK_SQL = case({p.value: r for p, r in RANK.items()}, value=col(Ticket.priority))


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
    (with their stored SLA clocks when `clocks`; `reached`: those tenants, already read)."""
    items: list[QueueItem] = []
    for tenant, acting in require_work(actor, reached):
        if only.tenant in (None, tenant.slug):
            items += _open(tenant, limit, line, mine, acting, only, clocks)
    items.sort(key=lambda i: (RANK[i.ticket.priority], i.ticket.created_at, i.ticket.id))
    return items[:limit]


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


def _open(
    tenant: Tenant,
    limit: int,
    line: Line | None,
    mine: bool,
    acting: Principal,
    only: Narrowing,
    clocks: bool,
) -> list[QueueItem]:
    summary = load_only(*(getattr(Ticket, c) for c in SUMMARY_COLUMNS), raiseload=True)
    stmt = select(Ticket).options(summary)
    stmt = stmt.where(col(Ticket.status).in_(lifecycle.OPEN - lifecycle.PAUSED))
    if line is not None:
        stmt = stmt.where(Ticket.line == line)
    if mine:
        stmt = stmt.where(Ticket.assignee_id == acting.actor_id)
    for column, wanted in (("group_id", only.group_id), ("type", only.type)):
        if wanted is not None:
            stmt = stmt.where(getattr(Ticket, column) == wanted)
    if only.priority is not None:
        stmt = stmt.where(Ticket.priority == only.priority)
    stmt = stmt.order_by(_RANK_SQL, col(Ticket.created_at), col(Ticket.id)).limit(limit)
    with unit_of_work(tenant.id, read_only=True) as session:
        rows = list(session.exec(stmt))
        found = sla.clocks_of(session, ticket_ids=[t.id for t in rows]) if clocks else {}
    return [QueueItem(tenant, t, tuple(found.get(t.id, ()))) for t in rows]


def line_counts(actor: Principal, *, soon: datetime | None = None) -> dict[Line | None, LineCounts]:
    """Per line (None: not yet assigned), over every tenant where `actor` works tickets:
    open tickets, those with a running clock past its warning moment (75 %, or `soon`)
    and those with a clock past its deadline."""
    counts: dict[Line | None, LineCounts] = {}
    now = utcnow()
    for tenant, _acting in require_work(actor):
        with unit_of_work(tenant.id, read_only=True) as session:
            _count_tenant(session, tenant, counts, now, soon)
    return counts


def _count_tenant(
    session: Session,
    tenant: Tenant,
    counts: dict[Line | None, LineCounts],
    now: datetime,
    soon: datetime | None,
) -> None:
    open_statuses = col(Ticket.status).in_(lifecycle.OPEN)
    stmt = select(Ticket.id, Ticket.line).where(open_statuses)
    lines = {ticket_id: Line(line) if line else None for ticket_id, line in session.exec(stmt)}
    clocks = sla.clocks_of(session, ticket_ids=list(lines)) if lines else {}
    for ticket_id, line in lines.items():
        here = counts.setdefault(line, LineCounts())
        here.open += 1
        here.tenants.add(tenant.slug)
        state = clock_state(clocks.get(ticket_id, []), now, soon)
        here.breached += state == "breached"
        here.breaching_soon += state == "soon"


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
