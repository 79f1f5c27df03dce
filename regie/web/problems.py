"""The problem pages: problems with their linked incidents and history, the known errors a
person searches for a workaround, and linking an incident to a problem from its page.

Every read and write is the same service call as the problems API, under the signed-in
person's principal, so the pages show exactly what the API would.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from core.api.pagination import decode_cursor, encode_cursor
from core.db import unit_of_work
from core.identity import sessions
from regie.web import link, ticket_forms
from regie.web.tickets import (
    Caller,
    CallerDep,
    FormDep,
    WebRoute,
    page,
    show_ticket,
    ticket_id_of,
    writing,
)
from tickets.models import Priority
from tickets.problems import permissions, service, workflow
from tickets.problems.errors import AlreadyLinked, NotAnIncident, ProblemNotFound
from tickets.problems.models import ProblemEventKind, ProblemStatus
from tickets.problems.repository import Filters

PAGE_SIZE = 25
INCIDENTS = 50
STATUS_NAMES = {
    ProblemStatus.new: "New",
    ProblemStatus.investigating: "Under investigation",
    ProblemStatus.known_error: "Known error",
    ProblemStatus.resolved: "Resolved",
    ProblemStatus.closed: "Closed",
}
EVENT_NAMES = {
    ProblemEventKind.created: "Recorded",
    ProblemEventKind.status: "Status changed",
    ProblemEventKind.priority: "Priority changed",
    ProblemEventKind.known_error: "Known error changed",
    ProblemEventKind.workaround: "Workaround published",
    ProblemEventKind.linked: "Incident linked",
    ProblemEventKind.unlinked: "Incident unlinked",
    ProblemEventKind.change_request: "Change request raised",
}
PROBLEM_FORMS = ("details_form", "status_form", "publish_form", "resolve_form")
NOT_LINKABLE = "Only an incident that is not linked to another problem can be linked."

router = APIRouter(include_in_schema=False, route_class=WebRoute)


def problem_id_of(raw: str) -> uuid.UUID:
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ProblemNotFound("No such problem.") from None


def _statuses(request: Request) -> list[ProblemStatus]:
    wanted = set(request.query_params.getlist("status"))
    return [s for s in ProblemStatus if s.value in wanted]


@router.get("/problems")
def problem_list(request: Request, caller: CallerDep, q: str = "", cursor: str = "") -> Response:
    """The tenant's problems, newest first, by status and text."""
    statuses = _statuses(request)
    filters = Filters(status=statuses or None, text=q.strip()[:200] or None)
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = service.list_problems(
            session, caller.principal, filters, sort="-createdAt", limit=PAGE_SIZE, after=after
        )
    kept = {"q": q, "status": [s.value for s in statuses]}
    following = link(request, "/problems", **kept, cursor=encode_cursor(last)) if last else None
    return page(
        request,
        "problems.html",
        problems=rows,
        q=q,
        statuses=statuses,
        status_names=STATUS_NAMES,
        next_url=following,
        can_manage=caller.principal.can(permissions.MANAGE),
    )


@router.get("/problems/{problem_id}")
def problem_page(request: Request, caller: CallerDep, problem_id: str) -> Response:
    """One problem: cause, workaround, linked incidents and its history."""
    return show_problem(request, caller, problem_id_of(problem_id))


def show_problem(
    request: Request, caller: Caller, found: uuid.UUID, status_code: int = 200, **outcome: Any
) -> Response:
    """The problem page; `outcome` carries a refused form back with its problems."""
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        problem = service.get_problem(session, caller.principal, problem_id=found)
        incidents, _more = service.list_incidents(
            session, caller.principal, problem_id=found, limit=INCIDENTS, after=None
        )
        history = service.history(session, caller.principal, problem_id=found)
    forms = {name: outcome.get(name, {}) for name in PROBLEM_FORMS}
    return page(
        request,
        "problem.html",
        status_code,
        problem=problem,
        incidents=incidents,
        history=history,
        status_names=STATUS_NAMES,
        event_names=EVENT_NAMES,
        can_manage=caller.principal.can(permissions.MANAGE),
        next_statuses=[s for s in ProblemStatus if s in workflow.TRANSITIONS[problem.status]],
        resolvable=problem.status in workflow.RESOLVABLE,
        priorities=list(Priority),
        message=outcome.get("message"),
        detail=outcome.get("detail"),
        **forms,
    )


@router.get("/known-errors")
def known_errors(request: Request, caller: CallerDep, q: str = "", cursor: str = "") -> Response:
    """The known errors and their workarounds, to find one for what a person runs into."""
    filters = Filters(text=q.strip()[:200] or None)
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = service.list_known_errors(
            session, caller.principal, filters, sort="-updatedAt", limit=PAGE_SIZE, after=after
        )
    following = link(request, "/known-errors", q=q, cursor=encode_cursor(last)) if last else None
    return page(
        request,
        "known_errors.html",
        known=rows,
        q=q,
        status_names=STATUS_NAMES,
        next_url=following,
    )


@router.post("/tickets/{ticket_id}/problem")
def link_problem(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Link the incident to an open problem chosen on its page."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    errors: dict[str, str] = {}
    outcome = {}
    try:
        chosen = uuid.UUID(form.get("problemId", ""))
        with writing(caller) as session:
            workflow.link_incident(session, caller.principal, problem_id=chosen, ticket_id=found)
        back = link(request, f"/tickets/{found}", tenant=caller.tenant)
        return RedirectResponse(back, status_code=303)
    except (ValueError, ProblemNotFound):
        errors["problemId"] = ticket_forms.NOT_VALID
    except (AlreadyLinked, NotAnIncident):
        errors["problemId"] = NOT_LINKABLE
    outcome["problem_form"] = {"values": form, "errors": errors}
    return show_ticket(request, caller, found, 400, **outcome)
