"""What the domains above may ask of the CMDB: whether a CI id is the tenant's, and what a
CI's failure reaches (the tickets and services it touches are theirs to add)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlmodel import Session

from cmdb import impact, permissions, repository, service
from cmdb.schemas import AffectedCi, CiPublic, ImpactDirection
from core.errors import InvalidInput
from core.identity.permissions import Principal

READ = permissions.READ
DEFAULT_DEPTH, MAX_DEPTH = impact.DEFAULT_DEPTH, impact.MAX_DEPTH

__all__ = [
    "DEFAULT_DEPTH",
    "MAX_DEPTH",
    "READ",
    "AffectedCi",
    "CiPublic",
    "ImpactDirection",
    "affected",
    "check_ci",
    "ci_exists",
    "cis",
    "paths_between",
    "related",
]


def ci_exists(session: Session, ci_id: uuid.UUID) -> bool:
    """Whether the id names a CI of the session's tenant, so that nothing above points at
    another client's CI (the session scopes the look-up to its tenant)."""
    return repository.get(session, ci_id) is not None


def cis(session: Session, ci_ids: Iterable[uuid.UUID]) -> list[CiPublic]:
    """The session tenant's CIs among these ids (others are left out), for reports above
    that need their names and attributes."""
    return [CiPublic.model_validate(ci) for ci in repository.get_many(session, sorted(set(ci_ids)))]


def check_ci(session: Session, ci_id: uuid.UUID | None, *, name: str = "ciId") -> None:
    """400 naming the field when `ci_id` names no CI of the session's tenant; another
    tenant's CI and one that does not exist get the same answer, so the caller learns nothing."""
    if ci_id is None or ci_exists(session, ci_id):
        return
    raise InvalidInput(
        "The configuration item is not in this organisation's CMDB.",
        invalidParams=[
            {"name": name, "pointer": f"/{name}", "reason": "unknown configuration item"}
        ],
    )


def affected(
    session: Session,
    actor: Principal,
    *,
    ci_id: uuid.UUID,
    direction: ImpactDirection,
    depth: int,
) -> tuple[CiPublic, list[AffectedCi], bool]:
    """The CI (404 unless the actor may read it), the CIs its failure reaches with a path to
    each, and whether that list was cut."""
    ci = service.get_ci(session, actor, ci_id=ci_id)
    found, cut = impact.affected(session, ci_id, direction=direction, depth=depth)
    return CiPublic.model_validate(ci), found, cut


def related(
    session: Session,
    ci_ids: Iterable[uuid.UUID],
    *,
    depth: int,
    directions: Iterable[ImpactDirection] = (ImpactDirection.up, ImpactDirection.down),
) -> dict[uuid.UUID, set[uuid.UUID]]:
    """Per given CI, the tenant's CIs that rest on it (up) or that it rests on (down) within
    `depth` current relations, walked for all of them at once: what a change on it touches."""
    found: dict[uuid.UUID, set[uuid.UUID]] = {ci: set() for ci in ci_ids}
    upward = {direction == ImpactDirection.up for direction in directions}
    pairs = repository.reached_from(session, list(found), upward=upward, depth=depth)
    for reached in pairs.values():
        for origin, ci in reached:
            found[uuid.UUID(int=origin)].add(uuid.UUID(int=ci))
    return found


def paths_between(
    session: Session, ci_ids: Iterable[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Each (a, b) of `ci_ids` where b is what a rests on, or what that rests on: whether two
    changes on these CIs collide, without walking every relation around them."""
    return repository.paths_between(session, ci_ids)
