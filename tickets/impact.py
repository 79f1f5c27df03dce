"""A CI's impact as the service desk sees it: the CMDB's affected CIs, plus the catalogue
services and the open incidents and problems on them.

The route lives here, not in cmdb/, because the CMDB sits below tickets and services and may
not read either; tickets sits above both and asks each through its public functions. Each
list beyond the CIs is given only to a caller who may read that kind (null otherwise)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cmdb import public as cmdb
from core.identity.permissions import Principal
from services.catalogue import public as catalogue
from tickets import permissions, repository
from tickets.problems import repository as problem_repository
from tickets.problems import service as problem_service
from tickets.schemas import AffectedIncident, AffectedProblem, AffectedService, ImpactPublic


def impact(
    session: Session,
    actor: Principal,
    *,
    ci_id: uuid.UUID,
    direction: cmdb.ImpactDirection,
    depth: int,
) -> ImpactPublic:
    """What fails with the CI, and which services, open incidents and problems that touches."""
    ci, cis, cut = cmdb.affected(session, actor, ci_id=ci_id, direction=direction, depth=depth)
    ids = [ci.id] + [c.id for c in cis]
    services = incidents = problems = None
    if actor.can(catalogue.READ):
        services = [
            AffectedService.model_validate(s) for s in catalogue.services_for_cis(session, ids)
        ]
    if actor.can(permissions.READ):
        found = repository.open_incidents_on(session, ids)
        incidents = [AffectedIncident.model_validate(t) for t in found]
    if problem_service.can_read(actor):
        found_problems = problem_repository.open_on(session, ids)
        problems = [AffectedProblem.model_validate(p) for p in found_problems]
    return ImpactPublic(
        ci=ci,
        direction=direction,
        depth=depth,
        cis=cis,
        truncated=cut,
        services=services,
        incidents=incidents,
        problems=problems,
    )
