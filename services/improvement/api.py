"""Routes of the improvement register: parse, call one service function, answer. The
backlog's order and the consultation review come first, so their paths are never read as
an item's id."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.improvement import backlog, evaluation, permissions, service, workflow
from services.improvement.figures import KpiFigure
from services.improvement.models import (
    Event,
    ImprovementEventKind,
    ImprovementSource,
    ImprovementStatus,
    Item,
)
from services.improvement.repository import Filters
from services.improvement.schemas import (
    ImprovementBacklog,
    ImprovementCreate,
    ImprovementDecisionCreate,
    ImprovementEvaluation,
    ImprovementEvaluationCreate,
    ImprovementEventList,
    ImprovementEventPublic,
    ImprovementMove,
    ImprovementNoteCreate,
    ImprovementOrder,
    ImprovementPage,
    ImprovementPublic,
    ImprovementReview,
    ImprovementReviewRow,
    ImprovementTransition,
    ImprovementUpdate,
)

router = APIRouter(
    prefix=API_PREFIX + "/improvements", tags=["improvements"], route_class=ThreadedRoute
)

Reader = Annotated[Principal, require_any(*service.READERS)]
Proposer = Annotated[Principal, require(permissions.PROPOSE)]
Prioritiser = Annotated[Principal, require(permissions.PRIORITISE)]
Decider = Annotated[Principal, require(permissions.DECIDE)]
Worker = Annotated[Principal, require_any(permissions.WORK, permissions.PROPOSE)]
ItemId = Annotated[uuid.UUID, Path(alias="improvementId")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Cursor = Annotated[str | None, Query(max_length=500)]


def _answer(session: SessionDep, item: Item, response: Response) -> ImprovementPublic:
    response.headers["ETag"] = etag(item.version)
    return service.present(session, [item])[0]


def _backlog(
    session: SessionDep, found: tuple[int, list[Item]], response: Response
) -> ImprovementBacklog:
    version, items = found
    response.headers["ETag"] = etag(version)
    return ImprovementBacklog(version=version, items=service.present(session, items))


def _filters(
    status: Annotated[list[ImprovementStatus] | None, Query()] = None,
    source_kind: Annotated[ImprovementSource | None, Query(alias="sourceKind")] = None,
    source_id: Annotated[uuid.UUID | None, Query(alias="sourceId")] = None,
    kpi: KpiFigure | None = None,
) -> Filters:
    return Filters(
        status=status,
        source_kind=source_kind,
        source_id=source_id,
        kpi=kpi.value if kpi else None,
    )


@router.get("", response_model=ImprovementPage, summary="List improvements")
def list_items(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[Filters, Depends(_filters)],
    sort: str = Query(
        "-createdAt", pattern=r"^-?(createdAt|updatedAt)$", description="Prefix - for descending"
    ),
    limit: Limit = 50,
    cursor: Cursor = None,
) -> ImprovementPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_items(session, actor, filters, sort=sort, limit=limit, after=after)
    next_cursor = encode_cursor(last) if last else None
    return ImprovementPage(items=service.present(session, rows), nextCursor=next_cursor)


@router.post(
    "",
    response_model=ImprovementPublic,
    status_code=201,
    summary="Propose an improvement",
    description="It joins the end of the backlog.",
)
def propose(
    body: ImprovementCreate, session: SessionDep, actor: Proposer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ImprovementPublic, dict[str, str]]:
        item = service.propose(session, actor, data=body)
        headers = {"ETag": etag(item.version), "Location": f"{router.prefix}/{item.id}"}
        return service.present(session, [item])[0], headers

    return idem.respond(session, actor, produce)


@router.get("/order", response_model=ImprovementBacklog, summary="The ordered backlog")
def read_order(session: SessionDep, actor: Reader, response: Response) -> ImprovementBacklog:
    return _backlog(session, backlog.ordered(session, actor), response)


@router.put(
    "/order",
    response_model=ImprovementBacklog,
    summary="Order the backlog",
    description="Name every item on the backlog once, most wanted first. By the client's "
    "side only (403 for whoever may propose or holds a supplier role).",
)
def put_order(
    body: ImprovementOrder,
    session: SessionDep,
    actor: Prioritiser,
    response: Response,
    if_match: IfMatch = None,
) -> ImprovementBacklog:
    found = backlog.reorder(session, actor, item_ids=body.item_ids, if_match=if_match)
    return _backlog(session, found, response)


@router.get(
    "/review",
    response_model=ImprovementReview,
    summary="What changed since the last consultation",
    description="New proposals, decisions, status changes, progress notes, linked changes and "
    "evaluations from local midnight (Europe/Amsterdam) of `since` on, oldest first.",
)
def read_review(
    session: SessionDep,
    actor: Reader,
    since: Annotated[date, Query(description="The last consultation's date, YYYY-MM-DD")],
    limit: Limit = 100,
    cursor: Cursor = None,
) -> ImprovementReview:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.review(session, actor, since=since, limit=limit, after=after)
    items = [
        ImprovementReviewRow(
            event=ImprovementEventPublic.model_validate(e), title=i.title, status=i.status
        )
        for e, i in rows
    ]
    return ImprovementReview(items=items, nextCursor=encode_cursor(last) if last else None)


@router.get("/{improvementId}", response_model=ImprovementPublic, summary="Get an improvement")
def get_item(
    item_id: ItemId, session: SessionDep, actor: Reader, response: Response
) -> ImprovementPublic:
    return _answer(session, service.get_item(session, actor, item_id=item_id), response)


@router.patch("/{improvementId}", response_model=ImprovementPublic, summary="Change an improvement")
def update_item(
    item_id: ItemId,
    body: ImprovementUpdate,
    session: SessionDep,
    actor: Worker,
    response: Response,
    if_match: IfMatch = None,
) -> ImprovementPublic:
    item = service.update_item(session, actor, item_id=item_id, changes=body, if_match=if_match)
    return _answer(session, item, response)


@router.post(
    "/{improvementId}/transitions",
    response_model=ImprovementPublic,
    summary="Change status",
    description="planned, in-progress and realised by the owner side; withdrawn also by the "
    "proposer side.",
)
def transition(
    item_id: ItemId,
    body: ImprovementTransition,
    session: SessionDep,
    actor: Worker,
    response: Response,
    if_match: IfMatch = None,
) -> ImprovementPublic:
    item = workflow.transition(session, actor, item_id=item_id, data=body, if_match=if_match)
    return _answer(session, item, response)


@router.post(
    "/{improvementId}/decisions",
    response_model=ImprovementPublic,
    summary="Accept or reject a proposal",
    description="Once, with a reason, by the client's side: 403 for the proposer, for whoever "
    "may propose or holds a supplier role, and for a person of another directory.",
)
def decide(
    item_id: ItemId,
    body: ImprovementDecisionCreate,
    session: SessionDep,
    actor: Decider,
    response: Response,
    if_match: IfMatch = None,
) -> ImprovementPublic:
    item = workflow.decide(session, actor, item_id=item_id, data=body, if_match=if_match)
    return _answer(session, item, response)


@router.post(
    "/{improvementId}/moves",
    response_model=ImprovementBacklog,
    summary="ImprovementMove an item on the backlog",
    description="Just before or just after another item, by the client's side only. If-Match "
    "names the backlog's version.",
)
def move(
    item_id: ItemId,
    body: ImprovementMove,
    session: SessionDep,
    actor: Prioritiser,
    response: Response,
    if_match: IfMatch = None,
) -> ImprovementBacklog:
    found = backlog.move(session, actor, item_id=item_id, data=body, if_match=if_match)
    return _backlog(session, found, response)


def _events(rows: list[Event]) -> ImprovementEventList:
    return ImprovementEventList(items=[ImprovementEventPublic.model_validate(r) for r in rows])


@router.get("/{improvementId}/notes", response_model=ImprovementEventList, summary="Progress notes")
def list_notes(item_id: ItemId, session: SessionDep, actor: Reader) -> ImprovementEventList:
    return _events(service.history(session, actor, item_id=item_id, kind=ImprovementEventKind.note))


@router.post(
    "/{improvementId}/notes",
    response_model=ImprovementEventPublic,
    status_code=201,
    summary="Add a note",
)
def add_note(
    item_id: ItemId,
    body: ImprovementNoteCreate,
    session: SessionDep,
    actor: Worker,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[ImprovementEventPublic, dict[str, str]]:
        event = service.add_note(session, actor, item_id=item_id, data=body)
        return ImprovementEventPublic.model_validate(event), {}

    return idem.respond(session, actor, produce)


@router.get(
    "/{improvementId}/history", response_model=ImprovementEventList, summary="An item's history"
)
def history(item_id: ItemId, session: SessionDep, actor: Reader) -> ImprovementEventList:
    return _events(service.history(session, actor, item_id=item_id))


@router.post(
    "/{improvementId}/evaluation",
    response_model=ImprovementEvaluation,
    status_code=201,
    summary="Evaluate a realised improvement",
    description="The KPI figure is computed by the KPI package for both periods (the after "
    "period must be over); the item becomes evaluated, which is the product owner's acceptance.",
)
def evaluate(
    item_id: ItemId,
    body: ImprovementEvaluationCreate,
    session: SessionDep,
    actor: Decider,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[ImprovementEvaluation, dict[str, str]]:
        row = evaluation.evaluate(session, actor, item_id=item_id, data=body)
        return ImprovementEvaluation.model_validate(row), {}

    return idem.respond(session, actor, produce)


@router.get(
    "/{improvementId}/evaluation", response_model=ImprovementEvaluation, summary="The evaluation"
)
def read_evaluation(item_id: ItemId, session: SessionDep, actor: Reader) -> ImprovementEvaluation:
    return ImprovementEvaluation.model_validate(
        evaluation.get_evaluation(session, actor, item_id=item_id)
    )
