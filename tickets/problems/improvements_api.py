"""Routes that propose an improvement from a known error in one step and list the
improvements a problem led to."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Response

from core.api.deps import SessionDep, require
from core.api.etag import etag
from core.api.idempotency import IdempotencyDep
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from services.improvement import public as improvement
from tickets.problems import improvements

router = APIRouter(prefix=API_PREFIX, tags=["problems"], route_class=ThreadedRoute)

Proposer = Annotated[Principal, require(improvement.PROPOSE)]
Reader = Annotated[Principal, require(improvement.READ)]
ProblemId = Annotated[uuid.UUID, Path(alias="problemId")]


@router.post(
    "/problems/{problemId}/improvements",
    response_model=improvement.ImprovementPublic,
    status_code=201,
    summary="Propose an improvement from a known error",
    description="The item names the problem as its source; title and description default to "
    "the problem's. 409 unless the problem is a known error.",
)
def propose_improvement(
    problem_id: ProblemId,
    body: improvement.ImprovementFromSource,
    session: SessionDep,
    actor: Proposer,
    idem: IdempotencyDep,
) -> Response:
    def produce() -> tuple[improvement.ImprovementPublic, dict[str, str]]:
        item = improvements.propose(session, actor, problem_id=problem_id, data=body)
        location = f"{API_PREFIX}/improvements/{item.id}"
        return item, {"ETag": etag(item.version), "Location": location}

    return idem.respond(session, actor, produce)


@router.get(
    "/problems/{problemId}/improvements",
    response_model=improvement.ImprovementList,
    summary="The improvements a problem led to",
)
def list_improvements(
    problem_id: ProblemId, session: SessionDep, actor: Reader
) -> improvement.ImprovementList:
    return improvement.ImprovementList(
        items=improvements.items(session, actor, problem_id=problem_id)
    )
