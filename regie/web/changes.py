"""The change pages: the tenant's changes, one change with its rollback plan, risk, approval
panel and life cycle, and the form to raise one.

Every read and write is the changes API's service call under the signed-in person's
principal, so the pages show and do exactly what the API would allow them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from changes import approval, calendar, config, permissions, releases, review, service, workflow
from changes.errors import ChangeNotFound, ReviewNotFound
from changes.models import (
    Change,
    ChangeStatus,
    ChangeType,
    ReviewOutcome,
    RiskClass,
    RollbackOutcome,
    Vote,
    VoteDecision,
)
from changes.repository import Filters
from cmdb import public as cmdb
from cmdb import repository as cmdb_repository
from cmdb import service as cmdb_service
from core.api.pagination import decode_cursor, encode_cursor
from core.db import unit_of_work
from core.errors import InvalidInput, NotFound
from core.identity import sessions
from core.identity.permissions import Principal
from regie.web import change_forms as forms
from regie.web import link, render
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, writing
from services.catalogue import service as catalogue
from tickets import permissions as ticket_permissions
from tickets import public as tickets
from tickets import repository as ticket_repository
from tickets import service as ticket_service
from tickets.models import TicketType

PAGE_SIZE = 25
CHOICES = 200  # services and CIs offered on the form
INCIDENT_CHOICES = 50  # incidents offered on the review form
S = ChangeStatus
STATUS_NAMES = {
    S.draft: "Draft",
    S.submitted: "Submitted",
    S.assessed: "Assessed",
    S.approved: "Approved",
    S.rejected: "Rejected",
    S.scheduled: "Scheduled",
    S.implementing: "Being implemented",
    S.implemented: "Implemented",
    S.rolled_back: "Rolled back",
    S.failed: "Failed",
    S.closed: "Closed",
    S.cancelled: "Cancelled",
}
TYPE_NAMES = {
    ChangeType.normal: "Normal",
    ChangeType.standard: "Standard (from a template)",
    ChangeType.emergency: "Emergency",
}
RISK_NAMES = {RiskClass.low: "Low", RiskClass.medium: "Medium", RiskClass.high: "High"}
DECISION_NAMES = {VoteDecision.approve: "Approved", VoteDecision.reject: "Rejected"}
ROLE_NAMES = {
    "product-owner": "Product owner (client)",
    "service-owner": "Service owner (client)",
    "change-manager": "Change manager (supplier)",
}
ROLLBACK_OUTCOMES = {
    RollbackOutcome.restored: "Restored as before",
    RollbackOutcome.partial: "Partly restored",
    RollbackOutcome.failed: "Failed",
}
REVIEW_OUTCOMES = {
    ReviewOutcome.successful: "Successful",
    ReviewOutcome.with_issues: "Successful with issues",
    ReviewOutcome.failed: "Failed",
    ReviewOutcome.rolled_back: "Rolled back",
}
# The button of each step a person takes from the change's page.
ACTION_NAMES = {
    S.submitted: "Submit for approval",
    S.scheduled: "Schedule",
    S.implementing: "Start the implementation",
    S.implemented: "Implementation completed",
    S.failed: "Implementation failed",
    S.closed: "Close",
    S.cancelled: "Cancel the change",
}
EVENT_NAMES = {
    "created": "Raised",
    "status": "Status changed",
    "updated": "Details changed",
    "assessed": "Risk assessed",
    "vote": "Vote cast",
    "rollback-tested": "Rollback plan tested",
    "rolled-back": "Rolled back",
    "overdue": "Not implemented within its window",
    "reviewed": "Reviewed",
}
CONFLICT_NAMES = {
    "service": "Same service as",
    "ci": "Same or dependent configuration item as",
    "freeze": "In the freeze period",
    "maintenance-window": "Outside the maintenance windows, while the service is down",
}
FLAG_NAMES = {
    "rollback-test-pending": "The rollback plan of this emergency change is not tested yet.",
    "overdue": "Not implemented within its planned window.",
}
router = APIRouter(include_in_schema=False, route_class=WebRoute)


def change_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no change: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ChangeNotFound("No such change.") from None


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A change page with the names of statuses, types and risks, in the visitor's language."""
    response = render(
        request,
        template,
        status_names=STATUS_NAMES,
        type_names=TYPE_NAMES,
        risk_names=RISK_NAMES,
        conflict_names=CONFLICT_NAMES,
        field_labels=forms.FIELD_LABELS,
        here=getattr(request.state, "acting_tenant", None),
        **context,
    )
    response.status_code = status_code
    return response


@router.get("/changes")
def change_list(request: Request, caller: CallerDep, type: str = "", cursor: str = "") -> Response:
    """The tenant's changes, newest first, by status and type."""
    wanted = set(request.query_params.getlist("status"))
    statuses = [s for s in ChangeStatus if s.value in wanted]
    kind = next((t for t in ChangeType if t.value == type), None)
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = service.list_changes(
            session,
            caller.principal,
            Filters(status=statuses or None, type=kind),
            sort="-createdAt",
            limit=PAGE_SIZE,
            after=after,
        )
    kept = {
        "type": type if kind else "",
        "status": [s.value for s in statuses],
        "tenant": caller.tenant,
    }
    following = link(request, "/changes", **kept, cursor=encode_cursor(last)) if last else None
    return page(
        request,
        "changes.html",
        changes=rows,
        statuses=statuses,
        kind=kind,
        next_url=following,
        can_write=caller.principal.can(permissions.WRITE),
    )


@router.get("/changes/new")
def new_change(request: Request, caller: CallerDep) -> Response:
    """The form to raise a change: normal, standard from a template, or emergency."""
    caller.principal.require(permissions.WRITE)
    return _new_form(request, caller, {"type": "normal"}, {})


def _new_form(
    request: Request,
    caller: Caller,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        templates = [t for t in config.list_templates(session, principal) if t.active]
        services, _ = catalogue.list_entries(
            session, principal, sort="name", limit=CHOICES, after=None
        )
        cis = _cis(session, principal)
        people = implementers(session, principal)
    return page(
        request,
        "change_new.html",
        status_code,
        values=values,
        chosen_services=set(values.get("serviceIds") or []),
        chosen_cis=set(values.get("ciIds") or []),
        errors=errors,
        types=list(ChangeType),
        templates=templates,
        services=services,
        cis=cis,
        implementers=people,
    )


def implementers(
    session: Session,
    principal: Principal,
    current: tuple[uuid.UUID | None, str | None] = (None, None),
) -> list[tuple[str, str, bool]]:
    """Who the form offers as implementer: the signed-in person first, then the members of
    the tenant's assignment groups, and the one named now even if no longer in a group."""
    people = {principal.actor_id: principal.name, **tickets.workers(session)}
    if current[0] is not None:
        people.setdefault(current[0], current[1] or str(current[0]))
    mine = [(str(principal.actor_id), principal.name, True)]
    return mine + [(str(i), n, False) for i, n in people.items() if i != principal.actor_id]


def _cis(session: Session, principal: Principal) -> list[Any]:
    if not principal.can(cmdb.READ):
        return []
    found, _ = cmdb_service.list_cis(
        session, principal, cmdb_repository.Filters(), sort="name", limit=CHOICES, after=None
    )
    return found


async def form_lists(request: Request) -> dict[str, list[str]]:
    """Every value of each multiple choice (the plain form dependency keeps only one)."""
    form = await request.form()
    return {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in LISTS}


LISTS = ("serviceIds", "ciIds")
ListsDep = Annotated[dict[str, list[str]], Depends(form_lists)]


@router.post("/changes")
def raise_change(request: Request, caller: CallerDep, form: FormDep, lists: ListsDep) -> Response:
    """Raise the change as a draft, or the form again with every problem next to its field."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(permissions.WRITE)
    values: dict[str, Any] = {**form, **lists}
    data, errors = forms.change_create(values)
    if data is None:
        return _new_form(request, caller, values, errors, 400)
    try:
        with writing(caller) as session:
            change = service.create_change(session, caller.principal, data=data)
    except InvalidInput as exc:
        return _new_form(request, caller, values, forms.service_errors(exc), 400)
    back = link(request, f"/changes/{change.id}", tenant=caller.tenant)
    return RedirectResponse(back, status_code=303)


@router.get("/changes/{change_id}")
def change_page(request: Request, caller: CallerDep, change_id: str) -> Response:
    """One change: its details, rollback plan, risk, approval panel and life cycle."""
    return show_change(request, caller, change_id_of(change_id))


def show_change(
    request: Request, caller: Caller, found: uuid.UUID, status_code: int = 200, **outcome: Any
) -> Response:
    """The change page; `outcome` carries a refused form back with what went wrong."""
    principal = caller.principal
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        change = service.get_change(session, principal, change_id=found)
        history = service.history(session, principal, change_id=found)
        votes = approval.votes(session, principal, change_id=found)
        rollbacks = workflow.rollbacks(session, principal, change_id=found)
        reviewed = _review(session, principal, found)
        conflicts = calendar.conflicts_of(session, change)
        services = {str(s.id): s for s in _services(session, principal, change)}
        cis = {str(c.id): c for c in _named_cis(session, principal, change)}
        questions = config.current_settings(session).questions
        bundling = releases_of(session, principal, found)
        may_review = principal.can(permissions.WRITE) and change.status in review.REVIEWABLE
        incidents = _incidents(session, principal, change) if may_review and not reviewed else []
        caused = _caused(session, reviewed)
        session.expunge_all()
    may_write = principal.can(permissions.WRITE)
    return page(
        request,
        "change.html",
        status_code,
        change=change,
        history=history,
        votes=votes,
        rollbacks=rollbacks,
        review=reviewed,
        reviewable=may_write and reviewed is None and change.status in review.REVIEWABLE,
        incidents=incidents,
        caused=caused,
        review_outcomes=REVIEW_OUTCOMES,
        conflicts=conflicts,
        releases=bundling,
        services=services,
        cis=cis,
        questions=questions,
        flags=_flags(change),
        decision_names=DECISION_NAMES,
        moment=_moment,
        role_names=ROLE_NAMES,
        rollback_outcomes=ROLLBACK_OUTCOMES,
        status_by_value={s.value: name for s, name in STATUS_NAMES.items()},
        decision_by_value={d.value: name for d, name in DECISION_NAMES.items()},
        risk_by_value={r.value: name for r, name in RISK_NAMES.items()},
        event_names=EVENT_NAMES,
        flag_names=FLAG_NAMES,
        action_names=ACTION_NAMES,
        can_write=may_write,
        actions=[s for s in ACTION_NAMES if s in workflow.MANUAL.get(change.status, ())]
        if may_write
        else [],
        needs_reason={S.cancelled, S.failed},
        assessable=may_write and _assessable(change, votes),
        approval=_approval(principal, change, votes),
        editable=may_write and change.status == S.draft,
        testable=may_write
        and bool(change.rollback_plan)
        and change.status not in (S.closed, S.cancelled),
        rollback_possible=may_write and change.status in (S.implementing, S.implemented),
        plan_steps="\n".join(s["action"] for s in (change.rollback_plan or {}).get("steps", [])),
        message=outcome.pop("message", None),
        detail=outcome.pop("detail", None),
        forms={name: outcome.get(name, {}) for name in forms.CHANGE_FORMS},
    )


def releases_of(session: Session, principal: Principal, found: uuid.UUID) -> list[Any]:
    """The releases that bundle the change, so its page leads to their lane."""
    return releases.bundling(session, principal, change_id=found)


def _incidents(session: Session, principal: Principal, change: Change) -> list[Any]:
    """The incidents the review may name: the newest, raised since the change was."""
    if not principal.can(ticket_permissions.READ):
        return []
    found, _ = ticket_service.list_tickets(
        session,
        principal,
        ticket_repository.Filters(type=TicketType.incident, created_from=change.created_at),
        sort="-createdAt",
        limit=INCIDENT_CHOICES,
        after=None,
    )
    return found


def _caused(session: Session, reviewed: Any) -> list[Any]:
    """The incidents a recorded review names, by number (another tenant's never resolve)."""
    if reviewed is None:
        return []
    refs = (tickets.ticket_ref(session, uuid.UUID(i)) for i in reviewed.incident_ids)
    return [r for r in refs if r is not None]


def _moment(raw: str) -> datetime:
    """A moment the plan's documents keep as text, to show like every other time."""
    return datetime.fromisoformat(raw)


def _review(session: Session, principal: Principal, found: uuid.UUID) -> Any:
    try:
        return review.get_review(session, principal, change_id=found)
    except ReviewNotFound:
        return None


def _flags(change: Change) -> list[str]:
    flags = []
    if change.type == ChangeType.emergency and not workflow.tested(change):
        flags.append("rollback-test-pending")
    if change.overdue_at is not None:
        flags.append("overdue")
    return flags


def _assessable(change: Change, votes: list[Vote]) -> bool:
    return change.status == S.submitted or (change.status == S.assessed and not votes)


def _approval(principal: Principal, change: Change, votes: list[Vote]) -> dict[str, Any]:
    """What the approval panel offers this person: a vote, or why not."""
    may = principal.can(permissions.APPROVE)
    own = principal.label == change.requested_by or principal.actor_id == change.implementer_id
    voted = next((v for v in votes if v.voter == principal.label), None)
    roles = [a["role"] for a in change.approvers or []]
    return {
        "may": may,
        "own": may and own,
        "voted": voted,
        "holds": [r for r in roles if r in principal.roles],
        "open": may and not own and voted is None and change.status == S.assessed,
    }


def _services(session: Session, principal: Principal, change: Change) -> list[Any]:
    found = []
    for raw in change.service_ids:
        try:
            found.append(catalogue.get_entry(session, principal, entry_id=uuid.UUID(raw)))
        except NotFound:  # a service since removed keeps its id on the change
            continue
    return found


def _named_cis(session: Session, principal: Principal, change: Change) -> list[Any]:
    if not change.ci_ids or not principal.can(cmdb.READ):
        return []
    found = []
    for raw in change.ci_ids:
        try:
            found.append(cmdb_service.get_ci(session, principal, ci_id=uuid.UUID(raw)))
        except NotFound:  # a CI since removed keeps its id on the change
            continue
    return found
