"""Business operations on changes: raising (also from a change-request ticket), reading,
lists, edits of a draft, history. Never commits."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from pydantic.alias_generators import to_camel
from sqlalchemy import Row
from sqlmodel import Session

from changes import permissions, repository
from changes.errors import AlreadyExists, ChangeNotFound, TransitionRefused
from changes.models import Change, ChangeEvent, ChangeEventKind, ChangeStatus, ChangeType
from changes.schemas import ChangeCreate, ChangeFromTicket, ChangeUpdate
from cmdb import public as cmdb
from core.api.etag import check_if_match
from core.db import touch
from core.errors import Forbidden, InvalidInput
from core.identity.permissions import Principal
from services.catalogue import public as catalogue
from tickets import public as tickets
from tickets.problems import public as problems

T = TypeVar("T")
CHANGE_REQUEST = "change-request"
# Where the originating ticket goes when its change gets there: the ticket waits while the
# change runs, is resolved when it is implemented, and goes back to work when it ends otherwise.
TICKET_FOLLOWS = {
    ChangeStatus.implemented: "resolved",
    ChangeStatus.rejected: "in-progress",
    ChangeStatus.cancelled: "in-progress",
    ChangeStatus.failed: "in-progress",
    ChangeStatus.rolled_back: "in-progress",
}


def record(
    session: Session,
    actor: Principal | None,
    change: Change,
    kind: ChangeEventKind,
    *,
    before: str | None = None,
    after: str | None = None,
    reason: str | None = None,
    **data: Any,
) -> ChangeEvent:
    """Add a history row to the change; without an actor, Regie itself acted (a sweep)."""
    event = ChangeEvent(
        change_id=change.id,
        actor=actor.label if actor else "system:regie",
        actor_name=actor.name if actor else "Regie",
        kind=kind,
        from_value=before,
        to_value=after,
        reason=reason,
        data=data,
    )
    session.add(event)
    return event


def can_read(actor: Principal) -> bool:
    """Whether the caller may read changes: readers, writers and approvers."""
    return any(actor.can(p) for p in (permissions.READ, permissions.WRITE, permissions.APPROVE))


def get_change(
    session: Session, actor: Principal, *, change_id: uuid.UUID, for_update: bool = False
) -> Change:
    """The change, or ChangeNotFound (also for another tenant's id)."""
    _may_read(actor)
    return _found(repository.get(session, change_id, for_update=for_update), change_id)


def read_change(session: Session, actor: Principal, *, change_id: uuid.UUID) -> Row[Any]:
    """As get_change, for a read that changes nothing: the change's columns, no entity."""
    _may_read(actor)
    return _found(repository.read(session, change_id), change_id)


def _may_read(actor: Principal) -> None:
    if not can_read(actor):
        raise Forbidden(f"This action needs the permission '{permissions.READ}'.")


def _found(change: T | None, change_id: uuid.UUID) -> T:
    if change is None:
        raise ChangeNotFound(f"No change with id {change_id}.")
    return change


def load_for_change(
    session: Session,
    actor: Principal,
    change_id: uuid.UUID,
    if_match: str | None,
    *,
    permission: str = permissions.WRITE,
) -> Change:
    """The change locked for an update, only if `if_match` names its version."""
    actor.require(permission)
    change = get_change(session, actor, change_id=change_id, for_update=True)
    check_if_match(if_match, change.version)
    return change


def list_changes(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Change], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    if not can_read(actor):
        actor.require(permissions.READ)
    rows = repository.page(session, filters, sort=sort, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1], sort) if more else None


def create_change(session: Session, actor: Principal, *, data: ChangeCreate) -> Change:
    """A draft with the tenant's next number (SHN-C000123); every id it names must be the
    tenant's, and a 400 names every field that is not right."""
    actor.require(permissions.WRITE)
    if data.implementer_id is not None and data.implementer_name is None:
        data.implementer_name = _known_name(session, actor, data.implementer_id)
    given = data.model_dump(exclude_unset=True)
    problems_found = check_details(session, actor, given)
    problems_found += _check_origin(session, data.ticket_id, data.problem_id)
    problems_found += _check_template(session, data.type, data.template_id)
    raise_invalid(problems_found)
    return _insert(session, actor, data)


def create_from_ticket(
    session: Session, actor: Principal, *, ticket_id: uuid.UUID, data: ChangeFromTicket
) -> Change:
    """The change a change-request ticket becomes, in one step; the ticket then follows it."""
    actor.require(permissions.WRITE)
    ticket = tickets.ticket_ref(session, ticket_id)
    if ticket is None:
        raise ChangeNotFound(f"No ticket with id {ticket_id}.")
    if ticket.type != CHANGE_REQUEST:
        raise TransitionRefused("Only a change-request ticket becomes a change.")
    if repository.by_ticket(session, ticket_id) is not None:
        raise AlreadyExists("This ticket already became a change.")
    details = tickets.ticket_texts(session, ticket_id)
    body = data.model_dump(exclude_none=True)
    body.setdefault("title", details[0])
    body.setdefault("description", details[1])
    return create_change(
        session, actor, data=ChangeCreate.model_validate({**body, "ticket_id": ticket_id})
    )


def _insert(session: Session, actor: Principal, data: ChangeCreate) -> Change:
    plan = data.rollback_plan.model_dump(mode="json", by_alias=True) if data.rollback_plan else None
    if plan is None and data.template_id is not None:
        found = repository.template(session, data.template_id)
        plan = found.rollback_plan if found else None
    number = repository.take_number(session)
    change = Change(
        **data.model_dump(exclude={"service_ids", "ci_ids", "rollback_plan"}),
        service_ids=[str(s) for s in data.service_ids],
        ci_ids=[str(c) for c in data.ci_ids],
        rollback_plan=plan,
        number=f"{tickets.number_prefix(session)}-C{number:06d}",
        requested_by=actor.label,
        requested_by_name=actor.name,
    )
    session.add(change)
    session.flush()
    record(session, actor, change, ChangeEventKind.created, after=change.status.value)
    if change.ticket_id is not None:
        note = f"Waiting for change {change.number}"
        tickets.follow_change(
            session, actor, ticket_id=change.ticket_id, status="waiting-change", note=note
        )
    session.flush()
    return change


def follow(session: Session, actor: Principal, change: Change) -> None:
    """Move the originating ticket along with the change's new status."""
    wanted = TICKET_FOLLOWS.get(change.status)
    if change.ticket_id is None or wanted is None:
        return
    note = f"Change {change.number} {change.status.value}"
    tickets.follow_change(session, actor, ticket_id=change.ticket_id, status=wanted, note=note)


UNKNOWN_IMPLEMENTER = "not a member of an assignment group of this organisation"


def check_details(
    session: Session, actor: Principal, given: dict[str, Any], *, implementer: bool = True
) -> list[dict[str, str]]:
    """Every field of a create or edit that is not right: unknown services or CIs, a window that
    ends before it starts, a name without an implementer, an implementer who works in none of
    the tenant's assignment groups (unless it is the person raising it)."""
    found = []
    for i, service_id in enumerate(given.get("service_ids") or []):
        if not catalogue.service_exists(session, service_id):
            found.append(invalid(f"serviceIds.{i}", "unknown service"))
    for i, ci_id in enumerate(given.get("ci_ids") or []):
        if not cmdb.ci_exists(session, ci_id):
            found.append(invalid(f"ciIds.{i}", "unknown configuration item"))
    start, end = given.get("planned_start"), given.get("planned_end")
    if start is not None and end is not None and end <= start:
        found.append(invalid("plannedEnd", "must be after plannedStart"))
    implementer_id = given.get("implementer_id")
    if implementer_id is None and given.get("implementer_name") is not None:
        found.append(invalid("implementerId", "give implementerId with implementerName"))
    if implementer and not _known(session, actor, implementer_id):
        found.append(invalid("implementerId", UNKNOWN_IMPLEMENTER))
    return found


def _known(session: Session, actor: Principal, person_id: uuid.UUID | None) -> bool:
    return person_id in (None, actor.actor_id) or person_id in tickets.workers(session)


def _known_name(session: Session, actor: Principal, person_id: uuid.UUID | None) -> str | None:
    if person_id is None:
        return None
    return actor.name if person_id == actor.actor_id else tickets.workers(session).get(person_id)


def _check_origin(
    session: Session, ticket_id: uuid.UUID | None, problem_id: uuid.UUID | None
) -> list[dict[str, str]]:
    found = []
    if ticket_id is not None:
        ticket = tickets.ticket_ref(session, ticket_id)
        if ticket is None:
            found.append(invalid("ticketId", "unknown ticket"))
        elif ticket.type != CHANGE_REQUEST:
            found.append(invalid("ticketId", "not a change-request ticket"))
        elif repository.by_ticket(session, ticket_id) is not None:
            found.append(invalid("ticketId", "this ticket already became a change"))
    if problem_id is not None and not problems.problem_exists(session, problem_id):
        found.append(invalid("problemId", "unknown problem"))
    return found


def _check_template(
    session: Session, change_type: ChangeType, template_id: uuid.UUID | None
) -> list[dict[str, str]]:
    if change_type != ChangeType.standard:
        return [invalid("templateId", "only a standard change has a template")] * bool(template_id)
    if template_id is None:
        return [invalid("templateId", "a standard change names its template")]
    found = repository.template(session, template_id)
    if found is None:
        return [invalid("templateId", "unknown template")]
    return [] if found.active else [invalid("templateId", "the template is inactive")]


def invalid(name: str, reason: str) -> dict[str, str]:
    """One entry of a 400's invalidParams: the field by its API name and JSON pointer."""
    return {"name": name, "pointer": "/" + name.replace(".", "/"), "reason": reason}


def raise_invalid(found: list[dict[str, str]]) -> None:
    """Answer every invalid field at once rather than the first one found."""
    if found:
        names = ", ".join(p["name"] for p in found)
        raise InvalidInput(f"{len(found)} invalid field(s): {names}", invalidParams=found)


def update_change(
    session: Session,
    actor: Principal,
    *,
    change_id: uuid.UUID,
    changes: ChangeUpdate,
    if_match: str | None,
) -> Change:
    """Apply the given fields to a draft, only if `if_match` names the version now stored."""
    change = load_for_change(session, actor, change_id, if_match)
    if change.status != ChangeStatus.draft:
        raise TransitionRefused("Only a draft is edited; cancel the change and raise another.")
    given = changes.model_dump(exclude_unset=True)
    if "implementer_id" in given and given.get("implementer_name") is None:
        given["implementer_name"] = _known_name(session, actor, given["implementer_id"])
    merged = {
        "planned_start": change.planned_start,
        "planned_end": change.planned_end,
        "implementer_id": change.implementer_id,
        "implementer_name": change.implementer_name,
        **given,
    }
    found = check_details(session, actor, merged, implementer="implementer_id" in given)
    found += [
        invalid(to_camel(name), "may not be null")
        for name in ("title", "description", "reason", "service_ids", "ci_ids", "causes_downtime")
        if name in given and given[name] is None
    ]
    if given.get("problem_id") is not None:
        found += _check_origin(session, None, given["problem_id"])
    raise_invalid(found)
    _apply(change, changes, given)
    if session.is_modified(change):
        record(session, actor, change, ChangeEventKind.updated, fields=sorted(given))
        touch(session, change)
    return change


def _apply(change: Change, changes: ChangeUpdate, given: dict[str, Any]) -> None:
    for field, value in given.items():
        if field in ("service_ids", "ci_ids"):
            value = [str(s) for s in value or []]
        elif field == "rollback_plan" and changes.rollback_plan is not None:
            value = changes.rollback_plan.model_dump(mode="json", by_alias=True)
        setattr(change, field, value)


def history(session: Session, actor: Principal, *, change_id: uuid.UUID) -> list[ChangeEvent]:
    """Every step of the change, oldest first."""
    get_change(session, actor, change_id=change_id)
    return repository.events(session, change_id)
