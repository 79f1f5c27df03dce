"""All SQL of changes. The session scopes every statement to its tenant."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    Integer,
    Row,
    String,
    and_,
    bindparam,
    cast,
    false,
    func,
    literal,
    null,
    or_,
    text,
    true,
    union_all,
    update,
)
from sqlalchemy import select as columns
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from changes.models import (
    ApprovalRule,
    Change,
    ChangeEvent,
    ChangeEventKind,
    ChangeSettings,
    ChangeStatus,
    ChangeTemplate,
    ChangeType,
    Deployment,
    FeedToken,
    Freeze,
    Release,
    Review,
    RiskClass,
    Rollback,
    SignOff,
    StoredEntry,
    Vote,
)
from core.api.pagination import keyset, typed_cursor
from core.db import session_tenant

SORTS: dict[str, Any] = {
    "createdAt": Change.created_at,
    "plannedStart": Change.planned_start,
    "number": Change.number,
}
_TIME_SORTS = {"createdAt", "plannedStart"}


@dataclass(frozen=True)
class Filters:
    status: list[ChangeStatus] | None = None
    type: ChangeType | None = None
    risk_class: RiskClass | None = None
    ticket_id: uuid.UUID | None = None
    problem_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None  # changes that name this CI among theirs


# Read in every write of a change and every vote: built once (SQLAlchemy keeps a built
# statement's cache key; one built per call computes it again).
_GET = select(Change).where(Change.id == bindparam("id"))
_GET_LOCKED = _GET.with_for_update()


def get(session: Session, change_id: uuid.UUID, *, for_update: bool = False) -> Change | None:
    """One change; `for_update` locks it for a write that reads it first."""
    stmt = _GET_LOCKED if for_update else _GET
    return session.exec(stmt, params={"id": change_id}).first()


def read(session: Session, change_id: uuid.UUID) -> Row[Any] | None:
    """A change's columns (not its tenant's id) and its stored calendar entry, not loaded as
    an entity to track: what a read of one change answers."""
    return session.execute(_READ, {"tenant": session_tenant(session), "id": change_id}).first()


def by_ticket(session: Session, ticket_id: uuid.UUID) -> Change | None:
    """The change raised from this ticket, if any: a ticket leads to one change at most."""
    return session.exec(select(Change).where(Change.ticket_id == ticket_id)).first()


def page(
    session: Session, filters: Filters, *, sort: str, limit: int, after: list[Any] | None
) -> list[Change]:
    """A page of changes by the filters, in keyset order."""
    key = sort.lstrip("-")
    stmt = select(Change)
    for column, value in (
        (Change.type, filters.type),
        (Change.risk_class, filters.risk_class),
        (Change.ticket_id, filters.ticket_id),
        (Change.problem_id, filters.problem_id),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.status:
        stmt = stmt.where(col(Change.status).in_(filters.status))
    if filters.ci_id is not None:
        # The ids are kept as a JSON list of strings; a UUID holds no LIKE wildcard.
        stmt = stmt.where(cast(Change.ci_ids, String).contains(f'"{filters.ci_id}"'))
    if key == "plannedStart":
        stmt = stmt.where(col(Change.planned_start).is_not(None))
    typed_after = typed_cursor(after, timestamp=key in _TIME_SORTS)
    stmt = keyset(
        stmt, SORTS[key], col(Change.id), descending=sort.startswith("-"), after=typed_after
    )
    return list(session.exec(stmt.limit(limit)))


def cursor_values(change: Change, sort: str) -> list[Any]:
    """The keyset cursor after this change in the sort, for the next page."""
    key = sort.lstrip("-")
    value = getattr(change, SORTS[key].key)
    return [value.isoformat() if key in _TIME_SORTS else str(value), str(change.id)]


def settings(session: Session, *, create: bool = False) -> ChangeSettings | None:
    """The tenant's change settings; with `create`, made once even by racing first changes."""
    found = session.exec(select(ChangeSettings)).first()
    if found is None and create:
        try:
            with session.begin_nested():
                session.add(ChangeSettings())
        except IntegrityError:
            pass  # a concurrent first change created it
        found = session.exec(select(ChangeSettings)).first()
    return found


def take_number(session: Session) -> int:
    """The tenant's next change number: unique and never reused. PostgreSQL takes it from the
    tenant's sequence, holding no lock (as ticket numbers); SQLite counts in the settings."""
    settings(session, create=True)
    if session.get_bind().dialect.name == "postgresql":
        return int(
            session.execute(
                text("SELECT changes_next_number(:tenant)"), {"tenant": session_tenant(session)}
            ).scalar_one()
        )
    stmt = (
        update(ChangeSettings)
        .values(next_number=col(ChangeSettings.next_number) + 1)
        .returning(col(ChangeSettings.next_number))
    )
    return int(session.execute(stmt).scalar_one()) - 1


def events(session: Session, change_id: uuid.UUID) -> list[ChangeEvent]:
    """A change's history, oldest first."""
    stmt = (
        select(ChangeEvent)
        .where(ChangeEvent.change_id == change_id)
        .order_by(col(ChangeEvent.at), col(ChangeEvent.id))
    )
    return list(session.exec(stmt))


_VOTES = (
    select(Vote).where(Vote.change_id == bindparam("change")).order_by(col(Vote.at), col(Vote.id))
)


def votes(session: Session, change_id: uuid.UUID) -> list[Vote]:
    """A change's approval votes in the order they were cast."""
    return list(session.exec(_VOTES, params={"change": change_id}))


def rollbacks(session: Session, change_id: uuid.UUID) -> list[Rollback]:
    """A change's rollbacks, in the order they started."""
    stmt = (
        select(Rollback)
        .where(Rollback.change_id == change_id)
        .order_by(col(Rollback.started_at), col(Rollback.id))
    )
    return list(session.exec(stmt))


def template(
    session: Session, template_id: uuid.UUID, *, for_update: bool = False
) -> ChangeTemplate | None:
    """One change template; `for_update` locks it for a write that reads it first."""
    stmt = select(ChangeTemplate).where(ChangeTemplate.id == template_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def templates(session: Session) -> list[ChangeTemplate]:
    """The tenant's change templates by name."""
    stmt = select(ChangeTemplate).order_by(col(ChangeTemplate.name), col(ChangeTemplate.id))
    return list(session.exec(stmt))


def template_named(session: Session, name: str) -> ChangeTemplate | None:
    """The template of this name: names are unique per tenant."""
    return session.exec(select(ChangeTemplate).where(ChangeTemplate.name == name)).first()


def rule(session: Session, rule_id: uuid.UUID, *, for_update: bool = False) -> ApprovalRule | None:
    """One approval rule; `for_update` locks it for a write that reads it first."""
    stmt = select(ApprovalRule).where(ApprovalRule.id == rule_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def rule_for(session: Session, change_type: ChangeType, risk: RiskClass) -> ApprovalRule | None:
    """The tenant's rule for this type and risk class; None means the default applies."""
    stmt = select(ApprovalRule).where(
        ApprovalRule.change_type == change_type, ApprovalRule.risk_class == risk
    )
    return session.exec(stmt).first()


def rules(session: Session) -> list[ApprovalRule]:
    """The tenant's approval rules by change type and risk class."""
    stmt = select(ApprovalRule).order_by(
        col(ApprovalRule.change_type), col(ApprovalRule.risk_class)
    )
    return list(session.exec(stmt))


def past_window(session: Session, now: datetime, waiting: frozenset[ChangeStatus]) -> list[Change]:
    """Changes in one of the `waiting` statuses whose window ended before `now`, not yet
    flagged, locked for the flag."""
    stmt = (
        select(Change)
        .where(
            col(Change.status).in_(waiting),
            col(Change.planned_end) < now,
            col(Change.overdue_at).is_(None),
        )
        .order_by(col(Change.planned_end), col(Change.id))
        .with_for_update()
    )
    return list(session.exec(stmt))


def overlapping(
    session: Session, start: datetime, end: datetime, statuses: frozenset[ChangeStatus]
) -> list[Change]:
    """Changes in one of `statuses` whose planned window overlaps [start, end), by start."""
    stmt = (
        select(Change)
        .where(
            col(Change.status).in_(statuses),
            col(Change.planned_start) < end,
            col(Change.planned_end) > start,
        )
        .order_by(col(Change.planned_start), col(Change.id))
    )
    return list(session.exec(stmt))


class Planned(NamedTuple):
    """A change as the calendar shows it: its window and what it touches, without the
    documents (description, rollback plan, risk answers) a calendar never reads. A tuple:
    a month across clients builds ~10,000 of them."""

    id: uuid.UUID
    number: str
    title: str
    type: ChangeType
    status: ChangeStatus
    risk_class: RiskClass | None
    planned_start: datetime
    planned_end: datetime
    service_ids: list[str]
    ci_ids: list[str]
    causes_downtime: bool


PLANNED = Planned._fields
ID_LISTS = ("service_ids", "ci_ids")
_LIST_AT = tuple(PLANNED.index(name) for name in ID_LISTS)


_c = Change.__table__.c  # type: ignore[attr-defined]
_entries = StoredEntry.__table__  # type: ignore[attr-defined]
_e = _entries.c
_JOINED = and_(_e.tenant_id == _c.tenant_id, _e.change_id == _c.id)
# A change's stored calendar entry (None while stale), asked per change row.
_ENTRY_OF_ROW = columns(_e.entry).where(_JOINED).scalar_subquery()
# A Core statement on the table, built once, the tenant named as the CMDB's walk names it:
# read in every change's answer and the calendar's, it skips the ORM's per-statement work
# (loader criteria, compile state, row loading) and putting the statement together again.
# The id lists come as their JSON text (see planned).
_PLANNED_ROWS = columns(
    *(cast(_c[name], String).label(name) if name in ID_LISTS else _c[name] for name in PLANNED)
).where(
    _c.tenant_id == bindparam("tenant"),
    _c.status.in_(bindparam("statuses", expanding=True)),
    _c.planned_start < bindparam("end"),
    _c.planned_end > bindparam("start"),
)
_PLANNED = _PLANNED_ROWS.order_by(_c.planned_start, _c.id)
_PLANNED_BESIDES = _PLANNED.where(
    or_(_c.planned_start >= bindparam("besides_end"), _c.planned_end <= bindparam("besides_start"))
)
# With its calendar entry as stored (None while stale): its conflicts, where it is live.
_READ = columns(
    *(column for column in _c if column.name != "tenant_id"),
    _ENTRY_OF_ROW.label("calendar_entry"),
).where(_c.tenant_id == bindparam("tenant"), _c.id == bindparam("id"))


def planned(
    session: Session,
    start: datetime,
    end: datetime,
    statuses: frozenset[ChangeStatus],
    *,
    besides: tuple[datetime, datetime] | None = None,
) -> list[Planned]:
    """The calendar's columns of the changes in one of `statuses` whose planned window
    overlaps [start, end) (and not `besides`, a period already read), by start and id."""
    # Each distinct text of an id list is decoded once (most changes name no CI: '[]'); a
    # driver's JSON loader costs more per row than the decoding itself. Equal lists are
    # therefore one shared list: read them, never change them.
    params = {
        "tenant": session_tenant(session),
        "statuses": sorted(statuses),
        "start": start,
        "end": end,
    }
    stmt = _PLANNED
    if besides is not None:
        stmt = _PLANNED_BESIDES
        params |= {"besides_start": besides[0], "besides_end": besides[1]}
    return _planned_rows(session.execute(stmt, params).all())


def _planned_rows(rows: Iterable[Sequence[Any]]) -> list[Planned]:
    decoded: dict[str | None, Any] = {None: None}
    found = []
    for row in rows:
        values = list(row)
        for i in _LIST_AT:
            raw = values[i]
            if raw not in decoded:
                decoded[raw] = json.loads(raw)
            values[i] = decoded[raw]
        found.append(Planned._make(values))
    return found


def freezes(
    session: Session, start: datetime | None = None, end: datetime | None = None
) -> list[Freeze]:
    """The tenant's freeze periods, those overlapping [start, end) when given, by start."""
    stmt = select(Freeze).order_by(col(Freeze.starts_at), col(Freeze.id))
    if start is not None and end is not None:
        stmt = stmt.where(col(Freeze.starts_at) < end, col(Freeze.ends_at) > start)
    return list(session.exec(stmt))


class FreezeWindow(NamedTuple):
    """A freeze period as a change's warnings compare it."""

    id: uuid.UUID
    name: str
    starts_at: datetime
    ends_at: datetime


_f = Freeze.__table__.c  # type: ignore[attr-defined]
# Built once, on the table, the tenant named (see _PLANNED): the freezes a window touches.
_FREEZE_IN_WINDOW = (
    _f.tenant_id == bindparam("tenant"),
    _f.starts_at < bindparam("end"),
    _f.ends_at > bindparam("start"),
)
_FREEZE_WINDOWS = (
    columns(_f.id, _f.name, _f.starts_at, _f.ends_at)
    .where(*_FREEZE_IN_WINDOW)
    .order_by(_f.starts_at, _f.id)
)


# The live changes and the freeze periods of one window in one round trip: every answer with
# a change reads both. A freeze is a row of the changes' columns: its name for the number,
# its period for the window, the last column telling them apart.
_FREEZE_ROWS = columns(
    _f.id, _f.name, *[null()] * 4, _f.starts_at, _f.ends_at, *[null()] * 3, true()
).where(*_FREEZE_IN_WINDOW)
_BOTH = union_all(_PLANNED_ROWS.add_columns(false().label("freeze")), _FREEZE_ROWS)
_WINDOW = _BOTH.order_by(*(_BOTH.selected_columns[n] for n in ("freeze", "planned_start", "id")))


def in_window(
    session: Session, start: datetime, end: datetime, statuses: frozenset[ChangeStatus]
) -> tuple[list[Planned], list[FreezeWindow]]:
    """What a change's warnings compare, asked once: the changes in one of `statuses` whose
    planned window overlaps [start, end), by start and id, and the freeze periods it touches,
    by start."""
    params = {
        "tenant": session_tenant(session),
        "statuses": sorted(statuses),
        "start": start,
        "end": end,
    }
    rows = session.execute(_WINDOW, params).all()
    changes = _planned_rows(row[:-1] for row in rows if not row.freeze)
    # A freeze's row: its name is in the number's column, its period in the window's.
    freezes = [
        FreezeWindow(r.id, r.number, r.planned_start, r.planned_end) for r in rows if r.freeze
    ]
    return changes, freezes


# The calendar's stored entries (changes.calendar): a change without a row is stale as well.
_WITH_ENTRY = Change.__table__.outerjoin(_entries, _JOINED)  # type: ignore[attr-defined]
# The entry as a subquery per change: a join let the planner hash all of a tenant's entries
# (~10,000) for a month's ~430 changes.
_STORED = (
    columns(_c.planned_start, _c.number, _ENTRY_OF_ROW.label("entry"))
    .where(
        _c.tenant_id == bindparam("tenant"),
        _c.status.in_(bindparam("statuses", expanding=True)),
        _c.planned_start < bindparam("end"),
        _c.planned_end > bindparam("start"),
    )
    .order_by(_c.planned_start, _c.id)
)
_STALE = columns(
    _c.id, func.coalesce(_e.epoch, 0).label("epoch"), _c.planned_start, _c.planned_end
).where(
    _c.tenant_id == bindparam("tenant"),
    _c.status.in_(bindparam("statuses", expanding=True)),
    _c.planned_start.is_not(None),
)
# Those made stale by a write, found by the partial index; and those never written (loaded
# in bulk: an import, a database from before the entries), which takes the whole tenant.
_STALE_MARKED = (
    _STALE.select_from(Change.__table__.join(_entries, _JOINED))  # type: ignore[attr-defined]
    .where(_e.tenant_id == bindparam("tenant"), _e.entry.is_(None))
    .order_by(_c.planned_start, _c.id)
    .limit(bindparam("limit"))
)
_STALE_ALL = (
    _STALE.select_from(_WITH_ENTRY)
    .where(_e.entry.is_(None))
    .order_by(_c.planned_start, _c.id)
    .limit(bindparam("limit"))
)
_UNSHOWN = _entries.delete().where(
    _e.tenant_id == bindparam("tenant"),
    _e.entry.is_(None),
    _e.change_id.in_(
        columns(_c.id).where(
            _c.tenant_id == bindparam("tenant"),
            _c.status.not_in(bindparam("statuses", expanding=True)),
        )
    ),
)


class Stale(NamedTuple):
    id: uuid.UUID
    epoch: int
    planned_start: datetime
    planned_end: datetime


def stored_entries(
    session: Session, start: datetime, end: datetime, statuses: frozenset[ChangeStatus]
) -> list[Row[Any]]:
    """(planned_start, number, entry) of the changes in `statuses` whose window overlaps
    [start, end), by start and id; entry is None where stale."""
    params = {
        "tenant": session_tenant(session),
        "statuses": sorted(statuses),
        "start": start,
        "end": end,
    }
    return list(session.execute(_STORED, params).all())


def stale_entries(
    session: Session, statuses: frozenset[ChangeStatus], limit: int, *, unwritten: bool = False
) -> list[Stale]:
    """The changes in `statuses` with a window whose entry a write made stale, earliest
    first, with the epoch their rewrite must still find; with `unwritten`, also those whose
    entry was never written."""
    params = {"tenant": session_tenant(session), "statuses": sorted(statuses), "limit": limit}
    stmt = _STALE_ALL if unwritten else _STALE_MARKED
    return [Stale._make(row) for row in session.execute(stmt, params)]


def forget_unshown(session: Session, statuses: frozenset[ChangeStatus]) -> None:
    """Drop the stale entries of changes no longer in `statuses` (cancelled, rejected): none
    will be shown or written again, and a missing entry is stale as well."""
    session.execute(_UNSHOWN, {"tenant": session_tenant(session), "statuses": sorted(statuses)})


def _upsert(dialect: str) -> Any:
    """An insert into the entries that can say what to do on conflict, in `dialect`."""
    return (postgresql if dialect == "postgresql" else sqlite).insert(_entries)


def store_entries(session: Session, found: list[tuple[uuid.UUID, int, str]]) -> None:
    """Write each (change id, epoch read, entry), unless a write made it stale again since:
    its epoch is then higher and the entry stays stale for the next rewrite."""
    if not found:
        return
    insert = _upsert(session.get_bind().dialect.name).values(
        tenant_id=bindparam("t"),
        change_id=bindparam("c"),
        epoch=bindparam("e"),
        entry=bindparam("x"),
    )
    stmt = insert.on_conflict_do_update(
        index_elements=[_e.tenant_id, _e.change_id],
        set_={"entry": insert.excluded.entry},
        where=_e.epoch == insert.excluded.epoch,
    )
    tenant = session_tenant(session)
    session.execute(stmt, [{"t": tenant, "c": c, "e": e, "x": x} for c, e, x in found])


_ENTRY_OF = columns(_e.entry).where(
    _e.tenant_id == bindparam("tenant"), _e.change_id == bindparam("id")
)


def stored_entry(session: Session, change_id: uuid.UUID) -> str | None:
    """A change's calendar entry as stored, None while stale."""
    params = {"tenant": session_tenant(session), "id": change_id}
    return session.execute(_ENTRY_OF, params).scalar()


_HELD = columns(_e.change_id, _e.entry, _e.epoch).where(
    _e.tenant_id == bindparam("tenant"), _e.change_id.in_(bindparam("ids", expanding=True))
)


def held_entries(
    session: Session, tenant_id: uuid.UUID, ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[str | None, int]]:
    """(entry, epoch) of these changes' stored entries, where they have a row. In a flush."""
    params = {"tenant": tenant_id, "ids": ids}
    rows = session.connection().execute(_HELD, params)
    return {row.change_id: (row.entry, row.epoch) for row in rows}


_REWRITE = (
    _entries.update()
    .where(
        _e.tenant_id == bindparam("t"),
        _e.change_id == bindparam("c"),
        _e.epoch == bindparam("e"),
    )
    .values(entry=bindparam("x"), epoch=_e.epoch + 1)
    .returning(_e.change_id)
)


def rewrite_entries(
    session: Session, tenant_id: uuid.UUID, found: list[tuple[uuid.UUID, int, str]]
) -> set[uuid.UUID]:
    """Write each (change id, epoch read, entry) still at that epoch, raising it (so no
    rewrite computed before lands over it); the ids written. In a flush."""
    written = set()
    for change_id, epoch, entry in sorted(found):
        params = {"t": tenant_id, "c": change_id, "e": epoch, "x": entry}
        written |= set(session.connection().execute(_REWRITE, params).scalars())
    return written


def make_stale(
    session: Session,
    tenant_id: uuid.UUID,
    *,
    shown: frozenset[ChangeStatus],
    live: frozenset[ChangeStatus],
    ids: Iterable[uuid.UUID] = (),
    spans: Iterable[tuple[datetime, datetime]] = (),
    with_cis: bool = False,
    with_downtime: bool = False,
) -> None:
    """Mark stale, raising their epoch: the changes `ids` while `shown`, and the `live`
    changes whose window overlaps one of `spans`, that name a CI (`with_cis`) or cause
    downtime (`with_downtime`). Run in a flush, so on the session's connection."""
    ids, spans = list(ids), sorted(spans)
    params: dict[str, Any] = {"tenant": tenant_id, "shown": sorted(shown), "live": sorted(live)}
    if ids:
        params["ids"] = ids
    for i, (start, end) in enumerate(spans):
        params |= {f"start{i}": start, f"end{i}": end}
    dialect = session.get_bind().dialect.name
    stmt = _stale_statement(dialect, bool(ids), len(spans), with_cis, with_downtime)
    session.connection().execute(stmt, params)


@lru_cache(maxsize=64)
def _stale_statement(dialect: str, ids: bool, spans: int, with_cis: bool, downtime: bool) -> Any:
    """make_stale's statement of one shape, built once (an approval sends it every time)."""
    claiming = _c.status.in_(bindparam("live", expanding=True))
    which = []
    if ids:
        shown = _c.status.in_(bindparam("shown", expanding=True))
        which.append(and_(_c.id.in_(bindparam("ids", expanding=True)), shown))
    which += [
        and_(
            claiming,
            _c.planned_start < bindparam(f"end{i}"),
            _c.planned_end > bindparam(f"start{i}"),
        )
        for i in range(spans)
    ]
    if with_cis:
        which.append(and_(claiming, cast(_c.ci_ids, String) != "[]"))
    if downtime:
        which.append(and_(claiming, _c.causes_downtime))
    # In the order of their ids: two writes that make the same entries stale lock them in
    # the same order, so neither waits on the other in a circle.
    rows = (
        columns(_c.tenant_id, _c.id, literal(1, Integer), null())
        .where(_c.tenant_id == bindparam("tenant"), or_(*which))
        .order_by(_c.id)
    )
    return (
        _upsert(dialect)
        .from_select(["tenant_id", "change_id", "epoch", "entry"], rows)
        .on_conflict_do_update(
            index_elements=[_e.tenant_id, _e.change_id], set_={"entry": None, "epoch": _e.epoch + 1}
        )
    )


_FREEZES_IN = (
    columns(*(column for column in _f if column.name != "tenant_id"))
    .where(*_FREEZE_IN_WINDOW)
    .order_by(_f.starts_at, _f.id)
)


def freezes_in(session: Session, start: datetime, end: datetime) -> list[Row[Any]]:
    """The freeze periods overlapping [start, end) as their columns, by start: what a
    calendar read as stored shows of them, without loading entities."""
    params = {"tenant": session_tenant(session), "start": start, "end": end}
    return list(session.execute(_FREEZES_IN, params).all())


def freeze_windows(session: Session, start: datetime, end: datetime) -> list[FreezeWindow]:
    """The tenant's freeze periods overlapping [start, end), by start."""
    params = {"tenant": session_tenant(session), "start": start, "end": end}
    return [FreezeWindow._make(row) for row in session.execute(_FREEZE_WINDOWS, params)]


def freeze(session: Session, freeze_id: uuid.UUID) -> Freeze | None:
    """One freeze period of the tenant."""
    return session.exec(select(Freeze).where(Freeze.id == freeze_id)).first()


def feed_token(session: Session, token_id: uuid.UUID) -> FeedToken | None:
    """One calendar feed token, to revoke it."""
    return session.exec(select(FeedToken).where(FeedToken.id == token_id)).first()


def feed_tokens(session: Session) -> list[FeedToken]:
    """The tenant's calendar feed tokens, oldest first."""
    stmt = select(FeedToken).order_by(col(FeedToken.created_at), col(FeedToken.id))
    return list(session.exec(stmt))


def review(session: Session, change_id: uuid.UUID) -> Review | None:
    """A change's post-implementation review, if written."""
    return session.exec(select(Review).where(Review.change_id == change_id)).first()


def take_release_number(session: Session) -> int:
    """The tenant's next release number, counted in the settings row (which the update locks
    until the transaction ends: releases are few)."""
    settings(session, create=True)
    stmt = (
        update(ChangeSettings)
        .values(next_release_number=col(ChangeSettings.next_release_number) + 1)
        .returning(col(ChangeSettings.next_release_number))
    )
    return int(session.execute(stmt).scalar_one()) - 1


def release(session: Session, release_id: uuid.UUID, *, for_update: bool = False) -> Release | None:
    """One release; `for_update` locks it for a write that reads it first."""
    stmt = select(Release).where(Release.id == release_id)
    return session.exec(stmt.with_for_update() if for_update else stmt).first()


def release_page(session: Session, *, limit: int, after: list[Any] | None) -> list[Release]:
    """Releases, newest first."""
    stmt = keyset(
        select(Release),
        col(Release.created_at),
        col(Release.id),
        descending=True,
        after=typed_cursor(after, timestamp=True),
    )
    return list(session.exec(stmt.limit(limit)))


def releases_bundling(session: Session, change_id: uuid.UUID, *, limit: int) -> list[Release]:
    """The releases that bundle the change, newest first."""
    stmt = (
        select(Release)
        .where(cast(Release.change_ids, String).contains(f'"{change_id}"'))
        .order_by(col(Release.created_at).desc(), col(Release.id).desc())
    )
    return list(session.exec(stmt.limit(limit)))


def deployments(session: Session, release_id: uuid.UUID) -> list[Deployment]:
    """The release's deployments and rollbacks in the order they ran."""
    stmt = (
        select(Deployment)
        .where(Deployment.release_id == release_id)
        .order_by(col(Deployment.at), col(Deployment.recorded_at), col(Deployment.id))
    )
    return list(session.exec(stmt))


def sign_offs(session: Session, release_id: uuid.UUID) -> list[SignOff]:
    """A release's sign-offs in the order they were given."""
    stmt = (
        select(SignOff)
        .where(SignOff.release_id == release_id)
        .order_by(col(SignOff.at), col(SignOff.id))
    )
    return list(session.exec(stmt))


def changes_in(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Change]:
    """The tenant's changes among `ids`, by id (another tenant's are simply absent)."""
    if not ids:
        return {}
    return {c.id: c for c in session.exec(select(Change).where(col(Change.id).in_(ids)))}


def ends_between(
    session: Session, start: datetime, end: datetime, ends: frozenset[ChangeStatus]
) -> dict[uuid.UUID, datetime]:
    """The changes whose first status row to one of `ends` lies in [start, end), with its time."""
    first = func.min(col(ChangeEvent.at))
    stmt = (
        select(col(ChangeEvent.change_id), first)
        .where(
            ChangeEvent.kind == ChangeEventKind.status,
            col(ChangeEvent.to_value).in_([s.value for s in ends]),
        )
        .group_by(col(ChangeEvent.change_id))
        .having(first >= start, first < end)
    )
    return {change_id: at for change_id, at in session.exec(stmt)}


def statuses_reached(
    session: Session, ids: list[uuid.UUID], among: frozenset[ChangeStatus]
) -> set[tuple[uuid.UUID, str]]:
    """(change, status) for every status of `among` each of `ids` ever reached."""
    if not ids:
        return set()
    stmt = select(col(ChangeEvent.change_id), col(ChangeEvent.to_value)).where(
        col(ChangeEvent.change_id).in_(ids),
        ChangeEvent.kind == ChangeEventKind.status,
        col(ChangeEvent.to_value).in_([s.value for s in among]),
    )
    return {(change_id, str(value)) for change_id, value in session.exec(stmt)}


def reviews_of(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, Review]:
    """The reviews of these changes in one statement, for the change KPIs."""
    if not ids:
        return {}
    return {
        r.change_id: r for r in session.exec(select(Review).where(col(Review.change_id).in_(ids)))
    }


def in_statuses(session: Session, statuses: frozenset[ChangeStatus]) -> list[Change]:
    """The tenant's changes in one of these statuses (a few: the ones not yet done)."""
    stmt = select(Change).where(col(Change.status).in_(list(statuses)))
    return list(session.exec(stmt.order_by(col(Change.planned_start), col(Change.number))))


def downtime_ahead(
    session: Session, now: datetime, statuses: frozenset[ChangeStatus]
) -> list[Change]:
    """Changes in `statuses` that cause downtime in a window still to come, locked so two
    sweeps never announce the same window twice."""
    stmt = (
        select(Change)
        .where(
            col(Change.causes_downtime).is_(True),
            col(Change.status).in_(statuses),
            col(Change.planned_start) > now,
            col(Change.planned_end).is_not(None),
        )
        .order_by(col(Change.planned_start), col(Change.id))
        .with_for_update()
    )
    return list(session.exec(stmt))


def downtime_withdrawn(
    session: Session, now: datetime, statuses: frozenset[ChangeStatus]
) -> list[Change]:
    """Changes once announced whose downtime no longer stands: in one of `statuses` (e.g.
    cancelled) or no longer causing downtime, with a window not yet begun; locked."""
    announced = select(ChangeEvent.change_id).where(
        ChangeEvent.kind == ChangeEventKind.downtime_announced
    )
    stmt = (
        select(Change)
        .where(
            col(Change.id).in_(announced),
            col(Change.status).in_(statuses) | col(Change.causes_downtime).is_(False),
            col(Change.planned_start).is_(None) | (col(Change.planned_start) > now),
        )
        .order_by(col(Change.id))
        .with_for_update()
    )
    return list(session.exec(stmt))


def last_downtime_notice(session: Session, change_id: uuid.UUID) -> ChangeEvent | None:
    """The latest announcement or cancellation of the change's downtime, if any."""
    kinds = (ChangeEventKind.downtime_announced, ChangeEventKind.downtime_cancelled)
    stmt = (
        select(ChangeEvent)
        .where(ChangeEvent.change_id == change_id, col(ChangeEvent.kind).in_(kinds))
        .order_by(col(ChangeEvent.at).desc(), col(ChangeEvent.id).desc())
    )
    return session.exec(stmt).first()
