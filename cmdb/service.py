"""Business operations on configuration items: record, read, list, change. Every write is
checked against the CI's class and leaves a version row. Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from cmdb import classes, permissions, repository
from cmdb.attributes import invalid_values
from cmdb.errors import CiNotFound, DuplicateNaturalKey
from cmdb.models import Ci, CiVersion, VersionAction
from cmdb.schemas import CiCreate, CiUpdate, ClassPublic
from core.api.etag import check_if_match
from core.api.pagination import split_page
from core.errors import InvalidInput, refuse_nulls
from core.identity.permissions import Principal
from core.types import utcnow


def require_read(actor: Principal) -> None:
    """Reading the CMDB: readers, and those who write it."""
    if not any(actor.can(p) for p in (permissions.READ, permissions.WRITE)):
        actor.require(permissions.READ)


def get_ci(session: Session, actor: Principal, *, ci_id: uuid.UUID, for_update: bool = False) -> Ci:
    """The CI, or CiNotFound (also for another tenant's id)."""
    require_read(actor)
    ci = repository.get(session, ci_id, for_update=for_update)
    if ci is None:
        raise CiNotFound(f"No configuration item with id {ci_id}.")
    return ci


def list_cis(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Ci], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    require_read(actor)
    rows = repository.page(session, filters, sort=sort, limit=limit + 1, after=after)
    return split_page(rows, limit, lambda ci: repository.cursor_values(ci, sort))


def create_ci(session: Session, actor: Principal, *, data: CiCreate) -> Ci:
    """Record a CI whose attributes its class allows, under a natural key new to the class."""
    actor.require(permissions.WRITE)
    found = classes.find(session, data.class_id)
    if found is None:
        raise InvalidInput(
            "The class is not one of this organisation's classes.",
            invalidParams=[{"name": "classId", "pointer": "/classId", "reason": "unknown class"}],
        )
    attributes = _without_nulls(data.attributes)
    check_attributes(session, found, attributes)
    if repository.natural_key_taken(session, data.class_id, data.natural_key):
        raise DuplicateNaturalKey(f"The class already has a CI with key {data.natural_key}.")
    ci = Ci(**data.model_dump(exclude={"attributes"}), attributes=attributes)
    if not repository.add_unique(session, ci):
        raise DuplicateNaturalKey(f"The class already has a CI with key {data.natural_key}.")
    _record(session, actor, ci, VersionAction.created)
    return ci


def update_ci(
    session: Session,
    actor: Principal,
    *,
    ci_id: uuid.UUID,
    changes: CiUpdate,
    if_match: str | None,
) -> Ci:
    """Apply the given fields, only if `if_match` names the version now stored; the result
    must satisfy the class as it is now."""
    actor.require(permissions.WRITE)
    ci = get_ci(session, actor, ci_id=ci_id, for_update=True)
    given = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, ("name", "natural_key", "status", "attributes"))
    if "attributes" in given:
        given["attributes"] = _without_nulls({**ci.attributes, **given["attributes"]})
        found = classes.find(session, ci.class_id)
        assert found is not None, "a CI's class is never removed"
        check_attributes(session, found, given["attributes"])
    check_if_match(if_match, ci.version)
    key = given.get("natural_key")
    if key and repository.natural_key_taken(session, ci.class_id, key, besides=ci.id):
        raise DuplicateNaturalKey(f"The class already has a CI with natural key {key}.")
    for field, value in given.items():
        setattr(ci, field, value)
    if session.is_modified(ci):
        ci.updated_at = utcnow()
        session.flush()
        _record(session, actor, ci, VersionAction.updated)
    return ci


def check_attributes(session: Session, found: ClassPublic, values: dict[str, Any]) -> None:
    """400 naming every attribute value the class does not allow."""

    def refers(ci_id: uuid.UUID, class_id: uuid.UUID | None) -> bool:
        other = repository.get(session, ci_id)
        return other is not None and (class_id is None or other.class_id == class_id)

    problems = invalid_values(found.attributes, values, refers)
    if problems:
        names = ", ".join(p["name"] for p in problems)
        raise InvalidInput(f"Attributes the class does not allow: {names}.", invalidParams=problems)


def _without_nulls(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _record(session: Session, actor: Principal, ci: Ci, action: VersionAction) -> None:
    """Keep the CI's whole state after this write as its next version row."""
    session.add(version_row(ci, action, actor_label=actor.label, actor_name=actor.name))
    session.flush()


def version_row(ci: Ci, action: VersionAction, *, actor_label: str, actor_name: str) -> CiVersion:
    """The CI's state after a write as a version row: one shape for a request and an import."""
    return CiVersion(
        ci_id=ci.id,
        version=ci.version,
        action=action,
        at=ci.updated_at,
        actor=actor_label,
        actor_name=actor_name,
        class_id=ci.class_id,
        name=ci.name,
        natural_key=ci.natural_key,
        status=ci.status,
        attributes=dict(ci.attributes),
        owner=ci.owner,
    )
