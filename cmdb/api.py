"""Routes of configuration items and their relations: parse, call one operation, answer.
(A CI's impact is answered by tickets/, which may add the incidents and problems it hits.)"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from cmdb import history, permissions, relations, service
from cmdb.models import CiStatus
from cmdb.repository import Filters
from cmdb.schemas import (
    CiCreate,
    CiDetail,
    CiPage,
    CiPublic,
    CiUpdate,
    HistoryList,
    RelationCreate,
    RelationPublic,
)
from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT, decode_cursor, encode_cursor
from core.api.schemas import QueryAwareDateTime
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX, tags=["cmdb"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.WRITE)]
Writer = Annotated[Principal, require(permissions.WRITE)]
CiId = Annotated[uuid.UUID, Path(alias="ciId")]
RelationId = Annotated[uuid.UUID, Path(alias="relationId")]


def _filters(
    class_id: Annotated[uuid.UUID | None, Query(alias="classId")] = None,
    status: Annotated[list[CiStatus] | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Case-insensitive text in the name"),
    ] = None,
) -> Filters:
    return Filters(class_id=class_id, status=status, text=q)


@router.get("/cis", response_model=CiPage, summary="List configuration items")
def list_cis(
    session: SessionDep,
    actor: Reader,
    filters: Annotated[Filters, Depends(_filters)],
    sort: str = Query(
        "name",
        pattern=r"^-?(name|naturalKey|createdAt)$",
        description="Sort key; prefix - for descending",
    ),
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> CiPage:
    after = decode_cursor(cursor) if cursor else None
    rows, last = service.list_cis(session, actor, filters, sort=sort, limit=limit, after=after)
    items = [CiPublic.model_validate(r) for r in rows]
    return CiPage(items=items, nextCursor=encode_cursor(last) if last else None)


@router.post(
    "/cis", response_model=CiPublic, status_code=201, summary="Record a configuration item"
)
def create_ci(body: CiCreate, session: SessionDep, actor: Writer, idem: IdempotencyDep) -> Response:
    def produce() -> tuple[CiPublic, dict[str, str]]:
        ci = service.create_ci(session, actor, data=body)
        headers = {"ETag": etag(ci.version), "Location": f"{API_PREFIX}/cis/{ci.id}"}
        return CiPublic.model_validate(ci), headers

    return idem.respond(session, actor, produce)


@router.get(
    "/cis/{ciId}", response_model=CiDetail, summary="Get a configuration item and its relations"
)
def get_ci(
    ci_id: CiId,
    session: SessionDep,
    actor: Reader,
    response: Response,
    at: Annotated[
        QueryAwareDateTime | None,
        Query(description="The state at this moment (404 before the CI existed)"),
    ] = None,
) -> CiDetail:
    ci, shown = history.detail(session, actor, ci_id=ci_id, at=at)
    if at is None:
        response.headers["ETag"] = etag(ci.version)
    return shown


@router.patch("/cis/{ciId}", response_model=CiPublic, summary="Change a configuration item")
def update_ci(
    ci_id: CiId,
    body: CiUpdate,
    session: SessionDep,
    actor: Writer,
    response: Response,
    if_match: IfMatch = None,
) -> CiPublic:
    ci = service.update_ci(session, actor, ci_id=ci_id, changes=body, if_match=if_match)
    response.headers["ETag"] = etag(ci.version)
    return CiPublic.model_validate(ci)


@router.get(
    "/cis/{ciId}/history", response_model=HistoryList, summary="A configuration item's history"
)
def ci_history(ci_id: CiId, session: SessionDep, actor: Reader) -> HistoryList:
    return HistoryList(items=history.history(session, actor, ci_id=ci_id))


@router.post(
    "/ci-relations", response_model=RelationPublic, status_code=201, summary="Relate two CIs"
)
def add_relation(
    body: RelationCreate, session: SessionDep, actor: Writer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[RelationPublic, dict[str, str]]:
        relation = relations.add_relation(session, actor, data=body)
        headers = {"Location": f"{API_PREFIX}/ci-relations/{relation.id}"}
        return RelationPublic.model_validate(relation), headers

    return idem.respond(session, actor, produce)


@router.get("/ci-relations/{relationId}", response_model=RelationPublic, summary="Get a relation")
def get_relation(relation_id: RelationId, session: SessionDep, actor: Reader) -> RelationPublic:
    return RelationPublic.model_validate(
        relations.get_relation(session, actor, relation_id=relation_id)
    )


@router.delete(
    "/ci-relations/{relationId}",
    status_code=204,
    summary="Remove a relation",
    description="It stays in the history of both CIs.",
)
def remove_relation(relation_id: RelationId, session: SessionDep, actor: Writer) -> Response:
    relations.remove_relation(session, actor, relation_id=relation_id)
    return Response(status_code=204)
