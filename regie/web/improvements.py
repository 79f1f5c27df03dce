"""The improvement register in the web UI: the board on which the client's product owner orders
the backlog and decides proposals, and the item page with its progress, its changes and its
KPI before and after.

Every read and write is the register's own service call under the signed-in person's
principal, so the pages show and allow exactly what the API would.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from changes import repository as change_rows
from changes import service as changes
from core.db import unit_of_work
from core.errors import Conflict, NotFound, PreconditionFailed
from core.identity.permissions import Principal
from regie.web import pick_language
from regie.web.errors import error_page
from regie.web.improvement_chart import chart, number
from regie.web.tickets import CallerDep, WebRoute, page
from services.improvement import backlog, permissions, repository, service, workflow
from services.improvement.errors import ImprovementNotFound
from services.improvement.models import (
    FINAL,
    ON_BACKLOG,
    ImprovementEventKind,
    ImprovementSource,
    ImprovementStatus,
    Item,
)
from services.improvement.repository import Filters
from services.improvement.sides import client_side

S = ImprovementStatus
STATUS_NAMES = {
    S.proposed: "Proposed",
    S.accepted: "Accepted",
    S.planned: "Planned",
    S.in_progress: "In progress",
    S.realised: "Realised",
    S.evaluated: "Evaluated",
    S.rejected: "Rejected",
    S.withdrawn: "Withdrawn",
}
SOURCE_NAMES = {
    ImprovementSource.problem: "Problem",
    ImprovementSource.sla_breach_trend: "SLA breach trend",
    ImprovementSource.post_implementation_review: "Post-implementation review",
    ImprovementSource.audit_finding: "Audit finding",
    ImprovementSource.user_feedback: "User feedback",
    ImprovementSource.supplier_proposal: "Supplier proposal",
}
KPI_NAMES = {
    "response": "Response within norm",
    "restore-platform": "Restore of the platform within norm",
    "restore-application": "Restore of the application within norm",
    "availability": "Availability",
    "first-line-resolution": "Resolved on first line",
    "reopened": "Reopened tickets",
    "opened": "Opened tickets",
    "backlog": "Open tickets",
    "restore-time": "Mean restore time (hours)",
}
REACHED = {True: "Target reached", False: "Target not reached", None: "Nothing to judge"}
NOT_FOUND = ("Not found", "This improvement does not exist, or it is not visible to you.")
STALE = (
    "Changed by someone else",
    "Someone else changed the backlog or this improvement after you opened it. Nothing was "
    "changed: look at it again, then try again.",
)
REFUSED = ("Not possible", "This is not possible for the improvement as it is now.")
ITEM_FORMS = ("decision_form", "transition_form", "note_form", "evaluation_form")
LIMIT = 100

router = APIRouter(include_in_schema=False, route_class=WebRoute)


def item_id_of(raw: str) -> uuid.UUID:
    """A malformed id names no improvement: the same 404 as an unknown one."""
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ImprovementNotFound("No such improvement.") from None


def refusal(request: Request, exc: Exception) -> Response:
    """The error page of a refused change, in the page's language; nothing was changed."""
    if isinstance(exc, PreconditionFailed):
        return error_page(request, 412, texts=STALE)
    if isinstance(exc, NotFound):
        return error_page(request, 404, texts=NOT_FOUND)
    assert isinstance(exc, Conflict)
    return error_page(request, 409, texts=REFUSED)


def powers(session: Session, actor: Principal) -> dict[str, bool]:
    """What the person may do on the register: the client's side orders and decides."""
    client = client_side(session, actor)
    return {
        "can_order": client and actor.can(permissions.PRIORITISE),
        "can_decide": client and actor.can(permissions.DECIDE),
        "can_work": actor.can(permissions.WORK),
        "can_propose": actor.can(permissions.PROPOSE),
    }


def _status(raw: str) -> ImprovementStatus | None:
    return next((s for s in ImprovementStatus if s.value == raw), None)


@router.get("/improvements")
def board(request: Request, caller: CallerDep, status: str = "") -> Response:
    """The ordered backlog with its moves and decisions, the realised items to accept, and
    the other items by status."""
    chosen = _status(status)
    actor = caller.principal
    with unit_of_work(actor.tenant_id, read_only=True) as session:
        version, ordered = backlog.ordered(session, actor)
        realised, others = [], []
        if chosen is None:
            realised = _list(session, actor, S.realised)
        elif chosen not in ON_BACKLOG:
            others = _list(session, actor, chosen)
        can = powers(session, actor)
    shown = [i for i in ordered if chosen is None or i.status == chosen]
    return page(
        request,
        "improvements.html",
        version=version,
        items=shown if chosen is None or chosen in ON_BACKLOG else [],
        moves=_moves(ordered) if chosen is None and can["can_order"] else {},
        realised=realised,
        others=others,
        chosen=chosen,
        on_backlog=chosen is None or chosen in ON_BACKLOG,
        labels_of=_labels(),
        num=_numbers(request),
        label=actor.label,
        **can,
    )


def _list(session: Session, actor: Principal, status: ImprovementStatus) -> list[Item]:
    rows, _last = service.list_items(
        session, actor, Filters(status=[status]), sort="-updatedAt", limit=LIMIT, after=None
    )
    return rows


def _moves(ordered: list[Item]) -> dict[uuid.UUID, dict[str, Any]]:
    """Per item the anchors of its moves as the page shows the order: up goes before the one
    above, down after the one below, to the top before the first."""
    found: dict[uuid.UUID, dict[str, Any]] = {}
    for n, item in enumerate(ordered):
        found[item.id] = {
            "up": ordered[n - 1].id if n > 0 else None,
            "down": ordered[n + 1].id if n + 1 < len(ordered) else None,
            "top": ordered[0].id if n > 1 else None,
        }
    return found


def _labels() -> dict[str, Any]:
    return {"status": STATUS_NAMES, "source": SOURCE_NAMES, "kpi": KPI_NAMES}


def _numbers(request: Request) -> Any:
    """Figures written the way the reader writes numbers."""
    lang = pick_language(request)
    return lambda value: number(value, lang)


@router.get("/improvements/{item_id}")
def item_page(request: Request, caller: CallerDep, item_id: str) -> Response:
    """One improvement: its details, source, KPI, progress, changes and evaluation."""
    return show_item(request, caller.principal, item_id_of(item_id))


def show_item(
    request: Request, actor: Principal, found: uuid.UUID, status_code: int = 200, **outcome: Any
) -> Response:
    """The item page; `outcome` carries a refused form back with its problems."""
    with unit_of_work(actor.tenant_id, read_only=True) as session:
        try:
            item = service.get_item(session, actor, item_id=found)
        except ImprovementNotFound:
            return error_page(request, 404, texts=NOT_FOUND)
        shown = service.present(session, [item])[0]
        notes = service.history(session, actor, item_id=found, kind=ImprovementEventKind.note)
        evaluated = repository.evaluation(session, found)
        linked = _changes(session, actor, shown.change_ids)
        source = _source(session, actor, item)
        can = powers(session, actor)
    forms = {name: outcome.get(name, {}) for name in ITEM_FORMS}
    return page(
        request,
        "improvement.html",
        status_code,
        item=shown,
        notes=notes,
        evaluation=evaluated,
        figure=chart(evaluated, pick_language(request)) if evaluated else None,
        reached_names=REACHED,
        linked=linked,
        source=source,
        labels_of=_labels(),
        num=_numbers(request),
        next_statuses=_next_statuses(actor, item),
        open=item.status not in FINAL,
        decidable=item.status == S.proposed and actor.label != item.proposed_by,
        evaluable=item.status == S.realised and item.kpi is not None and item.target is not None,
        **can,
        **forms,
    )


def _next_statuses(actor: Principal, item: Item) -> list[ImprovementStatus]:
    """The statuses this person may move the item to: the owner side works it, the proposer
    side may also withdraw it."""
    allowed = workflow.TRANSITIONS[item.status]
    work, propose = actor.can(permissions.WORK), actor.can(permissions.PROPOSE)
    return [
        s for s in ImprovementStatus if s in allowed and (work or (propose and s == S.withdrawn))
    ]


def _changes(session: Session, actor: Principal, ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The linked changes with number, title and status where the person may read changes."""
    readable = changes.can_read(actor)
    found = []
    for change_id in ids:
        row = change_rows.get(session, change_id) if readable else None
        found.append(
            {"id": change_id, "number": row.number, "title": row.title, "status": row.status}
            if row
            else {"id": change_id}
        )
    return found


def _source(session: Session, actor: Principal, item: Item) -> dict[str, Any]:
    """The source's name and, where the web UI shows it, the address of its page."""
    kind, source_id = item.source_kind, item.source_id
    out: dict[str, Any] = {"name": SOURCE_NAMES[kind], "href": None, "text": None}
    if kind == ImprovementSource.problem and source_id:
        out["href"] = f"/problems/{source_id}"
    elif kind == ImprovementSource.user_feedback and source_id:
        out["href"] = f"/tickets/{source_id}"
    elif kind == ImprovementSource.sla_breach_trend and item.source_month:
        month = f"{item.source_month.year:04d}-{item.source_month.month:02d}"
        out["href"], out["text"] = f"/service-levels?period={month}", month
    elif kind == ImprovementSource.post_implementation_review and source_id:
        row = change_rows.get(session, source_id) if changes.can_read(actor) else None
        out["text"] = f"{row.number}: {row.title}" if row else str(source_id)
    return out
