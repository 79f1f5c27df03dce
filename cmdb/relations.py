"""Relations between CIs: added and removed, never edited, each end a CI of the tenant.
Never commits."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cmdb import permissions, repository
from cmdb.errors import DuplicateRelation, RelationNotFound
from cmdb.models import CiRelation
from cmdb.schemas import RelationCreate, RelationEnd
from cmdb.service import require_read
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow


def add_relation(session: Session, actor: Principal, *, data: RelationCreate) -> CiRelation:
    """Relate two CIs of the tenant; the same current relation twice is a conflict."""
    actor.require(permissions.WRITE)
    _check_ends(session, data)
    taken = f"{data.source_id} already {data.type.value} {data.target_id}."
    if repository.current_relation(session, data.source_id, data.target_id, data.type):
        raise DuplicateRelation(taken)
    relation = CiRelation(
        source_id=data.source_id,
        target_id=data.target_id,
        type=data.type,
        created_by=actor.label,
        created_by_name=actor.name,
    )
    if not repository.add_unique(session, relation):
        raise DuplicateRelation(taken)
    return relation


def _check_ends(session: Session, data: RelationCreate) -> None:
    """400 naming each end that is no CI of this tenant (another tenant's CI and one that
    does not exist get the same answer), or the self-relation."""
    unknown = [
        (name, pointer)
        for name, pointer, ci_id in (
            ("sourceId", "/sourceId", data.source_id),
            ("targetId", "/targetId", data.target_id),
        )
        if repository.get(session, ci_id) is None
    ]
    if unknown:
        raise InvalidInput(
            "A relation joins configuration items of this organisation only.",
            invalidParams=[
                {"name": n, "pointer": p, "reason": "unknown configuration item"}
                for n, p in unknown
            ],
        )
    if data.source_id == data.target_id:
        raise InvalidInput(
            "A configuration item cannot be related to itself.",
            invalidParams=[
                {"name": "targetId", "pointer": "/targetId", "reason": "the same as sourceId"}
            ],
        )


def get_relation(session: Session, actor: Principal, *, relation_id: uuid.UUID) -> CiRelation:
    """The relation, current or removed, or RelationNotFound (also for another tenant's)."""
    require_read(actor)
    relation = repository.get_relation(session, relation_id)
    if relation is None:
        raise RelationNotFound(f"No relation with id {relation_id}.")
    return relation


def remove_relation(session: Session, actor: Principal, *, relation_id: uuid.UUID) -> None:
    """End a current relation; it stays as history from its creation until now."""
    actor.require(permissions.WRITE)
    relation = repository.get_relation(session, relation_id, for_update=True)
    if relation is None or relation.removed_at is not None:
        raise RelationNotFound(f"No current relation with id {relation_id}.")
    relation.removed_at = utcnow()
    relation.removed_by, relation.removed_by_name = actor.label, actor.name
    session.flush()


def ends(ci_id: uuid.UUID, relations: list[CiRelation]) -> list[RelationEnd]:
    """The relations as seen from the CI: the other end and which way each points."""
    return [
        RelationEnd(
            id=r.id,
            type=r.type,
            direction="outgoing" if r.source_id == ci_id else "incoming",
            ci_id=r.target_id if r.source_id == ci_id else r.source_id,
            created_at=r.created_at,
        )
        for r in relations
    ]
