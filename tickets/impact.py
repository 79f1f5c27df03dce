"""A CI's impact as the service desk sees it: the CMDB's affected CIs, plus the catalogue
services and the open incidents and problems on them, and the scheduled changes touching
either (from changes/, through `register_change_source`).

The route lives here, not in cmdb/, because the CMDB sits below tickets and services and may
not read either; tickets sits above both and asks each through its public functions. Each
list beyond the CIs is given only to a caller who may read that kind (null otherwise)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from cmdb import public as cmdb
from cmdb.public import AffectedCi
from core.identity.permissions import Principal
from services.catalogue import public as catalogue
from tickets import permissions, repository
from tickets.problems import repository as problem_repository
from tickets.problems import service as problem_service
from tickets.schemas import (
    AffectedChange,
    AffectedIncident,
    AffectedProblem,
    AffectedService,
    ImpactPublic,
)


@dataclass(frozen=True)
class ScheduledChange:
    """A change not yet done, with those of the asked CIs and services it names."""

    id: uuid.UUID
    number: str
    title: str
    status: str
    planned_start: datetime | None
    planned_end: datetime | None
    ci_ids: list[uuid.UUID]
    service_ids: list[uuid.UUID]


# (session, actor, CI ids, service ids) -> the changes naming any, or None: may not read them.
ChangeSource = Callable[
    [Session, Principal, list[uuid.UUID], list[uuid.UUID]], list[ScheduledChange] | None
]
_CHANGE_SOURCE: list[ChangeSource] = []


def register_change_source(source: ChangeSource) -> None:
    """Tickets may not read changes: the changes domain answers which are scheduled."""
    _CHANGE_SOURCE[:] = [source]


def impact(
    session: Session,
    actor: Principal,
    *,
    ci_id: uuid.UUID,
    direction: cmdb.ImpactDirection,
    depth: int,
) -> ImpactPublic:
    """What fails with the CI, and which services, open incidents, problems and scheduled
    changes that touches."""
    ci, cis, cut = cmdb.affected(session, actor, ci_id=ci_id, direction=direction, depth=depth)
    ids = [ci.id] + [c.id for c in cis]
    services = incidents = problems = None
    on_cis = [AffectedService.model_validate(s) for s in catalogue.services_for_cis(session, ids)]
    if actor.can(catalogue.READ):
        services = on_cis
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
        changes=_changes(session, actor, ci.id, cis, on_cis),
    )


def _changes(
    session: Session,
    actor: Principal,
    start: uuid.UUID,
    cis: list[AffectedCi],
    services: list[AffectedService],
) -> list[AffectedChange] | None:
    """Each scheduled change through the nearest CI or service it names, with that CI's path."""
    if not _CHANGE_SOURCE:
        return None
    paths = {start: [start]} | {c.id: c.path for c in cis}
    ci_of = {s.id: s.ci_id for s in services}
    found = _CHANGE_SOURCE[0](session, actor, list(paths), list(ci_of))
    if found is None:
        return None
    out = []
    for change in found:
        touches = [(paths[c], c, None) for c in change.ci_ids] + [
            (paths[ci_of[s]], ci_of[s], s) for s in change.service_ids
        ]
        path, ci_id, service_id = min(touches, key=lambda t: (len(t[0]), str(t[1]), str(t[2])))
        out.append(
            AffectedChange(
                id=change.id,
                number=change.number,
                title=change.title,
                status=change.status,
                planned_start=change.planned_start,
                planned_end=change.planned_end,
                ci_id=ci_id,
                service_id=service_id,
                path=path,
            )
        )
    out.sort(key=lambda a: (len(a.path), a.planned_start is None, a.planned_start, a.number))
    return out
