"""What SCIM provisioning says about a person: still active, and in which groups.

Access decisions read this in the person's home tenant (the one bound to their Entra
directory), so group grants work wherever the grant is held, supplier staff's included.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from core.identity.models import Grant, SubjectKind, WebSession
from core.identity.scim.models import ScimGroup, ScimMember, ScimUser
from core.types import utcnow

DEPROVISIONED = "deprovisioned"


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


def end_sessions(session: Session, user: ScimUser) -> None:
    """End the user's web sessions in this tenant at once."""
    # sessions imports access, which imports this module: resolve it when first needed.
    from core.identity import sessions

    if user.object_id is None:
        return
    live = select(WebSession).where(
        WebSession.user_tid == user.directory_id,
        WebSession.user_oid == user.object_id,
        col(WebSession.ended_at).is_(None),
    )
    for web in session.exec(live):
        sessions.end_session(session, session_id=web.id, reason=DEPROVISIONED)


def revoke_user_grants(session: Session, user: ScimUser) -> None:
    """A deleted user's own grants in this tenant are revoked, not just ignored."""
    if user.object_id is None or user.directory_id is None:
        return
    grants = session.exec(
        select(Grant).where(
            Grant.subject_kind == SubjectKind.user,
            Grant.subject_tid == user.directory_id,
            Grant.subject_oid == user.object_id,
            col(Grant.revoked_at).is_(None),
        )
    )
    now = utcnow()
    for grant in grants:
        grant.revoked_at, grant.revoked_by = now, "scim:deprovisioned"
