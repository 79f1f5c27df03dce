"""The steps of a change taken from its page: the rollback plan and its test, the life cycle,
the risk assessment, the CAB's votes and a rollback that happened. Each is the changes API's
service call, on the version the page showed (the API's If-Match)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from changes import approval, config, review, service, workflow
from core.db import unit_of_work
from core.identity import sessions
from regie.web import change_forms as forms
from regie.web.changes import change_id_of, show_change
from regie.web.ticket_forms import Errors
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, Words, step

STALE = (
    "Someone else changed this change after you opened it. Nothing was changed: "
    "check the change and its history, then try again."
)
REFUSED = "This step is not possible for the change as it is now."
NOT_READY = "The change is not complete enough for this step."
NOT_ALLOWED = "You may not take this step on this change."
router = APIRouter(include_in_schema=False, route_class=WebRoute)


async def chosen_incidents(request: Request) -> list[str]:
    """Every incident ticked on the review form (the plain form dependency keeps only one)."""
    form = await request.form()
    return [v for v in form.getlist("incidentIds") if isinstance(v, str)]


IncidentsDep = Annotated[list[str], Depends(chosen_incidents)]
Parse = Callable[[dict[str, Any]], tuple[Any, Errors]]
Run = Callable[[Session, Caller, uuid.UUID, Any, str], Any]


@router.post("/changes/{change_id}/rollback-plan")
def save_plan(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Write the draft's rollback plan; a changed plan must be tested again."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return service.update_change(
            session, who.principal, change_id=found, changes=data, if_match=if_match
        )

    return _step(request, caller, change_id, form, "plan_form", forms.plan, run)


@router.post("/changes/{change_id}/rollback-tests")
def record_test(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Record where, when and by whom the rollback plan was tested, with the evidence."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return workflow.record_test(
            session, who.principal, change_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, change_id, form, "test_form", forms.rollback_test, run)


@router.post("/changes/{change_id}/transitions")
def move(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Submit, schedule, implement, complete, close or cancel the change."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return workflow.transition(
            session, who.principal, change_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, change_id, form, "status_form", forms.transition, run)


@router.post("/changes/{change_id}/risk-assessments")
def assess(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Answer the risk questionnaire: the class and type fix who must approve."""
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        questions = config.read_settings(session, caller.principal).questions

    def parse(values: dict[str, str]) -> tuple[Any, Errors]:
        return forms.assessment(values, questions)

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return workflow.assess(
            session, who.principal, change_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, change_id, form, "assess_form", parse, run)


@router.post("/changes/{change_id}/votes")
def vote(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Approve or reject the change, once, with a reason."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return approval.vote(session, who.principal, change_id=found, data=data, if_match=if_match)

    return _step(request, caller, change_id, form, "vote_form", forms.vote, run)


@router.post("/changes/{change_id}/rollbacks")
def roll_back(request: Request, caller: CallerDep, change_id: str, form: FormDep) -> Response:
    """Record a rollback that happened, with its start, end and outcome."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return workflow.roll_back(
            session, who.principal, change_id=found, data=data, if_match=if_match
        )

    return _step(request, caller, change_id, form, "rollback_form", forms.rollback, run)


@router.post("/changes/{change_id}/review")
def record_review(
    request: Request, caller: CallerDep, change_id: str, form: FormDep, lists: IncidentsDep
) -> Response:
    """Review how the change went and name the incidents it caused, once; a failed or
    rolled-back change closes only after it."""

    def run(session: Session, who: Caller, found: uuid.UUID, data: Any, if_match: str) -> Any:
        return review.create_review(session, who.principal, change_id=found, data=data)

    values = {**form, "incidentIds": lists}
    return _step(request, caller, change_id, values, "review_form", forms.review, run)


WORDS = Words(REFUSED, STALE, NOT_ALLOWED, NOT_READY)


def _step(
    request: Request,
    caller: Caller,
    change_id: str,
    form: dict[str, Any],
    form_name: str,
    parse: Parse,
    run: Run,
) -> Response:
    """Take one step on the version the form was rendered from; else the page again with
    what went wrong, and nothing changed."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = change_id_of(change_id)

    def call(session: Session, data: Any, if_match: str) -> Any:
        return run(session, caller, found, data, if_match)

    page = (found, f"/changes/{found}", show_change)
    errors_of = forms.service_errors
    return step(request, caller, page, form, form_name, parse, call, WORDS, errors_of=errors_of)
