"""The agents' work queue and the dashboard per line, across every client they work for.

Both read through `tickets.queue`, the same functions as GET /api/v1/queue, so each tenant is
read under its own row-level security with the principal the person holds there. Saved views
keep a person's filters; bulk actions live in `regie.web.bulk`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_timedelta
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from core.db import reading_tenants, unit_of_work
from core.errors import NotFound
from core.identity import sessions
from core.identity.permissions import Principal
from core.tenancy import Tenant
from core.types import utcnow
from regie.web import link, pick_language, saved_views, ticket_forms
from regie.web.ticket_extras import LINE_NAMES
from regie.web.tickets import Caller, CallerDep, FormDep, WebRoute, page, writing
from tickets import groups, queue
from tickets.models import AssignmentGroup, Line, Priority, TicketType

PATH = "/queue"
LIMIT = 100
FILTERS = ("organisation", "line", "group", "type", "priority", "mine")
NAME_REQUIRED = "Give the view a name."
TOO_MANY = "You have as many saved views as allowed; delete one first."
SLA_STATES = {
    "breached": "Breached",
    "soon": "Breaching soon",
    "ok": "On time",
    "paused": "Paused",
    "none": "No clock running",
}

router = APIRouter(include_in_schema=False, route_class=WebRoute)


@dataclass(frozen=True)
class Chosen:
    """The queue's filters as the person chose them (each optional)."""

    organisation: str | None = None  # a tenant's slug; `tenant` would switch the acting tenant
    line: Line | None = None
    group: uuid.UUID | None = None
    type: TicketType | None = None
    priority: Priority | None = None
    mine: bool = False

    def query(self) -> dict[str, str]:
        values = {k: getattr(self, k) for k in FILTERS}
        return {k: ("1" if v is True else str(v)) for k, v in values.items() if v}


@dataclass(frozen=True)
class Row:
    """One ticket of the queue as the page shows it."""

    tenant: Tenant
    ticket: Any
    group: str
    sla_state: str
    sla_text: str


def chosen(params: Mapping[str, str]) -> tuple[Chosen, dict[str, str]]:
    """The filters from the address; an unknown value is an error at its field."""
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {"organisation": params.get("organisation") or None}
    parsed["mine"] = params.get("mine") == "1"
    for key, kind in (("line", Line), ("type", TicketType), ("priority", Priority)):
        parsed[key] = _parse(params.get(key), kind, key, errors)
    parsed["group"] = _parse(params.get("group"), uuid.UUID, "group", errors)
    return Chosen(**parsed), errors


def _parse(raw: str | None, kind: Any, name: str, errors: dict[str, str]) -> Any:
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        errors[name] = ticket_forms.NOT_VALID
        return None


def working_groups(reached: list[tuple[Tenant, Principal]]) -> list[tuple[Tenant, AssignmentGroup]]:
    """Every active group of every tenant the person works in, tenant by tenant."""
    found = []
    with reading_tenants() as in_tenant:
        for tenant, acting in reached:
            listed = groups.list_groups(in_tenant(tenant.id), acting)
            found += [(tenant, g) for g in listed if g.active]
    return found


@router.get(PATH)
def work_queue(request: Request, caller: CallerDep) -> Response:
    """The open tickets of every client, most urgent first, with their SLA time left."""
    return queue_page(request, caller)


def home_only(caller: Caller) -> list[tuple[Tenant, Principal]]:
    """The queue, its views and the dashboard already span every client: they are read from
    the person's own tenant, never through `?tenant=`. The tenants the person works in."""
    reached = queue.require_work(caller.principal)
    if caller.tenant is not None:
        raise NotFound("No such page.")
    return reached


def queue_page(
    request: Request, caller: Caller, status_code: int = 200, **outcome: Any
) -> Response:
    """The queue for the filters in the address; `outcome` brings back a refused form."""
    reached = home_only(caller)
    choice, errors = chosen(request.query_params)
    slugs = {tenant.slug for tenant, _ in reached}
    if choice.organisation is not None and choice.organisation not in slugs:
        errors["organisation"] = ticket_forms.NOT_VALID
    all_groups = working_groups(reached)
    rows: list[Row] = []
    if not errors:
        rows = _rows(request, caller, choice, reached, all_groups)
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        views = saved_views.views_of(session, owner=caller.principal.actor_id, page="queue")
    return page(
        request,
        "queue.html",
        400 if errors else status_code,
        rows=rows,
        choice=choice,
        query=urlencode(choice.query()),
        errors=errors,
        choices=_choices(reached, all_groups),
        groups=all_groups,
        sla_states=SLA_STATES,
        views=views,
        limit=LIMIT,
        bulk=outcome.get("bulk", {}),
        view_form=outcome.get("view_form", {}),
    )


def _choices(
    reached: list[tuple[Tenant, Principal]], all_groups: list[tuple[Tenant, AssignmentGroup]]
) -> dict[str, list[tuple[str, str]]]:
    """Each filter's options as (value, text); line, type and priority texts get translated."""
    labels = ticket_forms.LABELS
    return {
        "organisation": [(tenant.slug, tenant.name) for tenant, _ in reached],
        "line": [(line.value, name) for line, name in LINE_NAMES.items() if line is not None],
        "group": [(str(g.id), f"{tenant.name}: {g.name}") for tenant, g in all_groups],
        "type": [(t.value, labels["type"][t]) for t in TicketType],
        "priority": [(p.value, labels["priority"][p]) for p in Priority],
    }


def _rows(
    request: Request,
    caller: Caller,
    choice: Chosen,
    reached: list[tuple[Tenant, Principal]],
    all_groups: list[tuple[Tenant, AssignmentGroup]],
) -> list[Row]:
    only = queue.Narrowing(
        tenant=choice.organisation,
        group_id=choice.group,
        type=choice.type,
        priority=choice.priority,
    )
    items = queue.work_queue(
        caller.principal,
        limit=LIMIT,
        line=choice.line,
        mine=choice.mine,
        only=only,
        clocks=True,
        reached=reached,
    )
    names = {g.id: g.name for _, g in all_groups}
    lang, now = pick_language(request), utcnow()
    return [
        Row(
            i.tenant,
            i.ticket,
            names.get(i.ticket.group_id, "") if i.ticket.group_id else "",
            *time_left(list(i.clocks), now, lang),
        )
        for i in items
    ]


def time_left(clocks: list[Any], now: datetime, lang: str) -> tuple[str, str]:
    """The state of the ticket's most pressing clock and how long until (or since) its
    deadline, in the page's language: what the agent needs to pick the next ticket."""
    running = sorted(
        (c for c in clocks if c.state == "running" and c.deadline is not None),
        key=lambda c: c.deadline,
    )
    state = queue.clock_state(clocks, now)
    if running:
        delta: timedelta = running[0].deadline - now
        return state, format_timedelta(delta, add_direction=True, locale=lang)
    if state == "breached":
        return state, ""
    return ("paused" if any(c.state == "paused" for c in clocks) else "none"), ""


@router.post(PATH + "/views")
def save_view(request: Request, caller: CallerDep, form: FormDep) -> Response:
    """Keep the current filters under a name, for this person only."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    home_only(caller)
    name = form.get("name", "").strip()
    if not name or len(name) > 80:
        error = NAME_REQUIRED if not name else ticket_forms.TOO_LONG
        view_form = {"values": form, "errors": {"name": error}}
        return queue_page(request, caller, 400, view_form=view_form)
    query = saved_views.clean_query(form.get("query", ""), FILTERS)
    try:
        with writing(caller) as session:
            saved_views.save_view(
                session, owner=caller.principal.actor_id, page="queue", name=name, query=query
            )
    except saved_views.TooManyViews:
        view_form = {"values": form, "errors": {"name": TOO_MANY}}
        return queue_page(request, caller, 400, view_form=view_form)
    return RedirectResponse(_queue_link(request, query), status_code=303)


@router.post(PATH + "/views/{view_id}/delete")
def delete_view(request: Request, caller: CallerDep, view_id: uuid.UUID, form: FormDep) -> Response:
    """Forget one of the person's views; another person's is not found."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    home_only(caller)
    with writing(caller) as session:
        saved_views.delete_view(session, owner=caller.principal.actor_id, view_id=view_id)
    return RedirectResponse(link(request, PATH), status_code=303)


def _queue_link(request: Request, query: str) -> str:
    base = link(request, PATH)
    if not query:
        return base
    return base + ("&" if "?" in base else "?") + query


@router.get("/dashboard")
def dashboard(request: Request, caller: CallerDep) -> Response:
    """Per line: open tickets, those breaching soon and those breached, over every client."""
    reached = home_only(caller)
    counts = queue.line_counts(caller.principal, reached=reached)
    # Every line, also one without open tickets: a zero is a figure too.
    ordered = [(line, counts.get(line) or queue.LineCounts()) for line in LINE_NAMES]
    totals = queue.LineCounts(
        open=sum(c.open for _, c in ordered),
        breaching_soon=sum(c.breaching_soon for _, c in ordered),
        breached=sum(c.breached for _, c in ordered),
    )
    return page(request, "dashboard.html", counts=ordered, totals=totals, line_names=LINE_NAMES)
