"""Routes of problems, their linked incidents and the known-error list: parse, call one
service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse

from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import QueryBool
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets.models import Priority, Ticket
from tickets.problems import permissions, service, workflow
from tickets.problems.models import Problem, ProblemStatus
from tickets.problems.repository import Filters
from tickets.problems.schemas import (
    ChangeRequestCreate,
    IncidentLink,
    IncidentSummary,
    KnownErrorPage,
    KnownErrorPublic,
    ProblemCreate,
    ProblemEventList,
    ProblemEventPublic,
    ProblemPage,
    ProblemPublic,
    ProblemTransition,
    ProblemUpdate,
    ResolutionCreate,
    ResolutionPublic,
    WorkaroundPublication,
    WorkaroundPublished,
)
from tickets.schemas import TicketPage, TicketPublic

router = APIRouter(prefix=API_PREFIX, tags=["problems"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.MANAGE)]
Manager = Annotated[Principal, require(permissions.MANAGE)]
Linker = Annotated[Principal, require(permissions.LINK)]
KnownErrorReader = Annotated[
    Principal, require_any(permissions.KNOWN_ERRORS, permissions.READ, permissions.MANAGE)
]
ProblemId = Annotated[uuid.UUID, Path(alias="problemId")]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
Sort = Query(
    "-createdAt",
    pattern=r"^-?(createdAt|updatedAt|number)$",
    description="Sort key; prefix - for descending",
)
Search = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="Case-insensitive text in the title, root cause or workaround",
    ),
]


def _answer(problem: Problem, response: Response) -> ProblemPublic:
    response.headers["ETag"] = etag(problem.version)
    return ProblemPublic.model_validate(problem)


def _summaries(tickets: list[Ticket]) -> list[IncidentSummary]:
    return [IncidentSummary.model_validate(t) for t in tickets]


def _filters(
    status: Annotated[list[ProblemStatus] | None, Query()] = None,
    known_error: Annotated[QueryBool | None, Query(alias="knownError")] = None,
    priority: Priority | None = None,
    owner_id: Annotated[uuid.UUID | None, Query(alias="ownerId")] = None,
    service_id: Annotated[uuid.UUID | None, Query(alias="serviceId")] = None,
    ci_id: Annotated[uuid.UUID | None, Query(alias="ciId")] = None,
    q: Search = None,
) -> Filters:
    return Filters(
        status=status,
        known_error=known_error,
        priority=priority,
        owner_id=owner_id,
        service_id=service_id,
        ci_id=ci_id,
        text=q,
    )


@router.get("/problems", response_model=ProblemPage, summary="List problems")
def list_problems(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[Filters, Depends(_filters)],
    sort: str = Sort,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ProblemPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_problems(session, actor, filters, sort=sort, limit=limit, after=after)
    items = [ProblemPublic.model_validate(r) for r in rows]
    return ProblemPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post("/problems", response_model=ProblemPublic, status_code=201, summary="Record a problem")
def create_problem(
    body: ProblemCreate, session: SessionDep, actor: Manager, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ProblemPublic, dict[str, str]]:
        problem = service.create_problem(session, actor, data=body)
        headers = {"ETag": etag(problem.version), "Location": f"{API_PREFIX}/problems/{problem.id}"}
        return ProblemPublic.model_validate(problem), headers

    return idem.respond(session, actor, produce)


@router.get("/problems/{problemId}", response_model=ProblemPublic, summary="Get a problem")
def get_problem(
    problem_id: ProblemId, session: SessionDep, actor: Reader, response: Response
) -> ProblemPublic:
    return _answer(service.get_problem(session, actor, problem_id=problem_id), response)


@router.patch("/problems/{problemId}", response_model=ProblemPublic, summary="Change a problem")
def update_problem(
    problem_id: ProblemId,
    body: ProblemUpdate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> ProblemPublic:
    problem = service.update_problem(
        session, actor, problem_id=problem_id, changes=body, if_match=if_match
    )
    return _answer(problem, response)


@router.get(
    "/problems/{problemId}/history", response_model=ProblemEventList, summary="A problem's history"
)
def problem_history(problem_id: ProblemId, session: SessionDep, actor: Reader) -> ProblemEventList:
    rows = service.history(session, actor, problem_id=problem_id)
    return ProblemEventList(items=[ProblemEventPublic.model_validate(r) for r in rows])


@router.post(
    "/problems/{problemId}/transitions", response_model=ProblemPublic, summary="Change status"
)
def transition(
    problem_id: ProblemId,
    body: ProblemTransition,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> ProblemPublic:
    problem = workflow.transition(
        session, actor, problem_id=problem_id, data=body, if_match=if_match
    )
    return _answer(problem, response)


@router.post(
    "/problems/{problemId}/resolutions",
    response_model=ResolutionPublic,
    summary="Resolve a problem",
    description="Lists the linked incidents still open, so they can be offered for resolving; "
    "with resolveIncidents they are resolved too, in the same step. Asked again on a resolved "
    "problem with resolveIncidents, it resolves the incidents still open.",
)
def resolve(
    problem_id: ProblemId,
    body: ResolutionCreate,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> ResolutionPublic:
    problem, done, still_open = workflow.resolve(
        session, actor, problem_id=problem_id, data=body, if_match=if_match
    )
    return ResolutionPublic(
        problem=_answer(problem, response),
        resolved_incidents=_summaries(done),
        open_incidents=_summaries(still_open),
    )


@router.post(
    "/problems/{problemId}/workaround-publications",
    response_model=WorkaroundPublished,
    summary="Publish the workaround to the linked incidents",
    description="Records the publication on every open linked incident; their reporters are "
    "told. A workaround in the body replaces the recorded one first.",
)
def publish_workaround(
    problem_id: ProblemId,
    body: WorkaroundPublication,
    session: SessionDep,
    actor: Manager,
    response: Response,
    if_match: IfMatch = None,
) -> WorkaroundPublished:
    problem, incidents = workflow.publish_workaround(
        session, actor, problem_id=problem_id, data=body, if_match=if_match
    )
    return WorkaroundPublished(problem=_answer(problem, response), incidents=_summaries(incidents))


@router.get(
    "/problems/{problemId}/incidents", response_model=TicketPage, summary="Linked incidents"
)
def list_incidents(
    problem_id: ProblemId,
    session: SessionDep,
    actor: Reader,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> TicketPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_incidents(
        session, actor, problem_id=problem_id, limit=limit, after=after
    )
    items = [TicketPublic.model_validate(r) for r in rows]
    return TicketPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post(
    "/problems/{problemId}/incidents",
    response_model=TicketPublic,
    status_code=201,
    summary="Link an incident",
    responses={200: {"model": TicketPublic, "description": "It was linked already"}},
)
def link_incident(
    problem_id: ProblemId, body: IncidentLink, session: SessionDep, actor: Linker
) -> Response:
    ticket, created = workflow.link_incident(
        session, actor, problem_id=problem_id, ticket_id=body.ticket_id
    )
    answer = TicketPublic.model_validate(ticket).model_dump(mode="json", by_alias=True)
    headers = {"ETag": etag(ticket.version), "Location": f"{API_PREFIX}/tickets/{ticket.id}"}
    return JSONResponse(answer, status_code=201 if created else 200, headers=headers)


@router.delete(
    "/problems/{problemId}/incidents/{ticketId}", status_code=204, summary="Unlink an incident"
)
def unlink_incident(
    problem_id: ProblemId, ticket_id: TicketId, session: SessionDep, actor: Linker
) -> Response:
    workflow.unlink_incident(session, actor, problem_id=problem_id, ticket_id=ticket_id)
    return Response(status_code=204)


@router.post(
    "/problems/{problemId}/change-requests",
    response_model=TicketPublic,
    status_code=201,
    summary="Raise the change request that fixes the problem",
)
def raise_change_request(
    problem_id: ProblemId,
    body: ChangeRequestCreate,
    session: SessionDep,
    actor: Manager,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[TicketPublic, dict[str, str]]:
        ticket = workflow.raise_change_request(session, actor, problem_id=problem_id, data=body)
        headers = {"ETag": etag(ticket.version), "Location": f"{API_PREFIX}/tickets/{ticket.id}"}
        return TicketPublic.model_validate(ticket), headers

    return idem.respond(session, actor, produce)


@router.get("/known-errors", response_model=KnownErrorPage, summary="Search known errors")
def list_known_errors(
    session: SessionDep,
    actor: KnownErrorReader,
    q: Search = None,
    status: Annotated[list[ProblemStatus] | None, Query()] = None,
    service_id: Annotated[uuid.UUID | None, Query(alias="serviceId")] = None,
    sort: str = Query(
        "-updatedAt",
        pattern=r"^-?(createdAt|updatedAt|number)$",
        description="Sort key; prefix - for descending",
    ),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> KnownErrorPage:
    after = decode_cursor(cursor) if cursor else None
    filters = Filters(text=q, status=status, service_id=service_id)
    rows, last = service.list_known_errors(
        session, actor, filters, sort=sort, limit=limit, after=after
    )
    items = [KnownErrorPublic.model_validate(r) for r in rows]
    return KnownErrorPage(items=items, nextCursor=encode_cursor(last) if last else None)
