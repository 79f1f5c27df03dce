"""A CI's history: its version rows and its relations' changes, and its state at a moment."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from cmdb import repository
from cmdb.errors import CiNotFound
from cmdb.models import Ci, CiRelation, CiVersion
from cmdb.relations import ends
from cmdb.schemas import CiDetail, CiPublic, HistoryEntry, HistoryKind, RelationPublic
from cmdb.service import get_ci
from core.identity.permissions import Principal


def detail(
    session: Session, actor: Principal, *, ci_id: uuid.UUID, at: datetime | None = None
) -> tuple[Ci, CiDetail]:
    """The CI with its relations now, or as they stood at `at` (404 before it existed)."""
    ci = get_ci(session, actor, ci_id=ci_id)
    if at is None:
        current = CiPublic.model_validate(ci).model_dump()
        relations = ends(ci.id, repository.relations_of(session, ci.id))
        return ci, CiDetail(**current, relations=relations)
    version = repository.version_at(session, ci_id, at)
    if version is None:
        raise CiNotFound(f"The configuration item {ci_id} did not exist at {at.isoformat()}.")
    state = _state(ci, version).model_dump()
    then = ends(ci.id, repository.relations_of(session, ci.id, at=at))
    return ci, CiDetail(**state, relations=then, at=at)


def _state(ci: Ci, version: CiVersion) -> CiPublic:
    return CiPublic(
        id=ci.id,
        class_id=version.class_id,
        name=version.name,
        natural_key=version.natural_key,
        status=version.status,
        attributes=version.attributes,
        owner=version.owner,
        version=version.version,
        created_at=ci.created_at,
        updated_at=version.at,
    )


def history(session: Session, actor: Principal, *, ci_id: uuid.UUID) -> list[HistoryEntry]:
    """Every write of the CI and of its relations, oldest first."""
    ci = get_ci(session, actor, ci_id=ci_id)
    entries = [
        HistoryEntry(
            at=v.at,
            kind=HistoryKind(v.action.value),
            actor=v.actor,
            actor_name=v.actor_name,
            version=v.version,
            state=_state(ci, v),
        )
        for v in repository.versions(session, ci_id)
    ]
    for relation in repository.relations_of(session, ci_id, every=True):
        entries.extend(_relation_entries(relation))
    return sorted(entries, key=lambda e: e.at)


def _relation_entries(relation: CiRelation) -> list[HistoryEntry]:
    shown = RelationPublic.model_validate(relation)
    added = HistoryEntry(
        at=relation.created_at,
        kind=HistoryKind.relation_added,
        actor=relation.created_by,
        actor_name=relation.created_by_name,
        relation=shown,
    )
    if relation.removed_at is None:
        return [added]
    removed = HistoryEntry(
        at=relation.removed_at,
        kind=HistoryKind.relation_removed,
        actor=relation.removed_by or "",
        actor_name=relation.removed_by_name or "",
        relation=shown,
    )
    return [added, removed]
