"""The ticket pages: list, report, read and, for agents, change status and priority.

Every read and write goes through the tickets service under the signed-in person's own
principal, so the pages can show and do exactly what the API would allow them.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.api.etag import etag
from core.api.pagination import decode_cursor, encode_cursor
from core.context import Actor
from core.db import unit_of_work
from core.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    PreconditionFailed,
    Unprocessable,
)
from core.identity import sessions
from core.identity.access import reach
from core.identity.models import WebSession
from core.identity.permissions import Principal
from regie.web import link, render, ticket_extras, ticket_forms
from regie.web.errors import CONFLICT, error_page
from tickets import lifecycle, permissions, service, workflow
from tickets.errors import TicketNotFound
from tickets.models import Level, Priority, Status, Ticket, TicketType
from tickets.repository import Filters

PAGE_SIZE = 25
REFUSED = "This change is not possible for the ticket as it is now."


class SignInFirst(Exception):
    """The visitor has no live session; the pages send them to the start page."""


class WebRoute(APIRoute):
    """Errors on these pages answer as a page in the visitor's language, not problem JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInFirst:
                return RedirectResponse("/", status_code=303)
            except AppError as exc:
                return await run_in_threadpool(error_page, request, exc.status)
            except RequestValidationError:
                return await run_in_threadpool(error_page, request, 400)

        return answer


router = APIRouter(include_in_schema=False, route_class=WebRoute)


@dataclass(frozen=True)
class Caller:
    web: WebSession
    principal: Principal
    tenant: str | None = None  # the slug of a client's tenant the person acts in (`?tenant=`)


def signed_in(request: Request) -> Caller:
    found = sessions.resolve(request.cookies.get(sessions.COOKIE, ""))
    if found is None:
        raise SignInFirst()
    web, principal = found
    # Tickets name their reporter and history names its actor; the session knows the name.
    principal = replace(principal, name=web.user_name or principal.name)
    slug = request.query_params.get("tenant") or None
    if slug is not None:
        principal = acting_in(principal, slug)
    request.state.tenant_id, request.state.actor_id = principal.tenant_id, principal.actor_id
    request.state.acting_tenant = slug
    return Caller(web, principal, slug)


def acting_in(principal: Principal, slug: str) -> Principal:
    """The person acting in the tenant `slug` through a grant there (supplier staff working a
    client's tickets); a tenant they do not reach is the same 404 as an unknown ticket."""
    for tenant, acting in reach(principal):
        if tenant.slug == slug:
            return replace(acting, name=principal.name)
    raise TicketNotFound("No such ticket.")


async def form_fields(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


CallerDep = Annotated[Caller, Depends(signed_in)]
FormDep = Annotated[dict[str, str], Depends(form_fields)]


def writing(caller: Caller) -> AbstractContextManager[Session]:
    """A unit of work whose audited changes name the signed-in person as their actor."""
    return writing_as(caller.principal)


@contextmanager
def writing_as(principal: Principal) -> Iterator[Session]:
    """A unit of work in `principal`'s tenant whose audited changes name them as the actor."""
    with unit_of_work(principal.tenant_id) as session:
        session.info["actor"] = Actor(kind=principal.kind, id=str(principal.actor_id))
        yield session


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    response = render(
        request,
        template,
        labels=ticket_forms.LABELS,
        field_labels=ticket_forms.FIELD_LABELS,
        here=getattr(request.state, "acting_tenant", None),
        **context,
    )
    response.status_code = status_code
    return response


def ticket_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no ticket: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise TicketNotFound("No such ticket.") from None


@router.get("/tickets")
def ticket_list(request: Request, caller: CallerDep, q: str = "", cursor: str = "") -> Response:
    """The caller's visible tickets, newest first (a reporter sees their own)."""
    wanted = set(request.query_params.getlist("status"))
    statuses = [s for s in Status if s.value in wanted]
    filters = Filters(q=q.strip()[:500] or None, status=statuses or None)
    after = decode_cursor(cursor) if cursor else None
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        rows, last = service.list_tickets(
            session, caller.principal, filters, sort="-createdAt", limit=PAGE_SIZE, after=after
        )
    following = None
    if last is not None:
        kept = {"q": q, "status": [s.value for s in statuses]}
        following = link(request, "/tickets", **kept, cursor=encode_cursor(last))
    return page(
        request,
        "tickets.html",
        tickets=rows,
        q=q,
        statuses=statuses,
        all_statuses=list(Status),
        next_url=following,
    )


@router.get("/tickets/new")
def new_ticket(request: Request, caller: CallerDep, type: str = "") -> Response:
    """The report form; without a type it first asks which kind of ticket this is."""
    caller.principal.require(permissions.REPORT)
    return _report_form(request, {"type": type}, {})


def _report_form(
    request: Request, values: dict[str, str], errors: dict[str, str], status_code: int = 200
) -> Response:
    ticket_type = values.get("type", "")
    known = ticket_type in {t.value for t in TicketType}
    return page(
        request,
        "ticket_new.html",
        status_code,
        ticket_type=ticket_type if known else None,
        types=list(TicketType),
        levels=list(Level),
        values=values,
        errors=errors,
        fields=ticket_forms.fields_for(ticket_type),
    )


@router.post("/tickets")
def report_ticket(request: Request, caller: CallerDep, form: FormDep) -> Response:
    """Register the report, or show the form again with every problem next to its field."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    data, errors = ticket_forms.ticket_create(form)
    if data is None:
        return _report_form(request, form, errors, 400)
    try:
        with writing(caller) as session:
            ticket = service.create_ticket(session, caller.principal, data=data)
    except InvalidInput as exc:
        return _report_form(request, form, ticket_forms.service_errors(exc), 400)
    return RedirectResponse(link(request, f"/tickets/{ticket.id}", reported=1), status_code=303)


@router.get("/tickets/{ticket_id}")
def ticket_page(request: Request, caller: CallerDep, ticket_id: str) -> Response:
    return show_ticket(request, caller, ticket_id_of(ticket_id))


def show_ticket(
    request: Request,
    caller: Caller,
    ticket_id: uuid.UUID,
    status_code: int = 200,
    **outcome: Any,
) -> Response:
    """The ticket with its history; `outcome` carries a refused form back with its problems."""
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        ticket = service.get_ticket(session, caller.principal, ticket_id=ticket_id)
        history = service.history(session, caller.principal, ticket_id=ticket_id)
        more = ticket_extras.extras(session, caller.principal, ticket)
    forms = {name: outcome.get(name, {}) for name in ticket_extras.FORMS}
    return page(
        request,
        "ticket.html",
        status_code,
        ticket=ticket,
        history=history,
        reported=request.query_params.get("reported") == "1",
        can_work=caller.principal.can(permissions.WORK),
        next_statuses=next_statuses(ticket),
        levels=list(Level),
        priorities=list(Priority),
        message=outcome.get("message"),
        detail=outcome.get("detail"),
        **forms,
        **more,
    )


def next_statuses(ticket: Ticket) -> list[Status]:
    """The statuses the life cycle allows from here, in the life cycle's own order."""
    allowed = lifecycle.TRANSITIONS[ticket.status]
    if ticket.group_id is None:
        allowed = allowed - {Status.assigned}  # assigning needs a group, chosen elsewhere
    return [s for s in Status if s in allowed]


@router.post("/tickets/{ticket_id}/status")
def change_status(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """A status change on the version the agent saw; a stale form changes nothing."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(
        request, caller, found, form, "status_form", ticket_forms.transition, workflow.transition
    )


@router.post("/tickets/{ticket_id}/priority")
def change_priority(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """A new impact, urgency or priority with the reason, on the version the agent saw."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(
        request,
        caller,
        found,
        form,
        "priority_form",
        ticket_forms.priority_change,
        workflow.change_priority,
    )


def act(
    request: Request,
    caller: Caller,
    ticket_id: uuid.UUID,
    form: dict[str, str],
    form_name: str,
    parse: Parse,
    action: Callable[..., Any],
) -> Response:
    """Run one workflow action on the version the form shows; on refusal, the page again
    with the form as typed and what went wrong."""
    caller.principal.require(permissions.WORK)

    def run(session: Session, data: Any, if_match: str) -> None:
        action(session, caller.principal, ticket_id=ticket_id, data=data, if_match=if_match)

    where = f"/tickets/{ticket_id}"
    return step(request, caller, (ticket_id, where, show_ticket), form, form_name, parse, run)


Parse = Callable[[dict[str, Any]], tuple[Any, ticket_forms.Errors]]


@dataclass(frozen=True)
class Words:
    """What a page says when a step is refused; None lets that refusal reach the error page."""

    refused: str = REFUSED
    stale: str = CONFLICT
    not_allowed: str | None = None
    not_ready: str | None = None


def step(
    request: Request,
    caller: Caller,
    page: tuple[uuid.UUID, str, Callable[..., Response]],
    form: dict[str, Any],
    form_name: str,
    parse: Parse,
    run: Callable[[Session, Any, str], Any],
    words: Words = Words(),
    **how: Any,
) -> Response:
    """One step from a record's page (`page`: its id, address and renderer): back to the
    page when it was taken, else the page again with the form as typed and why not."""
    found, where, show = page
    failed = attempt(caller, form, form_name, parse, run, words, **how)
    if failed is None:
        return RedirectResponse(link(request, where, tenant=caller.tenant), status_code=303)
    outcome, status_code = failed
    return show(request, caller, found, status_code, **outcome)


def attempt(
    caller: Caller,
    form: dict[str, Any],
    form_name: str,
    parse: Parse,
    run: Callable[[Session, Any, str], Any],
    words: Words = Words(),
    errors_of: Callable[[Any], ticket_forms.Errors] = ticket_forms.service_errors,
    refusal: Callable[[Conflict], dict[str, Any] | None] = lambda exc: None,
) -> tuple[dict[str, Any], int] | None:
    """Run one change on the version the form was rendered from (the API's If-Match);
    None when it was made, else what to show again (the form as typed, what went wrong)
    with its status. `refusal` may word a conflict of its own kind."""
    data, errors = parse(form)
    outcome: dict[str, Any] = {}
    status_code = 400
    if data is not None:
        try:
            with writing(caller) as session:
                run(session, data, if_match_of(form))
            return None
        except PreconditionFailed:
            outcome, status_code = {"message": words.stale}, 412
        except Conflict as exc:
            outcome = refusal(exc) or {"message": words.refused, "detail": exc.detail}
            status_code = 409
        except InvalidInput as exc:
            errors = errors_of(exc)
        except Unprocessable as exc:
            if words.not_ready is None:
                raise
            errors = errors_of(exc)
            outcome, status_code = {"message": words.not_ready, "detail": exc.detail}, 422
        except Forbidden as exc:
            if words.not_allowed is None:
                raise
            outcome, status_code = {"message": words.not_allowed, "detail": exc.detail}, 403
    outcome[form_name] = {"values": form, "errors": errors}
    return outcome, status_code


def if_match_of(form: Mapping[str, Any]) -> str:
    """The version the form was rendered from, as the API's If-Match; anything else is stale."""
    try:
        return etag(int(form.get("version", "")))
    except ValueError:
        return etag(0)
