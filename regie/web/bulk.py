"""Bulk assign and bulk close from the work queue.

Each selected ticket goes through the same workflow call as the API, in its own tenant's unit
of work, on the version the list showed (the If-Match of the API): one that changed since is
left alone. The page then says per ticket what was done and what was not.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from core.api.etag import etag
from core.errors import AppError, InvalidInput, NotFound, PreconditionFailed
from core.identity import sessions
from core.identity.permissions import Principal
from regie.web import ticket_forms
from regie.web.errors import CONFLICT
from regie.web.queue import PATH, home_only, queue_page
from regie.web.tickets import CallerDep, WebRoute, page, writing_as
from tickets import queue, service, workflow
from tickets.errors import GroupNotFound, TransitionRefused
from tickets.models import Status
from tickets.schemas import AssignmentCreate, TransitionCreate

ACTIONS = ("assign", "close")
GROUP_ELSEWHERE = "This group belongs to another organisation than this ticket."
REFUSED = "This change is not possible for the ticket as it is now."
NOT_FOUND = "This ticket does not exist, or it is not visible to you."
NOT_ALLOWED = "You may not do this."
CHOOSE_TICKETS = "Select at least one ticket."
CHOOSE_ACTION = "Choose what to do with the selected tickets."
CHOOSE_GROUP = "Choose the group to assign to."
GIVE_RESOLUTION = "Say how the tickets were resolved."
NOT_MEMBER = "You are not a member of this group."
DONE = {"assigned": "Assigned", "resolved": "Resolved", "closed": "Closed"}

router = APIRouter(include_in_schema=False, route_class=WebRoute)
Change = Callable[[Session, Principal], str]


@dataclass(frozen=True)
class Picked:
    """A ticket as the list showed it: its tenant, id and version."""

    tenant: str
    ticket_id: uuid.UUID
    version: int

    @property
    def if_match(self) -> str:
        return etag(self.version)


@dataclass(frozen=True)
class Outcome:
    picked: Picked
    number: str
    done: bool
    message: str
    detail: str | None = None


async def form_lists(request: Request) -> dict[str, list[str]]:
    form = await request.form()
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(key, []).append(value)
    return found


FormLists = Annotated[dict[str, list[str]], Depends(form_lists)]


def picked(values: list[str]) -> list[Picked]:
    """The selected tickets; a value the page never wrote is left out (and so not changed)."""
    found = []
    for value in values[:200]:
        try:
            tenant, ticket_id, version = value.split(":")
            found.append(Picked(tenant, uuid.UUID(ticket_id), int(version)))
        except ValueError:
            continue
    return found


def _one(form: dict[str, list[str]], name: str) -> str:
    return (form.get(name) or [""])[-1].strip()


@router.post(PATH + "/bulk")
def bulk(request: Request, caller: CallerDep, form: FormLists) -> Response:
    """Assign or close every selected ticket, each on its own; then what happened to each."""
    sessions.check_csrf(caller.web, _one(form, "csrf"))
    home_only(caller)
    tickets, action = picked(form.get("tickets", [])), _one(form, "action")
    group, resolution = _one(form, "group"), _one(form, "resolution")
    errors = _errors(tickets, action, group, resolution)
    if errors:
        values = {k: _one(form, k) for k in ("action", "group", "resolution", "me")}
        return queue_page(request, caller, 400, bulk={"values": values, "errors": errors})
    acting = {tenant.slug: p for tenant, p in queue.working_tenants(caller.principal)}
    outcomes = []
    for item in tickets:
        if action == "assign":
            outcomes.append(_assign(acting, item, uuid.UUID(group), _one(form, "me") == "1"))
        else:
            outcomes.append(_close(acting, item, resolution))
    return page(request, "bulk_result.html", outcomes=outcomes, action=action)


def _errors(tickets: list[Picked], action: str, group: str, resolution: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not tickets:
        errors["tickets"] = CHOOSE_TICKETS
    if action not in ACTIONS:
        errors["action"] = CHOOSE_ACTION
    if action == "assign":
        try:
            uuid.UUID(group)
        except ValueError:
            errors["group"] = CHOOSE_GROUP
    if action == "close" and not resolution:
        errors["resolution"] = GIVE_RESOLUTION
    if len(resolution) > 4000:
        errors["resolution"] = ticket_forms.TOO_LONG
    return errors


def _assign(acting: dict[str, Principal], item: Picked, group_id: uuid.UUID, me: bool) -> Outcome:
    principal = acting.get(item.tenant)
    assignee = principal.actor_id if principal is not None and me else None
    data = AssignmentCreate(group_id=group_id, assignee_id=assignee)

    def run(session: Session, p: Principal) -> str:
        workflow.assign(session, p, ticket_id=item.ticket_id, data=data, if_match=item.if_match)
        return "assigned"

    return _attempt(principal, item, run)


def _close(acting: dict[str, Principal], item: Picked, resolution: str) -> Outcome:
    """An open ticket is resolved with the resolution given; a resolved one is closed."""

    def run(session: Session, p: Principal) -> str:
        ticket = service.get_ticket(session, p, ticket_id=item.ticket_id)
        wanted = Status.closed if ticket.status == Status.resolved else Status.resolved
        data = TransitionCreate(status=wanted, resolution=resolution or None)
        workflow.transition(session, p, ticket_id=item.ticket_id, data=data, if_match=item.if_match)
        return wanted.value

    return _attempt(acting.get(item.tenant), item, run)


def _attempt(principal: Principal | None, item: Picked, run: Change) -> Outcome:
    """Run one ticket's change in its own unit of work; a refusal is its outcome, not an
    error of the whole request."""
    if principal is None:
        return Outcome(item, "", False, NOT_FOUND)
    number = ""
    try:
        with writing_as(principal) as session:
            number = service.get_ticket(session, principal, ticket_id=item.ticket_id).number
            done = run(session, principal)
        return Outcome(item, number, True, DONE[done])
    except PreconditionFailed:
        return Outcome(item, number, False, CONFLICT)
    except TransitionRefused as exc:
        return Outcome(item, number, False, REFUSED, exc.detail)
    except GroupNotFound:
        return Outcome(item, number, False, GROUP_ELSEWHERE)
    except NotFound:
        return Outcome(item, number, False, NOT_FOUND)
    except InvalidInput as exc:
        errors = ticket_forms.service_errors(exc)
        message = NOT_MEMBER if "assigneeId" in errors else next(iter(errors.values()))
        return Outcome(item, number, False, message)
    except AppError:
        return Outcome(item, number, False, NOT_ALLOWED)
