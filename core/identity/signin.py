"""Web sign-in through the tenant's Entra ID: authorization code with PKCE, state and nonce.

State, nonce and the PKCE verifier stay server-side (one row per attempt, used once); the
browser gets only a session cookie. Sign-out ends the session here and at the provider
(RP-initiated logout).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlencode

import structlog
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import select

from core import events
from core.db import unit_of_work
from core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from core.identity import sessions, tokens
from core.identity.access import tenant_by_slug
from core.identity.events import CredentialRefused
from core.identity.models import LoginAttempt
from core.settings import get_settings
from core.tenancy import Tenant, TenantStatus
from core.types import utcnow

log = structlog.get_logger("regie.signin")
router = APIRouter(include_in_schema=False)
ATTEMPT_LIFETIME = timedelta(minutes=10)
Slug = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


def _client() -> OAuth2Client:
    s = get_settings()
    secret = s.oidc_client_secret.get_secret_value() if s.oidc_client_secret else None
    return OAuth2Client(
        client_id=s.oidc_client_id,
        client_secret=secret,
        scope="openid profile",
        redirect_uri=f"{s.public_url}/auth/callback",
        code_challenge_method="S256",
        timeout=10.0,
    )


def _issuer(tenant: Tenant) -> str:
    if tenant.entra_tenant_id is None:
        raise NotFound("This organisation has no sign-in configured.")
    return tokens.issuer_for(get_settings().entra_authority, tenant.entra_tenant_id)


@router.get("/sign-in")
def sign_in(tenant: Slug) -> Response:
    """Send the browser to the organisation's own Entra ID."""
    found = tenant_by_slug(tenant)
    if found is None or found.status != TenantStatus.active:
        raise NotFound("Unknown organisation.")
    issuer = _issuer(found)
    attempt = LoginAttempt(
        state=f"{found.id.hex}.{secrets.token_urlsafe(24)}",
        nonce=secrets.token_urlsafe(24),
        code_verifier=secrets.token_urlsafe(64),
    )
    with unit_of_work(found.id) as session:
        session.add(attempt)
    with _client() as client:
        url, _ = client.create_authorization_url(
            tokens.metadata(issuer)["authorization_endpoint"],
            state=attempt.state,
            code_verifier=attempt.code_verifier,
            nonce=attempt.nonce,
        )
    return RedirectResponse(url, status_code=303)


@router.get("/auth/callback")
def callback(
    request: Request, state: str, code: str | None = None, error: str | None = None
) -> Response:
    """Finish the sign-in: one use of the attempt, the code exchanged, the ID token checked."""
    tenant_id = _tenant_of_state(state)
    try:
        return _finish_sign_in(request, tenant_id, state, code, error)
    except (Unauthenticated, Forbidden) as exc:
        events.publish(
            CredentialRefused(
                reason=exc.detail,
                kind="sign-in",
                tenant_id=tenant_id,
                directory_id=None,
                client_address=request.client.host if request.client else None,
            )
        )
        raise


def _tenant_of_state(state: str) -> uuid.UUID:
    try:
        return uuid.UUID(hex=state.split(".", 1)[0])
    except ValueError:
        raise InvalidInput("Unknown sign-in state.") from None


def _finish_sign_in(
    request: Request, tenant_id: uuid.UUID, state: str, code: str | None, error: str | None
) -> Response:
    attempt = _take_attempt(tenant_id, state)
    if error or not code:
        raise Forbidden(f"The sign-in was not completed ({error or 'no code'}).")
    with unit_of_work(None, read_only=True) as session:
        tenant = session.exec(select(Tenant).where(Tenant.id == tenant_id)).one()
    issuer = _issuer(tenant)
    with _client() as client:
        token = client.fetch_token(
            tokens.metadata(issuer)["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=attempt.code_verifier,
        )
    claims = tokens.validate_id_token(
        str(token.get("id_token", "")),
        issuer=issuer,
        client_id=get_settings().oidc_client_id,
        nonce=attempt.nonce,
    )
    if uuid.UUID(str(claims["tid"])) != tenant.entra_tenant_id:
        raise Forbidden("The account belongs to another organisation.")
    return _start(request, tenant, claims=claims, id_token=str(token["id_token"]))


def _take_attempt(tenant_id: uuid.UUID, state: str) -> LoginAttempt:
    with unit_of_work(tenant_id) as session:
        attempt = session.exec(select(LoginAttempt).where(LoginAttempt.state == state)).first()
        if attempt is not None:
            session.delete(attempt)  # single use, even when what follows fails
    if attempt is None or utcnow() - attempt.created_at > ATTEMPT_LIFETIME:
        raise Forbidden("This sign-in link is unknown or expired; start again.")
    return attempt


def _start(
    request: Request, tenant: Tenant, *, claims: dict[str, object], id_token: str | None
) -> Response:
    with unit_of_work(tenant.id) as session:
        _web, cookie = sessions.open_session(
            session,
            tenant,
            user_tid=uuid.UUID(str(claims["tid"])) if claims.get("tid") else None,
            user_oid=uuid.UUID(str(claims["oid"])),
            user_name=str(claims.get("name") or claims.get("preferred_username") or ""),
            app_roles=[str(r) for r in claims.get("roles", []) or []],  # type: ignore[attr-defined]
            id_token=id_token,
            user_agent=request.headers.get("user-agent", "")[:300],
            client_address=request.client.host if request.client else "",
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        cookie,
        httponly=True,
        secure=True,
        samesite="lax",
        path="/",
        max_age=tenant.session_absolute_minutes * 60,
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, csrf: Annotated[str, Form()]) -> Response:
    """End the session here and ask the provider to end its own."""
    current = _current(request, csrf)
    response: Response = RedirectResponse("/", status_code=303)
    if current is not None:
        web, tenant = current
        end = (
            None
            if web.user_tid is None
            else tokens.metadata(_issuer(tenant)).get("end_session_endpoint")
        )
        if end:
            query = {
                "post_logout_redirect_uri": get_settings().public_url + "/",
                "client_id": get_settings().oidc_client_id,
            }
            if web.id_token:
                query["id_token_hint"] = web.id_token
            response = RedirectResponse(f"{end}?{urlencode(query)}", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/", secure=True, httponly=True)
    return response


def _current(request: Request, csrf: str) -> tuple[sessions.WebSession, Tenant] | None:
    found = sessions.resolve(request.cookies.get(sessions.COOKIE, ""))
    if found is None:
        return None
    web, principal = found
    sessions.check_csrf(web, csrf)
    with unit_of_work(principal.tenant_id) as session:
        sessions.end_session(session, session_id=web.id, reason="signed out")
        tenant = session.exec(select(Tenant).where(Tenant.id == principal.tenant_id)).one()
    return web, tenant


@router.post("/sign-in/demo")
def demo_sign_in(request: Request, tenant: Annotated[str, Form()]) -> Response:
    """Development only: a demo administrator without a directory (refused unless enabled).

    It is also a line-1 agent, so the demo shows the ticket pages' agent forms too."""
    if not get_settings().demo_sign_in:
        raise NotFound("No resource exists at this address.")
    found = tenant_by_slug(tenant)
    if found is None:
        raise NotFound("Unknown organisation.")
    log.warning("demo_sign_in", tenant=found.slug)
    claims: dict[str, object] = {
        "oid": str(uuid.uuid4()),
        "name": "Demo user",
        "roles": ["client-admin", "key-user", "kpi-viewer", "agent-line-1"],
    }
    return _start(request, found, claims=claims, id_token=None)
