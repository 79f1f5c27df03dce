"""The CMDB pages: configuration items by class and name, and one CI with its attributes,
relations, history (and its state at a past moment), what references it and its impact,
drawn and listed.

Every read is the same service call as the CMDB and impact API, under the signed-in person's
principal, so the pages show exactly what the API would.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from changes import repository as change_repository
from changes import service as change_service
from cmdb import classes, history, permissions, repository, service
from cmdb import public as cmdb
from cmdb.attributes import AttributeType
from cmdb.errors import CiNotFound
from cmdb.models import Ci, CiStatus, RelationType
from cmdb.schemas import ClassPublic, HistoryEntry, HistoryKind
from core.api.pagination import decode_cursor, encode_cursor
from core.db import unit_of_work
from core.identity.permissions import Principal
from regie.web import AMSTERDAM, impact_graph, link, pick_language
from regie.web.changes import STATUS_NAMES as CHANGE_STATUS_NAMES
from regie.web.tickets import Caller, CallerDep, WebRoute, page
from tickets import impact
from tickets import repository as ticket_repository
from tickets import service as ticket_service
from tickets.problems import repository as problem_repository
from tickets.problems import service as problem_service

PAGE_SIZE = 25
LINKED = 20  # tickets, problems and changes listed per kind on a CI's page
STATUS_NAMES = {
    CiStatus.planned: "Planned",
    CiStatus.active: "Active",
    CiStatus.retired: "Retired",
}
# How a relation reads from its source, and from its target.
OUTGOING = {
    RelationType.depends_on: "depends on",
    RelationType.runs_on: "runs on",
    RelationType.connects_to: "connects to",
    RelationType.provided_by: "is provided by",
    RelationType.part_of: "is part of",
}
INCOMING = {
    RelationType.depends_on: "is depended on by",
    RelationType.runs_on: "runs",
    RelationType.connects_to: "is connected to by",
    RelationType.provided_by: "provides",
    RelationType.part_of: "consists of",
}
HISTORY_NAMES = {
    HistoryKind.created: "Recorded",
    HistoryKind.updated: "Changed",
    HistoryKind.relation_added: "Relation added",
    HistoryKind.relation_removed: "Relation removed",
}
FIELD_NAMES = {"name": "Name", "natural_key": "Key", "status": "Status", "owner": "Owner"}
DIRECTIONS = {
    cmdb.ImpactDirection.up: "Up: what fails with this CI",
    cmdb.ImpactDirection.down: "Down: what this CI rests on",
}
BAD_MOMENT = "Give a date and time, such as 2026-11-02T10:30."
NOT_YET = "The configuration item did not exist at that moment; this is its state now."

router = APIRouter(include_in_schema=False, route_class=WebRoute)


def ci_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no CI: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise CiNotFound("No such configuration item.") from None


def moment_of(raw: str) -> datetime | None:
    """A moment from the form (local time in Amsterdam) or a history link (with its offset);
    None when there is none; ValueError when it is no moment."""
    if not raw.strip():
        return None
    found = datetime.fromisoformat(raw.strip())
    if found.tzinfo is None:
        found = found.replace(tzinfo=AMSTERDAM)
    return found.astimezone(UTC)


@router.get("/cis")
def ci_list(
    request: Request, caller: CallerDep, q: str = "", cls: str = "", cursor: str = ""
) -> Response:
    """The tenant's configuration items by name, of one class and with a text in the name."""
    chosen = _class_of(cls)
    text = q.strip()[:200] or None
    filters = repository.Filters(class_id=chosen, text=text)
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = _ci_page(session, caller.principal, filters, after)
        known = visible_classes(session, caller.principal)
    kept = {"q": q, "cls": str(chosen) if chosen else ""}
    following = (
        link(request, "/cis", **kept, tenant=caller.tenant, cursor=encode_cursor(last))
        if last
        else None
    )
    return page(
        request,
        "cis.html",
        cis=rows,
        q=q,
        chosen=chosen,
        classes=known,
        class_names={c.id: c.name for c in known},
        status_names=STATUS_NAMES,
        next_url=following,
        may_write=caller.principal.can(permissions.WRITE),
    )


def _class_of(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _ci_page(
    session: Session, actor: Principal, filters: repository.Filters, after: list[Any] | None
) -> tuple[list[Ci], list[Any] | None]:
    return service.list_cis(session, actor, filters, sort="name", limit=PAGE_SIZE, after=after)


def visible_classes(session: Session, actor: Principal) -> list[ClassPublic]:
    """The built-in and the tenant's own classes by name, for a person to choose from."""
    known, _more = classes.list_classes(session, actor, limit=repository.MAX_CLASSES, after=None)
    return sorted(known, key=lambda c: c.name.lower())


@router.get("/cis/{ci_id}")
def ci_page(
    request: Request,
    caller: CallerDep,
    ci_id: str,
    at: str = "",
    direction: str = "up",
    depth: str = "",
) -> Response:
    """One CI: what it is, how it is related, how it changed, what names it and what its
    failure reaches."""
    return show_ci(request, caller, ci_id_of(ci_id), at=at, direction=direction, depth=depth)


def show_ci(
    request: Request,
    caller: Caller,
    found: uuid.UUID,
    status_code: int = 200,
    *,
    at: str = "",
    direction: str = "up",
    depth: str = "",
    **outcome: Any,
) -> Response:
    """The CI's page; `outcome` carries a refused form back with its errors."""
    actor = caller.principal
    notice = error = None
    try:
        moment = moment_of(at)
    except ValueError:
        moment, error = None, BAD_MOMENT
    way = cmdb.ImpactDirection(direction) if direction in ("up", "down") else None
    way = way or cmdb.ImpactDirection.up
    reach = int(depth) if depth.isdigit() else cmdb.DEFAULT_DEPTH
    reach = min(max(reach, 1), cmdb.MAX_DEPTH)
    with unit_of_work(actor.tenant_id, read_only=True) as session:
        try:
            _ci, shown = history.detail(session, actor, ci_id=found, at=moment)
        except CiNotFound:
            if moment is None:
                raise
            _ci, shown = history.detail(session, actor, ci_id=found)
            moment, notice = None, NOT_YET
        written = history.history(session, actor, ci_id=found)
        affected = impact.impact(session, actor, ci_id=found, direction=way, depth=reach)
        cls = classes.find(session, shown.class_id)
        other_ids = {r.ci_id for r in shown.relations} | _references(cls, shown.attributes)
        other_ids |= {e.relation.source_id for e in written if e.relation}
        other_ids |= {e.relation.target_id for e in written if e.relation}
        names = {c.id: c.name for c in repository.get_many(session, sorted(other_ids))}
        linked = _linked(session, actor, found)
    lang = pick_language(request)
    path_names = names | {c.id: c.name for c in affected.cis} | {found: affected.ci.name}
    return page(
        request,
        "ci.html",
        status_code,
        ci=shown,
        cls=cls,
        attributes=_attributes(cls, shown.attributes, names, lang),
        outgoing=[r for r in shown.relations if r.direction == "outgoing"],
        incoming=[r for r in shown.relations if r.direction == "incoming"],
        names=names,
        path_names=path_names,
        history=_history(written, cls),
        moment=moment,
        at_value=_local(moment) if moment else at.strip()[:40],
        notice=notice,
        error=error,
        impact=affected,
        graph=impact_graph.draw(affected.ci.name, affected.cis),
        direction=way,
        depth=reach,
        depths=list(range(1, cmdb.MAX_DEPTH + 1)),
        directions=DIRECTIONS,
        status_names=STATUS_NAMES,
        outgoing_names=OUTGOING,
        incoming_names=INCOMING,
        history_names=HISTORY_NAMES,
        change_status_names={s.value: name for s, name in CHANGE_STATUS_NAMES.items()},
        may_write=moment is None and actor.can(permissions.WRITE),
        relation_types=list(RelationType),
        relation_form=outcome.get("relation_form", {}),
        **linked,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).replace(tzinfo=None).isoformat(timespec="seconds")


def _references(cls: ClassPublic | None, values: dict[str, Any]) -> set[uuid.UUID]:
    found = set()
    for a in cls.attributes if cls else []:
        if a.type == AttributeType.reference and values.get(a.key):
            try:
                found.add(uuid.UUID(str(values[a.key])))
            except ValueError:
                continue
    return found


def _attributes(
    cls: ClassPublic | None, values: dict[str, Any], names: dict[uuid.UUID, str], lang: str
) -> list[dict[str, Any]]:
    """Each attribute of the class with its value formatted for its type (a reference as a
    link), then any value the class no longer defines."""
    shown = []
    defined = cls.attributes if cls else []
    for a in defined:
        value = values.get(a.key)
        row: dict[str, Any] = {"label": a.label, "text": None, "href": None, "yes": None}
        if value is None:
            pass
        elif a.type == AttributeType.number and isinstance(value, int | float):
            row["text"] = format_decimal(value, locale=lang)
        elif a.type == AttributeType.date:
            row["text"] = _date(str(value), lang)
        elif a.type == AttributeType.boolean:
            row["yes"] = bool(value)
        elif a.type == AttributeType.reference:
            target = _class_of(str(value))
            row["text"] = names.get(target, str(value)) if target else str(value)
            row["href"] = f"/cis/{target}" if target in names else None
        else:
            row["text"] = str(value)
        shown.append(row)
    keys = {a.key for a in defined}
    for key, value in sorted(values.items()):
        if key not in keys:
            shown.append({"label": key, "text": str(value), "href": None, "yes": None})
    return shown


def _date(raw: str, lang: str) -> str:
    try:
        return format_date(date.fromisoformat(raw), "long", locale=lang)
    except ValueError:
        return raw


def _history(entries: list[HistoryEntry], cls: ClassPublic | None) -> list[dict[str, Any]]:
    """Newest first: when, who, what kind, and the labels of what changed."""
    labels = FIELD_NAMES | {a.key: a.label for a in (cls.attributes if cls else [])}
    rows = []
    before: dict[str, Any] | None = None
    for e in entries:
        changed: list[str] = []
        if e.state is not None:
            now = e.state.model_dump()
            if before is not None:
                changed = [k for k in FIELD_NAMES if now[k] != before[k]]
                changed += [
                    k
                    for k in sorted(set(now["attributes"]) | set(before["attributes"]))
                    if now["attributes"].get(k) != before["attributes"].get(k)
                ]
            before = now
        rows.append({"entry": e, "changed": [labels.get(k, k) for k in changed]})
    rows.reverse()
    return rows


def _linked(session: Session, actor: Principal, ci_id: uuid.UUID) -> dict[str, Any]:
    """The tickets, problems and changes that name the CI, each kind only for its readers."""
    tickets = problems = changes = None
    if ticket_service.can_read_all(actor):
        filters = ticket_repository.Filters(ci_id=ci_id)
        tickets, _ = ticket_service.list_tickets(
            session, actor, filters, sort="-createdAt", limit=LINKED, after=None
        )
    if problem_service.can_read(actor):
        found = problem_repository.Filters(ci_id=ci_id)
        problems, _ = problem_service.list_problems(
            session, actor, found, sort="-createdAt", limit=LINKED, after=None
        )
    if change_service.can_read(actor):
        named = change_repository.Filters(ci_id=ci_id)
        changes, _ = change_service.list_changes(
            session, actor, named, sort="-createdAt", limit=LINKED, after=None
        )
    return {"tickets": tickets, "problems": problems, "changes": changes}
