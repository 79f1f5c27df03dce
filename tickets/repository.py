"""All SQL of tickets. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from core.api.pagination import keyset, typed_cursor
from core.db import session_tenant
from core.rows import OneRow
from core.tenancy import Tenant
from tickets import search
from tickets.lifecycle import OPEN
from tickets.models import (
    AssignmentGroup,
    GroupMember,
    Level,
    Line,
    Priority,
    PrivacyMode,
    Status,
    Ticket,
    TicketEvent,
    TicketSettings,
    TicketType,
)

_ticket = Ticket.__table__  # type: ignore[attr-defined]
# The table's columns, not the entity's attributes: a statement of only these is plain SQL,
# which skips the ORM's compilation, loader criteria and row processing (a list's third).
SORTS: dict[str, Any] = {
    "createdAt": _ticket.c.created_at,
    "updatedAt": _ticket.c.updated_at,
    "number": _ticket.c.number,
    "priority": _ticket.c.priority,
}
_TIME_SORTS = {"createdAt", "updatedAt"}
# Sorts an index serves in order: a search for a common word walks it (tickets/search.py).
_WALKED_SORTS = {"createdAt", "number"}


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    number: str | None = None
    type: TicketType | None = None
    status: list[Status] | None = None
    priority: Priority | None = None
    impact: Level | None = None
    group_id: uuid.UUID | None = None
    line: Line | None = None
    assignee_id: uuid.UUID | None = None
    reporter_id: uuid.UUID | None = None
    service_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    problem_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_until: datetime | None = None
    ids: list[uuid.UUID] | None = None


# Read by every write of a ticket: built once, so SQLAlchemy keeps the cache key.
_GET = select(Ticket).where(Ticket.id == bindparam("id"))
_GET_LOCKED = _GET.with_for_update()


def get(session: Session, ticket_id: uuid.UUID, *, for_update: bool = False) -> Ticket | None:
    """One ticket; `for_update` locks it for a write that reads it first."""
    stmt = _GET_LOCKED if for_update else _GET
    return session.exec(stmt, params={"id": ticket_id}).first()


# Built once, on the table, the tenant named (row-level security holds it too on PostgreSQL):
# a read's answer needs the columns, not an entity the ORM loads, tracks and scopes per call.
_ROW = OneRow(
    select_columns(_ticket).where(
        _ticket.c.tenant_id == bindparam("tenant"), _ticket.c.id == bindparam("id")
    )
)


def row(session: Session, ticket_id: uuid.UUID) -> Any:
    """The ticket's columns by name, as a read answers them (core.rows: none of the ORM's
    or SQLAlchemy's execution work per read)."""
    params = {"tenant": session_tenant(session), "id": ticket_id}
    return _ROW.first(session.connection(), params)


def get_by_number(session: Session, number: str) -> Ticket | None:
    """The ticket a human-readable number names (e.g. SHN-000123)."""
    return session.exec(select(Ticket).where(Ticket.number == number)).first()


def page(
    session: Session,
    filters: Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
    internal: bool = True,
    columns: tuple[str, ...] | None = None,
) -> list[Any]:
    """A page of tickets; with `columns`, plain rows of only those columns (no entities to
    track: a list answers 50 of them), read as plain SQL with the tenant named (row-level
    security holds it too on PostgreSQL)."""
    key = sort.lstrip("-")
    entity: Any = select(Ticket)
    if columns is not None:
        entity = select_columns(*(_ticket.c[c] for c in columns))
        entity = entity.where(_ticket.c.tenant_id == session_tenant(session))
    stmt = _filtered(entity, filters)
    if filters.q:
        dialect = session.get_bind().dialect.name
        estimate = search.estimate(dialect, filters.q, internal=internal)
        many = False
        if estimate is not None and key in _WALKED_SORTS:
            many = session.connection().execute(estimate).scalar_one() >= search.WALK_FROM
        match = search.clause(
            dialect, filters.q, tenant_id=session_tenant(session), internal=internal, walk=many
        )
        stmt = stmt.where(match) if match is not None else stmt
    typed_after = typed_cursor(after, timestamp=key in _TIME_SORTS)
    stmt = keyset(
        stmt, SORTS[key], _ticket.c.id, descending=sort.startswith("-"), after=typed_after
    )
    stmt = stmt.limit(limit)
    if columns is None:
        return list(session.exec(stmt))
    # On the connection (a Core statement needs none of the ORM's execution work), in one
    # fetch for the page, not one per row.
    return list(session.connection().execute(stmt).all())


def _filtered(stmt: Any, f: Filters) -> Any:
    equal = [
        (_ticket.c.number, f.number),
        (_ticket.c.type, f.type),
        (_ticket.c.priority, f.priority),
        (_ticket.c.impact, f.impact),
        (_ticket.c.group_id, f.group_id),
        (_ticket.c.line, f.line),
        (_ticket.c.assignee_id, f.assignee_id),
        (_ticket.c.reporter_id, f.reporter_id),
        (_ticket.c.service_id, f.service_id),
        (_ticket.c.ci_id, f.ci_id),
        (_ticket.c.problem_id, f.problem_id),
    ]
    for column, value in equal:
        if value is not None:
            stmt = stmt.where(column == value)
    if f.status:
        stmt = stmt.where(_ticket.c.status.in_(f.status))
    if f.created_from is not None:
        stmt = stmt.where(_ticket.c.created_at >= f.created_from)
    if f.created_until is not None:
        stmt = stmt.where(_ticket.c.created_at < f.created_until)
    if f.ids is not None:
        stmt = stmt.where(_ticket.c.id.in_(f.ids))
    return stmt


def cursor_values(ticket: Any, sort: str) -> list[Any]:
    """The keyset cursor after this ticket in the sort, for the next page."""
    key = sort.lstrip("-")
    value = getattr(ticket, SORTS[key].key)
    return [value.isoformat() if key in _TIME_SORTS else str(value), str(ticket.id)]


def events(session: Session, ticket_id: uuid.UUID) -> list[TicketEvent]:
    """A ticket's history, oldest first."""
    stmt = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id)
        .order_by(col(TicketEvent.at), col(TicketEvent.id))
    )
    return list(session.exec(stmt))


def histories(session: Session, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[TicketEvent]]:
    """The stored history of each ticket named, oldest first, in one statement."""
    found: dict[uuid.UUID, list[TicketEvent]] = {ticket_id: [] for ticket_id in ticket_ids}
    stmt = (
        select(TicketEvent)
        .where(col(TicketEvent.ticket_id).in_(ticket_ids))
        .order_by(col(TicketEvent.ticket_id), col(TicketEvent.at), col(TicketEvent.id))
    )
    for row in session.exec(stmt) if ticket_ids else []:
        found[row.ticket_id].append(row)
    return found


def last_status_before(session: Session, ticket_id: uuid.UUID, status: Status) -> Status | None:
    """The status a ticket had before it last entered `status`."""
    stmt = (
        select(TicketEvent.from_value)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.to_value == status.value)
        .where(TicketEvent.kind == "status")
        .order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
    )
    value = session.exec(stmt).first()
    return Status(value) if value else None


def settings(session: Session, *, create: bool = False) -> TicketSettings | None:
    """The tenant's ticket settings; with `create`, made with the defaults when missing."""
    found = session.exec(select(TicketSettings)).first()
    if found is None and create:
        _create_settings(session)
        found = session.exec(select(TicketSettings)).first()
    return found


@dataclass(frozen=True)
class SettingsInForce:
    """What ticket writes read of the tenant's settings; `stored`: from its row, not the
    defaults of a tenant that has none yet."""

    prefix: str
    reopen_days: int
    privacy_mode: PrivacyMode
    priority_matrix: dict[str, str]
    stored: bool


_settings = TicketSettings.__table__.c  # type: ignore[attr-defined]
# Plain columns in a statement built once: every ticket write reads them, and the entity
# (the ORM's loading, the tenant criteria added per query) cost more than the read itself.
_IN_FORCE = OneRow(
    select_columns(
        _settings.prefix, _settings.reopen_days, _settings.privacy_mode, _settings.priority_matrix
    ).where(_settings.tenant_id == bindparam("tenant"))
)


def settings_in_force(session: Session) -> SettingsInForce:
    """The settings a ticket write applies, or the defaults when none were stored yet."""
    row = _IN_FORCE.first(session.connection(), {"tenant": session_tenant(session)})
    found = row._asdict() if row is not None else TicketSettings().model_dump()
    return SettingsInForce(
        prefix=found["prefix"],
        reopen_days=found["reopen_days"],
        privacy_mode=found["privacy_mode"],
        priority_matrix=found["priority_matrix"] or {},
        stored=row is not None,
    )


_NEXT_NUMBER = OneRow(select_columns(func.tickets_next_number(bindparam("tenant")).label("number")))


def take_number(session: Session, known: SettingsInForce | None = None) -> str:
    """The next ticket number of the session's tenant, e.g. SHN-000123: unique, never reused.

    PostgreSQL takes it from the tenant's sequence, which holds no lock, so one tenant's
    creates run side by side (a rolled-back create leaves a gap). SQLite has one writer at a
    time anyway and counts in the settings row. `known`: the settings the caller already
    read, used for the prefix when they are stored ones."""
    if session.get_bind().dialect.name == "postgresql":
        if known is not None and known.stored:
            prefix = known.prefix
        else:
            current = settings(session, create=True)
            assert current is not None  # created just above when missing
            prefix = current.prefix
        params = {"tenant": session_tenant(session)}
        number = _NEXT_NUMBER.first(session.connection(), params).number
        return f"{prefix}-{number:06d}"
    stmt = (
        update(TicketSettings)
        .values(next_number=col(TicketSettings.next_number) + 1)
        .returning(col(TicketSettings.prefix), col(TicketSettings.next_number))
    )
    taken = session.execute(stmt).one_or_none()
    if taken is None:
        _create_settings(session)
        taken = session.execute(stmt).one()
    prefix, following = taken
    return f"{prefix}-{following - 1:06d}"


def _create_settings(session: Session) -> None:
    tenant = session.get(Tenant, session_tenant(session))
    letters = "".join(c for c in (tenant.slug if tenant else "").upper() if c.isalpha())
    try:
        with session.begin_nested():
            session.add(TicketSettings(prefix=letters[:3] or "REG"))
    except IntegrityError:
        pass  # a concurrent first ticket created it; the caller's update now finds it


def group(session: Session, group_id: uuid.UUID) -> AssignmentGroup | None:
    """One assignment group of the tenant."""
    return session.exec(select(AssignmentGroup).where(AssignmentGroup.id == group_id)).first()


def groups(session: Session, *, line: Line | None = None) -> list[AssignmentGroup]:
    """The tenant's groups by name; with `line`, the active groups of that line only."""
    stmt = select(AssignmentGroup).order_by(col(AssignmentGroup.name))
    if line is not None:
        stmt = stmt.where(AssignmentGroup.line == line, col(AssignmentGroup.active).is_(True))
    return list(session.exec(stmt))


def group_name_taken(session: Session, name: str) -> bool:
    """Whether a group of this name exists: names are unique per tenant."""
    return (
        session.exec(select(AssignmentGroup.id).where(AssignmentGroup.name == name)).first()
        is not None
    )


def member(session: Session, group_id: uuid.UUID, member_id: uuid.UUID) -> GroupMember | None:
    """One membership, to change or end it."""
    stmt = select(GroupMember).where(
        GroupMember.group_id == group_id, GroupMember.member_id == member_id
    )
    return session.exec(stmt).first()


def workers(session: Session) -> list[tuple[uuid.UUID, str]]:
    """Everyone in one of the tenant's assignment groups, once each, by name."""
    stmt = (
        select(GroupMember.member_id, func.min(GroupMember.member_name))
        .group_by(col(GroupMember.member_id))
        .order_by(func.min(GroupMember.member_name), col(GroupMember.member_id))
    )
    return [(row[0], row[1]) for row in session.exec(stmt)]


def members(session: Session, group_id: uuid.UUID) -> list[GroupMember]:
    """A group's members by name."""
    stmt = (
        select(GroupMember)
        .where(GroupMember.group_id == group_id)
        .order_by(col(GroupMember.member_name))
    )
    return list(session.exec(stmt))


def open_incidents_on(session: Session, ci_ids: list[uuid.UUID]) -> list[Ticket]:
    """The open incidents on any of these CIs, most urgent first."""
    stmt = select(Ticket).where(
        col(Ticket.ci_id).in_(ci_ids),
        Ticket.type == TicketType.incident,
        col(Ticket.status).in_(OPEN),
    )
    return list(session.exec(stmt.order_by(col(Ticket.created_at), col(Ticket.id))))


def count_open_incidents_of_services(
    session: Session, service_ids: list[uuid.UUID], open_: frozenset[Status]
) -> int:
    """How many of the tenant's incidents in an `open_` status name one of the services."""
    if not service_ids:
        return 0
    stmt = (
        select(func.count())
        .select_from(Ticket)
        .where(
            Ticket.type == TicketType.incident,
            col(Ticket.service_id).in_(service_ids),
            col(Ticket.status).in_(open_),
        )
    )
    return int(session.exec(stmt).one())
