"""All SQL of the CMDB. The session scopes every ORM statement to its tenant; the impact
query, built on the tables themselves, names the tenant explicitly."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Integer,
    Table,
    and_,
    bindparam,
    func,
    literal,
    or_,
    union,
)
from sqlalchemy import select as core_select  # five columns: more than sqlmodel's typing
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import Uuid
from sqlmodel import Session, col, select

from cmdb.models import Ci, CiClass, CiRelation, CiStatus, CiVersion, RelationType
from core.api.pagination import keyset, typed_cursor
from core.db import session_tenant

SORTS: dict[str, Any] = {
    "name": Ci.name,
    "naturalKey": Ci.natural_key,
    "createdAt": Ci.created_at,
}
MAX_CLASSES = 500  # per tenant: classes are configuration, read whole for a list


@dataclass(frozen=True)
class Filters:
    class_id: uuid.UUID | None = None
    status: list[CiStatus] | None = None
    text: str | None = None  # a case-insensitive substring of the name


@dataclass(frozen=True)
class Step:
    """One way the impact query reached a CI: from `parent`, over a relation of `type`."""

    ci_id: uuid.UUID
    parent_id: uuid.UUID
    type: RelationType
    depth: int


def add_unique(session: Session, row: Any) -> bool:
    """Insert the row; False when a unique key refused it (a concurrent request took the key
    between the caller's check and this insert)."""
    try:
        with session.begin_nested():
            session.add(row)
        return True
    except IntegrityError:
        return False


def get_class(session: Session, class_id: uuid.UUID) -> CiClass | None:
    """One CI class of the tenant (built-in or its own)."""
    return session.exec(select(CiClass).where(CiClass.id == class_id)).first()


def classes(session: Session) -> list[CiClass]:
    """The tenant's CI classes by key; configuration, so read whole (capped)."""
    return list(session.exec(select(CiClass).order_by(col(CiClass.key)).limit(MAX_CLASSES)))


def class_key_taken(session: Session, key: str) -> bool:
    """Whether a class key is in use: keys are unique per tenant."""
    return session.exec(select(CiClass.id).where(CiClass.key == key)).first() is not None


def get(session: Session, ci_id: uuid.UUID, *, for_update: bool = False) -> Ci | None:
    """One CI; `for_update` locks it for a write that reads it first."""
    stmt = select(Ci).where(Ci.id == ci_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def get_many(session: Session, ci_ids: list[uuid.UUID]) -> list[Ci]:
    """The CIs of those ids that exist in the tenant, in one statement."""
    return list(session.exec(select(Ci).where(col(Ci.id).in_(ci_ids)))) if ci_ids else []


def natural_key_taken(
    session: Session, class_id: uuid.UUID, natural_key: str, *, besides: uuid.UUID | None = None
) -> bool:
    """Whether another CI of the class has this natural key: it names one CI per class."""
    stmt = select(Ci.id).where(Ci.class_id == class_id, Ci.natural_key == natural_key)
    if besides is not None:
        stmt = stmt.where(Ci.id != besides)
    return session.exec(stmt).first() is not None


def page(
    session: Session, filters: Filters, *, sort: str, limit: int, after: list[Any] | None
) -> list[Ci]:
    """A page of CIs by class, status and name, in keyset order."""
    key = sort.lstrip("-")
    stmt = select(Ci)
    if filters.class_id is not None:
        stmt = stmt.where(Ci.class_id == filters.class_id)
    if filters.status:
        stmt = stmt.where(col(Ci.status).in_(filters.status))
    if filters.text:
        pattern = "%" + _escape_like(filters.text) + "%"
        stmt = stmt.where(col(Ci.name).ilike(pattern, escape="\\"))
    typed_after = typed_cursor(after, timestamp=key == "createdAt")
    stmt = keyset(stmt, SORTS[key], col(Ci.id), descending=sort.startswith("-"), after=typed_after)
    return list(session.exec(stmt.limit(limit)))


def _escape_like(text: str) -> str:
    """The text matched literally: LIKE's wildcards in it are only characters."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def cursor_values(ci: Ci, sort: str) -> list[Any]:
    """The keyset cursor after this CI in the sort, for the next page."""
    key = sort.lstrip("-")
    value = getattr(ci, SORTS[key].key)
    return [value.isoformat() if key == "createdAt" else str(value), str(ci.id)]


def versions(session: Session, ci_id: uuid.UUID) -> list[CiVersion]:
    """Every version of a CI, oldest first: its history."""
    stmt = select(CiVersion).where(CiVersion.ci_id == ci_id).order_by(col(CiVersion.version))
    return list(session.exec(stmt))


def version_at(session: Session, ci_id: uuid.UUID, at: datetime) -> CiVersion | None:
    """The CI's last version written at or before `at`."""
    stmt = (
        select(CiVersion)
        .where(CiVersion.ci_id == ci_id, col(CiVersion.at) <= at)
        .order_by(col(CiVersion.version).desc())
    )
    return session.exec(stmt.limit(1)).first()


def get_relation(
    session: Session, relation_id: uuid.UUID, *, for_update: bool = False
) -> CiRelation | None:
    """One relation; `for_update` locks it for a write that reads it first."""
    stmt = select(CiRelation).where(CiRelation.id == relation_id)
    if for_update:
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def current_relation(
    session: Session, source_id: uuid.UUID, target_id: uuid.UUID, type_: RelationType
) -> CiRelation | None:
    """The relation of this type between the two CIs that is not removed, if any."""
    stmt = select(CiRelation).where(
        CiRelation.source_id == source_id,
        CiRelation.target_id == target_id,
        CiRelation.type == type_,
        col(CiRelation.removed_at).is_(None),
    )
    return session.exec(stmt).first()


def relations_of(
    session: Session, ci_id: uuid.UUID, *, at: datetime | None = None, every: bool = False
) -> list[CiRelation]:
    """The CI's relations either way: current ones, those in force at `at`, or every one
    ever recorded."""
    stmt = select(CiRelation).where(
        or_(col(CiRelation.source_id) == ci_id, col(CiRelation.target_id) == ci_id)
    )
    if at is not None:
        removed = col(CiRelation.removed_at)
        stmt = stmt.where(col(CiRelation.created_at) <= at, or_(removed.is_(None), removed > at))
    elif not every:
        stmt = stmt.where(col(CiRelation.removed_at).is_(None))
    return list(session.exec(stmt.order_by(col(CiRelation.created_at), col(CiRelation.id))))


def reachable(session: Session, start: uuid.UUID, *, upward: bool, depth: int) -> list[Step]:
    """Every (CI, parent, type, depth) the current relations reach from `start` within `depth`
    steps, following relations backwards (`upward`: who rests on it) or forwards."""
    reach = _walk(session, [start], upward=upward, depth=depth)
    rows = session.execute(select(reach.c.ci_id, reach.c.parent_id, reach.c.type, reach.c.depth))
    return [Step(row[0], row[1], RelationType(row[2]), row[3]) for row in rows]


def reached_from(
    session: Session, starts: list[uuid.UUID], *, upward: Iterable[bool], depth: int
) -> dict[bool, set[tuple[int, int]]]:
    """Per direction (`upward` or not), each (start, CI) pair where the CI is reached from
    one of `starts` within `depth` steps that way, as their numbers (`UUID.int`: ints hash
    far faster than UUIDs). Walked a step
    at a time for every start and both directions at once: one indexed statement per step
    (per STEP_CHUNK CIs), where a recursive query over hundreds of starts is estimated so
    large that PostgreSQL scans the tenant's whole relation index for it."""
    ids = {ci.int: ci for ci in starts}
    # Per direction: the CIs reached at the last step, each with the starts that reach it.
    fronts = {up: {n: {n} for n in ids} for up in set(upward)}
    seen: dict[bool, set[tuple[int, int]]] = {up: set() for up in fronts}
    for _ in range(depth):
        down, up_ = ([ids[n] for n in fronts.get(way, {})] for way in (False, True))
        ahead: dict[bool, dict[int, set[int]]] = {up: {} for up in fronts}
        for source, target in _steps(session, down, up_):
            s, t = source.int, target.int
            ids[s], ids[t] = source, target
            for up, near, far in ((False, s, t), (True, t, s)):
                for origin in fronts.get(up, {}).get(near, ()):
                    if origin != far and (origin, far) not in seen[up]:
                        seen[up].add((origin, far))
                        ahead[up].setdefault(far, set()).add(origin)
        fronts = ahead
    return seen


STEP_CHUNK = 1000  # CIs per list in one statement: well inside SQLite's bound on parameters
_r = CiRelation.__table__.c  # type: ignore[attr-defined]
# Built once: the lists are expanding parameters, so neither the statement nor its CI ids
# are put together again on every change's answer.
_STEP = core_select(_r.source_id, _r.target_id).where(
    _r.tenant_id == bindparam("tenant"),
    _r.removed_at.is_(None),
    or_(
        _r.source_id.in_(bindparam("down", expanding=True)),
        _r.target_id.in_(bindparam("up", expanding=True)),
    ),
)


def _steps(
    session: Session, down: Iterable[uuid.UUID], up: Iterable[uuid.UUID]
) -> Iterator[tuple[uuid.UUID, uuid.UUID]]:
    """(source, target) of the current relations leaving `down` or arriving at `up`."""
    tenant, downs, ups = session_tenant(session), list(down), list(up)
    for i in range(0, max(len(downs), len(ups)), STEP_CHUNK):
        some = {"tenant": tenant, "down": downs[i : i + STEP_CHUNK], "up": ups[i : i + STEP_CHUNK]}
        yield from session.execute(_STEP, some).all()


def _paths(ids: Any) -> CompoundSelect:
    """(first, last) CI of each path of one or two current relations between CIs of `ids` (a
    table of one column), the tenant named (row-level security holds it too on PostgreSQL).
    The paths start from a join with `ids`, so the relation indexes are probed per CI,
    however many CIs there are."""
    table: Table = CiRelation.__table__  # type: ignore[attr-defined]
    a, b = table.alias("a"), table.alias("b")
    tenant: BindParameter[Any] = bindparam("tenant")
    ci = ids.c[0]
    starts = and_(a.c.tenant_id == tenant, a.c.source_id == ci, a.c.removed_at.is_(None))
    ends = core_select(ci)
    one = (
        core_select(a.c.source_id, a.c.target_id)
        .join_from(ids, a, starts)
        .where(a.c.target_id.in_(ends))
    )
    two = (
        core_select(a.c.source_id, b.c.target_id)
        .join_from(ids, a, starts)
        .join(b, and_(b.c.tenant_id == tenant, b.c.source_id == a.c.target_id))
        .where(b.c.removed_at.is_(None), b.c.target_id.in_(ends))
    )
    return union(one, two)


# Built once. The CIs come as one parameter: an array on PostgreSQL (one statement text, so
# prepared once, however many CIs), a JSON list of the stored spelling on SQLite.
_PATHS_POSTGRESQL = _paths(
    func.unnest(bindparam("ids", type_=ARRAY(Uuid()))).table_valued("id").render_derived("ids")
)
_PATHS_SQLITE = _paths(func.json_each(bindparam("ids")).table_valued("value").alias("ids"))


def paths_between(
    session: Session, ci_ids: Iterable[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Each (a, b) of `ci_ids` where a path of one or two current relations leads from a to
    b (b is what a rests on, or what that rests on). Asked of the database in one statement,
    so only the few pairs come back, not every relation around the CIs."""
    ids = list(set(ci_ids))
    if not ids:
        return set()
    params: dict[str, Any] = {"tenant": session_tenant(session)}
    if session.get_bind().dialect.name == "postgresql":
        stmt, params["ids"] = _PATHS_POSTGRESQL, ids
    else:
        stmt, params["ids"] = _PATHS_SQLITE, json.dumps([ci.hex for ci in ids])
    return {(a, b) for a, b in session.execute(stmt, params)}


def _walk(session: Session, starts: list[uuid.UUID], *, upward: bool, depth: int) -> Any:
    """The recursive CTE behind `reachable`, the same SQL on SQLite and PostgreSQL. UNION
    (not UNION ALL) keeps each row once, and the depth bound ends the recursion, so a cycle
    cannot make it run away: at most one row per start, relation and depth."""
    table: Table = CiRelation.__table__  # type: ignore[attr-defined]
    r = table.c
    near, far = (r.target_id, r.source_id) if upward else (r.source_id, r.target_id)
    current = and_(r.tenant_id == session_tenant(session), r.removed_at.is_(None))
    seed = core_select(
        near.label("origin"),
        far.label("ci_id"),
        near.label("parent_id"),
        r.type,
        literal(1, Integer).label("depth"),
    ).where(current, near.in_(starts))
    reach = seed.cte("reach", recursive=True)
    step = (
        core_select(reach.c.origin, far, near, r.type, reach.c.depth + 1)
        .join_from(table, reach, near == reach.c.ci_id)
        .where(current, reach.c.depth < depth)
    )
    return reach.union(step)
