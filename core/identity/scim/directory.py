"""What SCIM provisioning says about a person: still active, and in which groups.

Access decisions read this in the person's home tenant (the one bound to their Entra
directory), so group grants work wherever the grant is held, supplier staff's included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import and_, bindparam
from sqlalchemy import select as select_columns
from sqlmodel import Session

from core.db import session_tenant
from core.identity.scim.models import ScimGroup, ScimMember, ScimUser


@dataclass(frozen=True)
class Standing:
    active: bool = True
    groups: frozenset[uuid.UUID] = field(default_factory=frozenset)


_users = ScimUser.__table__  # type: ignore[attr-defined]
_user = _users.c
_members = ScimMember.__table__  # type: ignore[attr-defined]
_member = _members.c
_group = ScimGroup.__table__.c  # type: ignore[attr-defined]
# Read on every request signed in with a token: built once, on the tables, the tenant named
# (row-level security holds it too on PostgreSQL), without the ORM's per-statement work.
# PERSON is the person a token names (bound parameters tenant, tid, oid): here for their
# standing, and in core.identity.grants with their grants in one statement.
PERSON = and_(
    _user.tenant_id == bindparam("tenant"),
    _user.directory_id == bindparam("tid"),
    _user.object_id == bindparam("oid"),
)
ACTIVE = _user.active
# The object ids of the groups of that person while SCIM keeps them active.
PERSON_GROUPS = (
    select_columns(_group.object_id)
    .join(_members, and_(_member.tenant_id == _group.tenant_id, _member.group_id == _group.id))
    .join(_users, and_(_user.tenant_id == _member.tenant_id, _user.id == _member.user_id))
    .where(_group.tenant_id == bindparam("tenant"), PERSON, ACTIVE.is_(True))
    .where(_group.object_id.is_not(None))
)
_USER = select_columns(_user.id, ACTIVE).where(PERSON)
_GROUPS = (
    select_columns(_group.object_id)
    .join(_members, and_(_member.tenant_id == _group.tenant_id, _member.group_id == _group.id))
    .where(
        _group.tenant_id == bindparam("tenant"),
        _member.user_id == bindparam("user"),
        _group.object_id.is_not(None),
    )
)


def standing(session: Session, *, tid: uuid.UUID, oid: uuid.UUID) -> Standing:
    """A user never provisioned is active in no group; a deactivated one is not active."""
    tenant = session_tenant(session)
    user = session.execute(_USER, {"tenant": tenant, "tid": tid, "oid": oid}).first()
    if user is None:
        return Standing()
    if not user.active:
        return Standing(active=False)
    groups = session.execute(_GROUPS, {"tenant": tenant, "user": user.id}).scalars()
    return Standing(groups=frozenset(groups))
