"""Server-side web sessions: the browser holds only an opaque cookie, never a token.

The cookie reads `<tenant hex>.<session hex>.<secret>` so the lookup runs inside the tenant's
row-level-security scope. A session ends after the tenant's idle time, at its absolute limit,
at sign-out, or when the user or an administrator ends it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from core import events
from core.db import unit_of_work
from core.errors import Forbidden, NotFound
from core.identity.access import principal_for
from core.identity.events import SessionChanged
from core.identity.models import WebSession
from core.identity.permissions import Principal, declare
from core.tenancy import Tenant, TenantStatus
from core.types import utcnow

COOKIE = "__Host-regie-session"
MANAGE = declare("identity.sessions:manage", "List and end other users' sessions")
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(session: Session, tenant: Tenant, **fields: Any) -> tuple[WebSession, str]:
    """Start a session in the session's tenant; returns the row and the cookie value."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    web = WebSession(
        secret_hash=_digest(secret),
        csrf_token=secrets.token_urlsafe(32),
        expires_at=now + timedelta(minutes=tenant.session_absolute_minutes),
        created_at=now,
        last_seen_at=now,
        **fields,
    )
    session.add(web)
    session.flush()
    _announce(session, web, "signed-in")
    return web, f"{tenant.id.hex}.{web.id.hex}.{secret}"


def _announce(session: Session, web: WebSession, change: str) -> None:
    events.publish(
        SessionChanged(
            session=session,
            tenant_id=web.tenant_id,
            session_id=web.id,
            user_tid=web.user_tid,
            user_oid=web.user_oid,
            change=change,
            reason=web.ended_reason,
        )
    )


def resolve(cookie: str) -> tuple[WebSession, Principal] | None:
    """The live session behind a cookie and who it acts as; None when absent or ended."""
    try:
        tenant_hex, session_hex, secret = cookie.split(".", 2)
        tenant_id, session_id = uuid.UUID(hex=tenant_hex), uuid.UUID(hex=session_hex)
    except ValueError:
        return None
    with unit_of_work(tenant_id) as session:
        tenant = session.exec(select(Tenant).where(Tenant.id == tenant_id)).first()
        web = session.exec(select(WebSession).where(WebSession.id == session_id)).first()
        if tenant is None or web is None or not _alive(session, tenant, web, secret):
            return None
        now = utcnow()
        if now - web.last_seen_at > _TOUCH_EVERY:
            web.last_seen_at = now
    principal = principal_for(
        tenant,
        home=tenant,
        tid=web.user_tid,
        oid=web.user_oid,
        app_roles=frozenset(web.app_roles),
        kind="user",
    )
    return web, principal


def _alive(session: Session, tenant: Tenant, web: WebSession, secret: str) -> bool:
    if not hmac.compare_digest(web.secret_hash, _digest(secret)):
        return False
    if web.ended_at is not None or tenant.status != TenantStatus.active:
        return False
    now = utcnow()
    idle_limit = web.last_seen_at + timedelta(minutes=tenant.session_idle_minutes)
    if now >= web.expires_at or now >= idle_limit:
        web.ended_at, web.ended_reason = now, "expired"
        _announce(session, web, "expired")
        return False
    return True


def end_session(session: Session, *, session_id: uuid.UUID, reason: str) -> WebSession:
    """End a web session now (sign-out or revocation) and announce it to the audit log."""
    web = session.exec(select(WebSession).where(WebSession.id == session_id)).first()
    if web is None:
        raise NotFound("No such session.")
    if web.ended_at is None:
        web.ended_at, web.ended_reason = utcnow(), reason
        _announce(session, web, "signed-out" if reason == "signed out" else "ended")
    return web


def sessions_of(session: Session, *, tid: uuid.UUID | None, oid: uuid.UUID) -> list[WebSession]:
    """A user's live sessions, newest first."""
    stmt = select(WebSession).where(
        WebSession.user_tid == tid,
        WebSession.user_oid == oid,
        col(WebSession.ended_at).is_(None),
        WebSession.expires_at > utcnow(),
    )
    return list(session.exec(stmt.order_by(col(WebSession.created_at).desc())))


def list_user_sessions(
    session: Session, actor: Principal, *, tid: uuid.UUID | None, oid: uuid.UUID
) -> list[WebSession]:
    """For an administrator: a user's live sessions in this tenant."""
    actor.require(MANAGE)
    return sessions_of(session, tid=tid, oid=oid)


def end_as_admin(session: Session, actor: Principal, *, session_id: uuid.UUID) -> WebSession:
    """For an administrator: end any session in this tenant, at once."""
    actor.require(MANAGE)
    return end_session(session, session_id=session_id, reason=f"ended by {actor.label}")


def check_csrf(web: WebSession, submitted: str) -> None:
    """Every form post carries the session's CSRF token; a cross-site post cannot know it."""
    if not hmac.compare_digest(web.csrf_token, submitted or ""):
        raise Forbidden("The form is out of date or did not come from Regie; reload and retry.")
