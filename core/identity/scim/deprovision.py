"""What deprovisioning in the directory does here: the person's sessions end and their own
grants are revoked, in the same transaction as the SCIM change."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.identity import sessions
from core.identity.models import Grant, SubjectKind, WebSession
from core.identity.scim.models import ScimUser
from core.types import utcnow

DEPROVISIONED = "deprovisioned"


def end_sessions(session: Session, user: ScimUser) -> None:
    """End the user's web sessions in this tenant at once."""
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
