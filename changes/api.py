"""Routes of changes and the steps of their life: parse, call one service function, answer."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response
from sqlalchemy import Row
from sqlmodel import Session

from changes import approval, calendar, permissions, review, service, workflow
from changes.models import Change, ChangeStatus, ChangeType, RiskClass
from changes.repository import Filters
from changes.schemas import (
    AssessmentCreate,
    ChangeCreate,
    ChangeEventList,
    ChangeEventPublic,
    ChangeFromTicket,
    ChangePage,
    ChangePublic,
    ChangeTransition,
    ChangeUpdate,
    ConflictPublic,
    ReviewCreate,
    ReviewPublic,
    RollbackCreate,
    RollbackList,
    RollbackPublic,
    RollbackTest,
    VoteCreate,
    VoteList,
    VotePublic,
)
from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX, tags=["changes"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WRITE, permissions.APPROVE)]
Writer = Annotated[Principal, require(permissions.WRITE)]
Approver = Annotated[Principal, require(permissions.APPROVE)]
ChangeId = Annotated[uuid.UUID, Path(alias="changeId")]
TicketId = Annotated[uuid.UUID, Path(alias="ticketId")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]
Sort = Query(
    "-createdAt",
    pattern=r"^-?(createdAt|plannedStart|number)$",
    description="Sort key; prefix - for descending (plannedStart lists only planned changes)",
)


def public(change: Change | Row[Any]) -> ChangePublic:
    """The change as the API shows it, with the flags that call for attention; loaded as an
    entity or read as its columns."""
    flags = []
    if change.type == ChangeType.emergency and not workflow.tested(change):
        flags.append("rollback-test-pending")
    if change.overdue_at is not None:
        flags.append("overdue")
    values = change._asdict() if isinstance(change, Row) else change.model_dump()
    for hidden in ("tenant_id", "overdue_at", "calendar_entry"):
        values.pop(hidden, None)
    return ChangePublic.model_validate({**values, "flags": flags})


def _one(session: Session, change: Change | Row[Any]) -> ChangePublic:
    """One change, with the conflicts of its window as warnings."""
    answer = public(change)
    conflicts = calendar.conflicts_of(session, change)
    answer.conflicts = [ConflictPublic.model_validate(c) for c in conflicts]
    return answer


def _answer(session: Session, change: Change | Row[Any], response: Response) -> ChangePublic:
    response.headers["ETag"] = etag(change.version)
    return _one(session, change)


def _created(session: Session, change: Change) -> tuple[ChangePublic, dict[str, str]]:
    headers = {"ETag": etag(change.version), "Location": f"{API_PREFIX}/changes/{change.id}"}
    return _one(session, change), headers


def _filters(
    status: Annotated[list[ChangeStatus] | None, Query()] = None,
    type: ChangeType | None = None,
    risk_class: Annotated[RiskClass | None, Query(alias="riskClass")] = None,
    ticket_id: Annotated[uuid.UUID | None, Query(alias="ticketId")] = None,
    problem_id: Annotated[uuid.UUID | None, Query(alias="problemId")] = None,
) -> Filters:
    return Filters(
        status=status,
        type=type,
        risk_class=risk_class,
        ticket_id=ticket_id,
        problem_id=problem_id,
    )


@router.get("/changes", response_model=ChangePage, summary="List changes")
def list_changes(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[Filters, Depends(_filters)],
    sort: str = Sort,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ChangePage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_changes(session, actor, filters, sort=sort, limit=limit, after=after)
    return ChangePage(
        items=[public(r) for r in rows], nextCursor=encode_cursor(last) if last else None
    )


@router.post("/changes", response_model=ChangePublic, status_code=201, summary="Raise a change")
def create_change(
    body: ChangeCreate, session: SessionDep, actor: Writer, idem: IdempotencyDep
) -> Response:
    return idem.respond(
        session, actor, lambda: _created(session, service.create_change(session, actor, data=body))
    )


@router.post(
    "/tickets/{ticketId}/changes",
    response_model=ChangePublic,
    status_code=201,
    summary="Turn a change-request ticket into a change",
    description="The ticket waits for the change from now on, is resolved when the change is "
    "implemented, and goes back to in-progress when the change ends otherwise.",
)
def create_from_ticket(
    ticket_id: TicketId,
    body: ChangeFromTicket,
    session: SessionDep,
    actor: Writer,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[ChangePublic, dict[str, str]]:
        change = service.create_from_ticket(session, actor, ticket_id=ticket_id, data=body)
        return _created(session, change)

    return idem.respond(session, actor, produce)


@router.get("/changes/{changeId}", response_model=ChangePublic, summary="Get a change")
def get_change(
    change_id: ChangeId, session: SessionDep, actor: Reader, response: Response
) -> ChangePublic:
    return _answer(session, service.read_change(session, actor, change_id=change_id), response)


@router.patch("/changes/{changeId}", response_model=ChangePublic, summary="Edit a draft change")
def update_change(
    change_id: ChangeId,
    body: ChangeUpdate,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = service.update_change(
        session, actor, change_id=change_id, changes=body, if_match=if_match
    )
    return _answer(session, change, response)


@router.get(
    "/changes/{changeId}/history", response_model=ChangeEventList, summary="A change's history"
)
def change_history(change_id: ChangeId, session: SessionDep, actor: Reader) -> ChangeEventList:
    rows = service.history(session, actor, change_id=change_id)
    return ChangeEventList(items=[ChangeEventPublic.model_validate(r) for r in rows])


@router.post(
    "/changes/{changeId}/transitions",
    response_model=ChangePublic,
    summary="Move a change on",
    description="Submitting needs services, the planned window, the implementer and the "
    "rollback plan (422 naming what is missing); a standard change is approved by its "
    "template on submission. Scheduled follows approved only.",
)
def transition(
    change_id: ChangeId,
    body: ChangeTransition,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = workflow.transition(session, actor, change_id=change_id, data=body, if_match=if_match)
    return _answer(session, change, response)


@router.post(
    "/changes/{changeId}/risk-assessments",
    response_model=ChangePublic,
    summary="Assess a submitted change's risk and impact",
    description="The answers to the tenant's questionnaire give the risk class; the class and "
    "type fix who must approve.",
)
def assess(
    change_id: ChangeId,
    body: AssessmentCreate,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = workflow.assess(session, actor, change_id=change_id, data=body, if_match=if_match)
    return _answer(session, change, response)


@router.get("/changes/{changeId}/votes", response_model=VoteList, summary="The CAB's votes")
def list_votes(change_id: ChangeId, session: SessionDep, actor: Reader) -> VoteList:
    rows = approval.votes(session, actor, change_id=change_id)
    return VoteList(items=[VotePublic.model_validate(r) for r in rows])


@router.post(
    "/changes/{changeId}/votes",
    response_model=ChangePublic,
    summary="Approve or reject a change",
    description="Once per person, for a role the change's approval rule names; never on a "
    "change you requested or implement (403).",
)
def cast_vote(
    change_id: ChangeId,
    body: VoteCreate,
    session: SessionDep,
    actor: Approver,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = approval.vote(session, actor, change_id=change_id, data=body, if_match=if_match)
    return _answer(session, change, response)


@router.post(
    "/changes/{changeId}/rollback-tests",
    response_model=ChangePublic,
    summary="Record the test of the rollback plan",
)
def record_test(
    change_id: ChangeId,
    body: RollbackTest,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = workflow.record_test(session, actor, change_id=change_id, data=body, if_match=if_match)
    return _answer(session, change, response)


@router.get(
    "/changes/{changeId}/rollbacks", response_model=RollbackList, summary="Rollbacks that ran"
)
def list_rollbacks(change_id: ChangeId, session: SessionDep, actor: Reader) -> RollbackList:
    rows = workflow.rollbacks(session, actor, change_id=change_id)
    return RollbackList(items=[RollbackPublic.model_validate(r) for r in rows])


@router.post(
    "/changes/{changeId}/rollbacks",
    response_model=ChangePublic,
    summary="Record a rollback that happened",
    description="The change is rolled back; its ticket goes back to in-progress.",
)
def roll_back(
    change_id: ChangeId,
    body: RollbackCreate,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> ChangePublic:
    change = workflow.roll_back(session, actor, change_id=change_id, data=body, if_match=if_match)
    return _answer(session, change, response)


@router.post(
    "/changes/{changeId}/review",
    response_model=ReviewPublic,
    status_code=201,
    summary="Review an implemented, failed or rolled-back change",
    description="Once per change; a failed or rolled-back change is closed only after it.",
)
def create_review(
    change_id: ChangeId,
    body: ReviewCreate,
    session: SessionDep,
    actor: Writer,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[ReviewPublic, dict[str, str]]:
        row = review.create_review(session, actor, change_id=change_id, data=body)
        return ReviewPublic.model_validate(row), {
            "Location": f"{API_PREFIX}/changes/{change_id}/review"
        }

    return idem.respond(session, actor, produce)


@router.get("/changes/{changeId}/review", response_model=ReviewPublic, summary="A change's review")
def get_review(change_id: ChangeId, session: SessionDep, actor: Reader) -> ReviewPublic:
    return ReviewPublic.model_validate(review.get_review(session, actor, change_id=change_id))
