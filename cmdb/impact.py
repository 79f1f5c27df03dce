"""Impact analysis: which CIs a failure reaches through the current relations, with a
shortest path to each."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cmdb import repository
from cmdb.repository import Step
from cmdb.schemas import AffectedCi, ImpactDirection

DEFAULT_DEPTH, MAX_DEPTH = 5, 10
MAX_AFFECTED = 1000  # an answer larger than this is cut, nearest CIs first, and says so


def affected(
    session: Session, ci_id: uuid.UUID, *, direction: ImpactDirection, depth: int
) -> tuple[list[AffectedCi], bool]:
    """The CIs reached from `ci_id` within `depth` relations, nearest first, each with a
    shortest path; and whether the list was cut at MAX_AFFECTED. The CI itself is never in
    it, even when a cycle leads back to it."""
    steps = repository.reachable(
        session, ci_id, upward=direction == ImpactDirection.up, depth=depth
    )
    chosen = _shortest(ci_id, steps)
    paths = {ci_id: [ci_id]}
    for step in sorted(chosen.values(), key=lambda s: s.depth):
        paths[step.ci_id] = paths[step.parent_id] + [step.ci_id]
    rows = {c.id: c for c in repository.get_many(session, list(chosen))}
    found = [
        AffectedCi(
            id=c.id,
            class_id=c.class_id,
            name=c.name,
            status=c.status,
            depth=chosen[c.id].depth,
            path=paths[c.id],
            via=chosen[c.id].type,
        )
        for c in rows.values()
    ]
    found.sort(key=lambda a: (a.depth, a.name, a.id))
    return found[:MAX_AFFECTED], len(found) > MAX_AFFECTED


def _shortest(start: uuid.UUID, steps: list[Step]) -> dict[uuid.UUID, Step]:
    """Per CI reached, the step that reaches it first; ties go to the smallest parent id and
    relation type, so SQLite and PostgreSQL give the same paths."""
    best: dict[uuid.UUID, Step] = {}
    for step in steps:
        if step.ci_id == start:
            continue
        known = best.get(step.ci_id)
        mine = (step.depth, step.parent_id, step.type.value)
        if known is None or mine < (known.depth, known.parent_id, known.type.value):
            best[step.ci_id] = step
    return best
