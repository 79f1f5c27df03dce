"""A problem manager's work in the web UI: record a problem, set its root cause, workaround
and priority, move its status and publish the workaround to the linked incidents. Each is the
problems API's service call, the changes on the version the page showed."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.errors import InvalidInput
from core.identity import sessions
from regie.web import link, ticket_forms
from regie.web.problems import problem_id_of, show_problem
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, Words, page, step, writing
from tickets.models import Priority
from tickets.problems import permissions, service, workflow
from tickets.problems.schemas import WorkaroundPublication

REFUSED = "This change is not possible for the problem as it is now."
router = APIRouter(include_in_schema=False, route_class=WebRoute)


@router.get("/problems/new")
def new_problem(request: Request, caller: CallerDep) -> Response:
    """The form to record a problem."""
    caller.principal.require(permissions.MANAGE)
    return _new_form(request, {}, {})


def _new_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    return page(
        request,
        "problem_new.html",
        status_code,
        values=values,
        errors=errors,
        priorities=list(Priority),
    )


@router.post("/problems")
def record_problem(request: Request, caller: CallerDep, form: FormDep) -> Response:
    """Record the problem, or the form again with every problem next to its field."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    caller.principal.require(permissions.MANAGE)
    data, errors = ticket_forms.problem_create(form)
    if data is None:
        return _new_form(request, form, errors, 400)
    try:
        with writing(caller) as session:
            problem = service.create_problem(session, caller.principal, data=data)
    except InvalidInput as exc:
        return _new_form(request, form, ticket_forms.service_errors(exc), 400)
    return RedirectResponse(link(request, f"/problems/{problem.id}"), status_code=303)


@router.post("/problems/{problem_id}/details")
def change_details(request: Request, caller: CallerDep, problem_id: str, form: FormDep) -> Response:
    """Root cause, workaround and priority; with both of the first it is a known error."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, actor: Any, found: uuid.UUID, data: Any, if_match: str) -> None:
        service.update_problem(session, actor, problem_id=found, changes=data, if_match=if_match)

    return _change(
        request, caller, problem_id, form, "details_form", ticket_forms.problem_details, run
    )


@router.post("/problems/{problem_id}/transitions")
def change_status(request: Request, caller: CallerDep, problem_id: str, form: FormDep) -> Response:
    """Move the problem along its life cycle; closing early or reopening needs a reason."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, actor: Any, found: uuid.UUID, data: Any, if_match: str) -> None:
        workflow.transition(session, actor, problem_id=found, data=data, if_match=if_match)

    parse = ticket_forms.problem_transition
    return _change(request, caller, problem_id, form, "status_form", parse, run)


@router.post("/problems/{problem_id}/resolutions")
def resolve(request: Request, caller: CallerDep, problem_id: str, form: FormDep) -> Response:
    """Resolve the problem, and when asked every open linked incident with it."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, actor: Any, found: uuid.UUID, data: Any, if_match: str) -> None:
        workflow.resolve(session, actor, problem_id=found, data=data, if_match=if_match)

    parse = ticket_forms.problem_resolution
    return _change(request, caller, problem_id, form, "resolve_form", parse, run)


@router.post("/problems/{problem_id}/workaround-publications")
def publish(request: Request, caller: CallerDep, problem_id: str, form: FormDep) -> Response:
    """Tell every open linked incident's reporter the recorded workaround."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def parse(values: dict[str, str]) -> tuple[Any, ticket_forms.Errors]:
        return WorkaroundPublication(), {}

    def run(session: Session, actor: Any, found: uuid.UUID, data: Any, if_match: str) -> None:
        workflow.publish_workaround(session, actor, problem_id=found, data=data, if_match=if_match)

    return _change(request, caller, problem_id, form, "publish_form", parse, run)


Run = Callable[[Session, Any, uuid.UUID, Any, str], None]


def _change(
    request: Request,
    caller: Caller,
    problem_id: str,
    form: dict[str, str],
    form_name: str,
    parse: Callable[[dict[str, str]], tuple[Any, ticket_forms.Errors]],
    run: Run,
) -> Response:
    found = problem_id_of(problem_id)
    caller.principal.require(permissions.MANAGE)

    def call(session: Session, data: Any, if_match: str) -> None:
        run(session, caller.principal, found, data, if_match)

    shown = (found, f"/problems/{found}", show_problem)
    return step(request, caller, shown, form, form_name, parse, call, Words(REFUSED))
