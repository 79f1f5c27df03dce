"""Business operations on CI classes: the built-ins every tenant sees and the tenant's own.
Never commits."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from cmdb import builtin, permissions, repository
from cmdb.attributes import AttributeDefinition
from cmdb.errors import BuiltinClassFixed, ClassNotFound, DuplicateClassKey
from cmdb.models import CiClass
from cmdb.schemas import ClassCreate, ClassPublic, ClassUpdate
from core.api.etag import check_if_match
from core.errors import Conflict, InvalidInput, refuse_nulls
from core.identity.permissions import Principal
from core.types import utcnow


def public(found: CiClass | builtin.BuiltinClass) -> ClassPublic:
    """The one shape of a class, whether held in code or defined by the tenant."""
    if isinstance(found, builtin.BuiltinClass):
        return ClassPublic(
            id=found.id,
            key=found.key,
            name=found.name,
            description=found.description,
            builtin=True,
            attributes=found.attributes,
            version=1,
            created_at=builtin.SINCE,
            updated_at=builtin.SINCE,
        )
    return ClassPublic(
        id=found.id,
        key=found.key,
        name=found.name,
        description=found.description,
        builtin=False,
        attributes=[AttributeDefinition.model_validate(a) for a in found.attributes],
        version=found.version,
        created_at=found.created_at,
        updated_at=found.updated_at,
    )


def find(session: Session, class_id: uuid.UUID) -> ClassPublic | None:
    """The built-in or the session tenant's class with this id, or None."""
    if class_id in builtin.BY_ID:
        return public(builtin.BY_ID[class_id])
    row = repository.get_class(session, class_id)
    return public(row) if row is not None else None


def _require_read(actor: Principal) -> None:
    if not any(actor.can(p) for p in (permissions.READ, permissions.CONFIGURE)):
        actor.require(permissions.READ)


def get_class(session: Session, actor: Principal, *, class_id: uuid.UUID) -> ClassPublic:
    """The class, or ClassNotFound (also for another tenant's class)."""
    _require_read(actor)
    found = find(session, class_id)
    if found is None:
        raise ClassNotFound(f"No configuration item class with id {class_id}.")
    return found


def list_classes(
    session: Session, actor: Principal, *, limit: int, after: str | None
) -> tuple[list[ClassPublic], str | None]:
    """One page of built-in and own classes by key, and the key to continue after."""
    _require_read(actor)
    every = [public(b) for b in builtin.BUILTINS] + [public(c) for c in repository.classes(session)]
    rest = sorted((c for c in every if after is None or c.key > after), key=lambda c: c.key)
    page = rest[:limit]
    return page, page[-1].key if len(rest) > limit else None


def create_class(session: Session, actor: Principal, *, data: ClassCreate) -> CiClass:
    """Add a class of the tenant's own; its key is unique and never a built-in's."""
    actor.require(permissions.CONFIGURE)
    if data.key in builtin.KEYS or repository.class_key_taken(session, data.key):
        raise DuplicateClassKey(f"The key {data.key} is already used by another class.")
    if len(repository.classes(session)) >= repository.MAX_CLASSES:
        raise Conflict(f"An organisation has at most {repository.MAX_CLASSES} classes.")
    _check_references(session, data.attributes)
    row = CiClass(
        key=data.key,
        name=data.name,
        description=data.description,
        attributes=_stored(data.attributes),
    )
    if not repository.add_unique(session, row):
        raise DuplicateClassKey(f"The key {data.key} is already used by another class.")
    return row


def update_class(
    session: Session,
    actor: Principal,
    *,
    class_id: uuid.UUID,
    changes: ClassUpdate,
    if_match: str | None,
) -> CiClass:
    """Apply the given fields, only if `if_match` names the version now stored."""
    actor.require(permissions.CONFIGURE)
    if class_id in builtin.BY_ID:
        raise BuiltinClassFixed("Built-in classes are the same for everyone; define your own.")
    row = repository.get_class(session, class_id)
    if row is None:
        raise ClassNotFound(f"No configuration item class with id {class_id}.")
    given: dict[str, Any] = changes.model_dump(exclude_unset=True)
    refuse_nulls(given, ("name", "description", "attributes"))
    check_if_match(if_match, row.version)
    if changes.attributes is not None:
        _check_references(session, changes.attributes)
        given["attributes"] = _stored(changes.attributes)
    for field, value in given.items():
        setattr(row, field, value)
    if session.is_modified(row):
        row.updated_at = utcnow()
        session.flush()
    return row


def _stored(attributes: list[AttributeDefinition]) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True, exclude_none=True) for a in attributes]


def _check_references(session: Session, attributes: list[AttributeDefinition]) -> None:
    """A reference attribute may only demand a class this tenant can see."""
    bad = [
        i
        for i, a in enumerate(attributes)
        if a.reference_class_id is not None and find(session, a.reference_class_id) is None
    ]
    if bad:
        raise InvalidInput(
            "A reference names a class this organisation does not have.",
            invalidParams=[
                {
                    "name": f"attributes[{i}].referenceClassId",
                    "pointer": f"/attributes/{i}/referenceClassId",
                    "reason": "unknown class",
                }
                for i in bad
            ],
        )
