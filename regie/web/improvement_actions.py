"""What people do on the register's pages: the product owner moves items on the backlog,
accepts or rejects proposals and accepts realised items by evaluating them; the supplier
moves its items along and notes progress. Each is the register's service call on the version
the page showed (If-Match), so a stale page changes nothing and says so."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.errors import Conflict, InvalidInput, NotFound, PreconditionFailed
from core.identity import sessions
from regie.web import link, ticket_forms
from regie.web.improvements import item_id_of, refusal, show_item
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, if_match_of, writing
from services.improvement import backlog, evaluation, service, workflow
from services.improvement.schemas import (
    ImprovementDecisionCreate,
    ImprovementEvaluationCreate,
    ImprovementMove,
    ImprovementNoteCreate,
    ImprovementTransition,
)

router = APIRouter(include_in_schema=False, route_class=WebRoute)
Errors = ticket_forms.Errors
Parse = Callable[[dict[str, str]], tuple[Any, Errors]]
Run = Callable[[Session, Any, str], Any]


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


def _text(form: dict[str, str], name: str, longest: int, errors: Errors) -> str | None:
    value = form.get(name, "").strip()
    if not value:
        errors[name] = ticket_forms.REQUIRED
    elif len(value) > longest:
        errors[name] = ticket_forms.TOO_LONG
    return value or None


@router.post("/improvements/{item_id}/moves")
def move(request: Request, caller: CallerDep, item_id: str, form: FormDep) -> Response:
    """Move the item up, down or to the top of the backlog as the board showed it."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = item_id_of(item_id)
    data = ImprovementMove(before=_uuid(form.get("before", "")), after=_uuid(form.get("after", "")))
    try:
        with writing(caller) as session:
            version = if_match_of(form)
            backlog.move(session, caller.principal, item_id=found, data=data, if_match=version)
    except (PreconditionFailed, NotFound, Conflict) as exc:
        return refusal(request, exc)
    except InvalidInput:
        return refusal(request, PreconditionFailed("The backlog changed."))
    board = link(request, "/improvements", tenant=caller.tenant)
    return RedirectResponse(f"{board}#item-{found}", status_code=303)


def _decision(form: dict[str, str]) -> tuple[Any, Errors]:
    errors: Errors = {}
    decision = form.get("decision", "")
    if decision not in ("accepted", "rejected"):
        errors["decision"] = ticket_forms.REQUIRED
    reason = _text(form, "reason", 2000, errors)
    if errors:
        return None, errors
    return ImprovementDecisionCreate(decision=decision, reason=reason), {}


@router.post("/improvements/{item_id}/decisions")
def decide(request: Request, caller: CallerDep, item_id: str, form: FormDep) -> Response:
    """Accept or reject a proposal once, with the reason."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, data: Any, if_match: str) -> None:
        workflow.decide(session, caller.principal, item_id=found, data=data, if_match=if_match)

    found = item_id_of(item_id)
    return _act(request, caller, found, form, "decision_form", _decision, run)


def _transition(form: dict[str, str]) -> tuple[Any, Errors]:
    errors: Errors = {}
    status = form.get("status", "")
    reason = form.get("reason", "").strip() or None
    if reason and len(reason) > 2000:
        errors["reason"] = ticket_forms.TOO_LONG
    try:
        data = ImprovementTransition.model_validate({"status": status, "reason": reason})
    except ValueError:
        errors["status"] = ticket_forms.REQUIRED
    return (None, errors) if errors else (data, {})


@router.post("/improvements/{item_id}/transitions")
def transition(request: Request, caller: CallerDep, item_id: str, form: FormDep) -> Response:
    """Plan, start, realise or withdraw the item."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, data: Any, if_match: str) -> None:
        workflow.transition(session, caller.principal, item_id=found, data=data, if_match=if_match)

    found = item_id_of(item_id)
    return _act(request, caller, found, form, "transition_form", _transition, run)


def _note(form: dict[str, str]) -> tuple[Any, Errors]:
    errors: Errors = {}
    text = _text(form, "text", 4000, errors)
    return (None, errors) if errors else (ImprovementNoteCreate(text=text), {})


@router.post("/improvements/{item_id}/notes")
def add_note(request: Request, caller: CallerDep, item_id: str, form: FormDep) -> Response:
    """A progress note on an open item."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, data: Any, _if_match: str) -> None:
        service.add_note(session, caller.principal, item_id=found, data=data)

    found = item_id_of(item_id)
    return _act(request, caller, found, form, "note_form", _note, run)


def _periods(form: dict[str, str]) -> tuple[Any, Errors]:
    errors: Errors = {}
    before = _text(form, "before", 10, errors)
    after = _text(form, "after", 10, errors)
    if errors:
        return None, errors
    return ImprovementEvaluationCreate(before=before, after=after), {}


@router.post("/improvements/{item_id}/evaluation")
def evaluate(request: Request, caller: CallerDep, item_id: str, form: FormDep) -> Response:
    """Accept a realised item: its KPI before and after, computed for the periods chosen."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def run(session: Session, data: Any, _if_match: str) -> None:
        evaluation.evaluate(session, caller.principal, item_id=found, data=data)

    found = item_id_of(item_id)
    return _act(request, caller, found, form, "evaluation_form", _periods, run)


def _act(
    request: Request,
    caller: Caller,
    found: uuid.UUID,
    form: dict[str, str],
    form_name: str,
    parse: Parse,
    run: Run,
) -> Response:
    """Run one change; back to where the form was, or the item page again with the form as
    typed and what went wrong."""
    data, errors = parse(form)
    if data is not None:
        try:
            with writing(caller) as session:
                run(session, data, if_match_of(form))
        except (PreconditionFailed, NotFound, Conflict) as exc:
            return refusal(request, exc)
        except InvalidInput as exc:
            errors = ticket_forms.service_errors(exc)
        else:
            where = "/improvements" if form.get("from") == "board" else f"/improvements/{found}"
            back = link(request, where, tenant=caller.tenant)
            return RedirectResponse(f"{back}#item-{found}", status_code=303)
    outcome = {form_name: {"values": form, "errors": errors}}
    return show_item(request, caller.principal, found, 400, **outcome)
