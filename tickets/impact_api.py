"""The route of a CI's impact (see tickets/impact.py for why it lives in tickets/)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from cmdb import public as cmdb
from core.api.deps import SessionDep, require
from core.api.openapi import API_PREFIX
from core.api.threads import ThreadedRoute
from core.identity.permissions import Principal
from tickets import impact
from tickets.schemas import ImpactPublic

router = APIRouter(prefix=API_PREFIX, tags=["cmdb"], route_class=ThreadedRoute)

Reader = Annotated[Principal, require(cmdb.READ)]


@router.get(
    "/cis/{ciId}/impact",
    response_model=ImpactPublic,
    summary="What a configuration item's failure affects",
    description="`up` (default): the CIs that rest on this one, through relations pointing "
    "at it, i.e. what fails with it; `down`: the CIs it rests on. Each with a shortest path; "
    "cycles are followed no further than `depth`. Also the catalogue services standing for "
    "those CIs, their open incidents and problems, and the approved, scheduled and "
    "implementing changes naming any of those CIs or services, each with the path to the "
    "nearest one it names.",
)
def ci_impact(
    ci_id: Annotated[uuid.UUID, Path(alias="ciId")],
    session: SessionDep,
    actor: Reader,
    direction: cmdb.ImpactDirection = cmdb.ImpactDirection.up,
    depth: Annotated[int, Query(ge=1, le=cmdb.MAX_DEPTH)] = cmdb.DEFAULT_DEPTH,
) -> ImpactPublic:
    return impact.impact(session, actor, ci_id=ci_id, direction=direction, depth=depth)
