"""Routes of tickets and the actions on them: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import Row

from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import QueryBool, QueryDateTime
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets import permissions, queue, redaction, service, workflow
from tickets.models import Level, Line, Priority, Status, Ticket, TicketType
from tickets.repository import Filters
from tickets.schemas import (
    SUMMARY_FIELDS,
    AssignmentCreate,
    ClassChange,
    EscalationCreate,
    EventList,
    EventPublic,
    Forwarding,
    PriorityChange,
    QueueEntry,
    QueuePage,
    Rejection,
    TicketCreate,
    TicketPage,
    TicketPublic,
    TicketSummary,
    TicketUpdate,
    TransitionCreate,
)

router = APIRouter(prefix=API_PREFIX + "/tickets", tags=["tickets"], route_class=ThreadedRoute)
queue_router = APIRouter(prefix=API_PREFIX + "/queue", tags=["tickets"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WORK, permissions.REPORT)]
Reporter = Annotated[Principal, require(permissions.REPORT)]
Editor = Annotated[Principal, require_any(permissions.WORK, permissions.REPORT)]
Agent = Annotated[Principal, require(permissions.WORK)]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]
Sort = Query(
    "-createdAt",
    pattern=r"^-?(createdAt|updatedAt|number|priority)$",
    description="Sort key; prefix - for descending",
)


def _answer(ticket: Ticket | Row[Any], response: Response) -> TicketPublic:
    response.headers["ETag"] = etag(ticket.version)
    return TicketPublic.stored(ticket)


def _filters(
    q: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Full text over title and description, Dutch and English stemming",
        ),
    ] = None,
    number: Annotated[str | None, Query(max_length=20, description="e.g. SHN-000123")] = None,
    type: TicketType | None = None,
    status: Annotated[list[Status] | None, Query()] = None,
    priority: Priority | None = None,
    impact: Level | None = None,
    group_id: Annotated[uuid.UUID | None, Query(alias="groupId")] = None,
    line: Line | None = None,
    assignee_id: Annotated[uuid.UUID | None, Query(alias="assigneeId")] = None,
    reporter_id: Annotated[uuid.UUID | None, Query(alias="reporterId")] = None,
    service_id: Annotated[uuid.UUID | None, Query(alias="serviceId")] = None,
    ci_id: Annotated[uuid.UUID | None, Query(alias="ciId")] = None,
    problem_id: Annotated[uuid.UUID | None, Query(alias="problemId")] = None,
    created_from: Annotated[QueryDateTime | None, Query(alias="createdFrom")] = None,
    created_until: Annotated[QueryDateTime | None, Query(alias="createdUntil")] = None,
) -> Filters:
    return Filters(
        q=q,
        number=number,
        type=type,
        status=status,
        priority=priority,
        impact=impact,
        group_id=group_id,
        line=line,
        assignee_id=assignee_id,
        reporter_id=reporter_id,
        service_id=service_id,
        ci_id=ci_id,
        problem_id=problem_id,
        created_from=created_from,
        created_until=created_until,
    )


@router.get("", response_model=TicketPage, summary="List tickets")
def list_tickets(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[Filters, Depends(_filters)],
    sort: str = Sort,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> TicketPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_tickets(
        session, actor, filters, sort=sort, limit=limit, after=after, columns=SUMMARY_FIELDS
    )
    # Rows of stored values need no input checks: built as they are, serialised once; the
    # row's values come in the order of the columns asked for (no mapping built per row).
    items = [TicketSummary.from_stored(dict(zip(SUMMARY_FIELDS, r, strict=True))) for r in rows]
    return TicketPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post("", response_model=TicketPublic, status_code=201, summary="Report a ticket")
def create_ticket(
    body: TicketCreate, session: SessionDep, actor: Reporter, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[TicketPublic, dict[str, str]]:
        ticket = service.create_ticket(session, actor, data=body)
        headers = {"ETag": etag(ticket.version), "Location": f"{API_PREFIX}/tickets/{ticket.id}"}
        return TicketPublic.stored(ticket), headers

    return idem.respond(session, actor, produce)


@router.get("/{ticketId}", response_model=TicketPublic, summary="Get a ticket")
def get_ticket(
    ticket_id: TicketId, session: SessionDep, actor: Reader, response: Response
) -> TicketPublic:
    return _answer(service.read_ticket(session, actor, ticket_id=ticket_id), response)


@router.patch("/{ticketId}", response_model=TicketPublic, summary="Change a ticket's details")
def update_ticket(
    ticket_id: TicketId,
    body: TicketUpdate,
    session: SessionDep,
    actor: Editor,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = service.update_ticket(
        session, actor, ticket_id=ticket_id, changes=body, if_match=if_match
    )
    return _answer(ticket, response)


@router.get("/{ticketId}/history", response_model=EventList, summary="A ticket's history")
def ticket_history(ticket_id: TicketId, session: SessionDep, actor: Reader) -> EventList:
    rows = service.history(session, actor, ticket_id=ticket_id)
    return EventList(items=[EventPublic.model_validate(r) for r in rows])


@router.post("/{ticketId}/transitions", response_model=TicketPublic, summary="Change status")
def transition(
    ticket_id: TicketId,
    body: TransitionCreate,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.transition(session, actor, ticket_id=ticket_id, data=body, if_match=if_match)
    return _answer(ticket, response)


@router.post("/{ticketId}/assignments", response_model=TicketPublic, summary="Assign")
def assign(
    ticket_id: TicketId,
    body: AssignmentCreate,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.assign(session, actor, ticket_id=ticket_id, data=body, if_match=if_match)
    return _answer(ticket, response)


@router.post("/{ticketId}/escalations", response_model=TicketPublic, summary="Escalate")
def escalate(
    ticket_id: TicketId,
    body: EscalationCreate,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.escalate(session, actor, ticket_id=ticket_id, data=body, if_match=if_match)
    return _answer(ticket, response)


@router.post("/{ticketId}/priority-changes", response_model=TicketPublic, summary="Change priority")
def change_priority(
    ticket_id: TicketId,
    body: PriorityChange,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.change_priority(
        session, actor, ticket_id=ticket_id, data=body, if_match=if_match
    )
    return _answer(ticket, response)


@router.post(
    "/{ticketId}/class-changes",
    response_model=TicketPublic,
    summary="Classify an incident as platform or application",
    description="Its restore clock becomes that of the class (counted from the opening, as "
    "with a priority change) and it counts in that KPI only; a history row keeps the old one.",
)
def change_class(
    ticket_id: TicketId,
    body: ClassChange,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.change_class(
        session, actor, ticket_id=ticket_id, data=body, if_match=if_match
    )
    return _answer(ticket, response)


@router.post(
    "/{ticketId}/rejections",
    response_model=TicketPublic,
    summary="Reject as not attributable to the supplier",
    description="With convertToServiceRequest the new service request's id is in "
    "convertedToId and its address in the Link header.",
)
def reject(
    ticket_id: TicketId,
    body: Rejection,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket, converted = workflow.reject(
        session, actor, ticket_id=ticket_id, data=body, if_match=if_match
    )
    if converted is not None:
        response.headers["Link"] = f'<{API_PREFIX}/tickets/{converted.id}>; rel="related"'
    return _answer(ticket, response)


@router.post("/{ticketId}/forwardings", response_model=TicketPublic, summary="Forward")
def forward(
    ticket_id: TicketId,
    body: Forwarding,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = workflow.forward(session, actor, ticket_id=ticket_id, data=body, if_match=if_match)
    return _answer(ticket, response)


@queue_router.get(
    "",
    response_model=QueuePage,
    summary="The work queue",
    description="Open tickets that are not waiting, most urgent and oldest first, across every "
    "tenant where the caller holds a grant to work tickets (supplier staff), or of the "
    "caller's own tenant. Each tenant is read under its own isolation.",
)
def work_queue(
    actor: Agent,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    line: Line | None = None,
    mine: Annotated[QueryBool, Query(description="Only tickets assigned to the caller")] = False,
) -> QueuePage:
    found = queue.work_queue(actor, limit=limit, line=line, mine=mine)
    return QueuePage(
        items=[
            QueueEntry(tenant=i.tenant.slug, ticket=TicketSummary.model_validate(i.ticket))
            for i in found
        ]
    )


@router.post(
    "/{ticketId}/redactions",
    response_model=TicketPublic,
    summary="Redact personal data",
    description="Replaces every piece of personal data the guard finds in the ticket's text by "
    "a marker. The original text is not kept anywhere, the audit log included.",
)
def redact(
    ticket_id: TicketId,
    session: SessionDep,
    actor: Agent,
    response: Response,
    if_match: IfMatch = None,
) -> TicketPublic:
    ticket = redaction.redact(session, actor, ticket_id=ticket_id, if_match=if_match)
    return _answer(ticket, response)
