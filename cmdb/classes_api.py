"""Routes of CI classes: parse, call one operation, answer."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from cmdb import classes, permissions
from cmdb.schemas import ClassCreate, ClassPage, ClassPublic, ClassUpdate
from core.api.deps import SessionDep, require, require_any
from core.api.etag import IfMatch, etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.pagination import MAX_LIMIT
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal

router = APIRouter(prefix=API_PREFIX + "/ci-classes", tags=["cmdb"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require_any(permissions.READ, permissions.CONFIGURE)]
Configurer = Annotated[Principal, require(permissions.CONFIGURE)]
ClassId = Annotated[uuid.UUID, Path(alias="classId")]


@router.get("", response_model=ClassPage, summary="List CI classes")
def list_classes(
    session: SessionDep,
    actor: Reader,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=40, description="nextCursor of the previous page")
    ] = None,
) -> ClassPage:
    items, last = classes.list_classes(session, actor, limit=limit, after=cursor)
    return ClassPage(items=items, nextCursor=last)


@router.post("", response_model=ClassPublic, status_code=201, summary="Define a CI class")
def create_class(
    body: ClassCreate, session: SessionDep, actor: Configurer, idem: IdempotencyDep
) -> Response:
    def produce() -> tuple[ClassPublic, dict[str, str]]:
        row = classes.create_class(session, actor, data=body)
        headers = {"ETag": etag(row.version), "Location": f"{API_PREFIX}/ci-classes/{row.id}"}
        return classes.public(row), headers

    return idem.respond(session, actor, produce)


@router.get("/{classId}", response_model=ClassPublic, summary="Get a CI class")
def get_class(
    class_id: ClassId, session: SessionDep, actor: Reader, response: Response
) -> ClassPublic:
    found = classes.get_class(session, actor, class_id=class_id)
    response.headers["ETag"] = etag(found.version)
    return found


@router.patch(
    "/{classId}",
    response_model=ClassPublic,
    summary="Change a CI class",
    description="Built-in classes answer 409.",
)
def update_class(
    class_id: ClassId,
    body: ClassUpdate,
    session: SessionDep,
    actor: Configurer,
    response: Response,
    if_match: IfMatch = None,
) -> ClassPublic:
    row = classes.update_class(session, actor, class_id=class_id, changes=body, if_match=if_match)
    response.headers["ETag"] = etag(row.version)
    return classes.public(row)
