"""What SCIM provisioning says about a person: still active, and in which groups.

Access decisions read this in the person's home tenant (the one bound to their Entra
directory), so group grants work wherever the grant is held, supplier staff's included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.identity.scim.models import ScimGroup, ScimMember, ScimUser


@dataclass(frozen=True)
class Standing:
    active: bool = True
    groups: frozenset[uuid.UUID] = field(default_factory=frozenset)


def standing(session: Session, *, tid: uuid.UUID, oid: uuid.UUID) -> Standing:
    """A user never provisioned is active in no group; a deactivated one is not active."""
    user = session.exec(
        select(ScimUser).where(ScimUser.directory_id == tid, ScimUser.object_id == oid)
    ).first()
    if user is None:
        return Standing()
    if not user.active:
        return Standing(active=False)
    stmt = (
        select(ScimGroup.object_id)
        .join(ScimMember, col(ScimMember.group_id) == col(ScimGroup.id))
        .where(ScimMember.user_id == user.id, col(ScimGroup.object_id).is_not(None))
    )
    return Standing(groups=frozenset(oid for oid in session.exec(stmt) if oid is not None))
