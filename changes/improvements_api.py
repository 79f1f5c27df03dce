"""Routes that raise an improvement from a change's review in one step, list the
improvements a change's review led to, and name the improvement a change realises."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from changes import improvements, permissions
from changes.schemas import Realisation
from core.api.deps import SessionDep, require
from core.api.etag import etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.improvement import public as improvement

router = APIRouter(prefix=API_PREFIX, tags=["changes"], route_class=ThreadedRoute)

Proposer = Annotated[Principal, require(improvement.PROPOSE)]
Reader = Annotated[Principal, require(improvement.READ)]
Writer = Annotated[Principal, require(permissions.WRITE)]
ChangeId = Annotated[uuid.UUID, Path(alias="changeId")]


@router.post(
    "/changes/{changeId}/improvements",
    response_model=improvement.ImprovementPublic,
    status_code=201,
    summary="Raise an improvement from a change's post-implementation review",
    description="The item names the change as the source of its review; the title defaults to "
    "the change's number and title, the description to the review's lessons. 404 while the "
    "change has no review.",
)
def propose_improvement(
    change_id: ChangeId,
    body: improvement.ImprovementFromSource,
    session: SessionDep,
    actor: Proposer,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[improvement.ImprovementPublic, dict[str, str]]:
        item = improvements.propose(session, actor, change_id=change_id, data=body)
        location = f"{API_PREFIX}/improvements/{item.id}"
        return item, {"ETag": etag(item.version), "Location": location}

    return idem.respond(session, actor, produce)


@router.get(
    "/changes/{changeId}/improvements",
    response_model=improvement.ImprovementList,
    summary="The improvements a change's review led to",
)
def list_improvements(
    change_id: ChangeId, session: SessionDep, actor: Reader
) -> improvement.ImprovementList:
    return improvement.ImprovementList(
        items=improvements.items(session, actor, change_id=change_id)
    )


@router.post(
    "/changes/{changeId}/realises",
    response_model=improvement.ImprovementPublic,
    summary="Name the improvement a change realises",
    description="The item lists the change among its changeIds (once: naming it again changes "
    "nothing). 400 when the improvement is not the tenant's, 409 when it is closed.",
)
def realise(
    change_id: ChangeId, body: Realisation, session: SessionDep, actor: Writer
) -> improvement.ImprovementPublic:
    return improvements.realise(
        session, actor, change_id=change_id, improvement_id=body.improvement_id
    )
