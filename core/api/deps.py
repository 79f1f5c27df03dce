"""Dependency aliases that keep route signatures flat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.context import Actor, actor_var
from core.db import STATEMENT_TIMEOUT, finish, new_session
from core.errors import Forbidden, Unauthenticated
from core.identity.access import REALM, authenticate
from core.identity.permissions import Principal
from core.settings import get_settings
from core.tenancy import current_tenant

_bearer = HTTPBearer(
    auto_error=False, description="An Entra ID access token for the Regie API, or a Regie API key"
)


async def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    tenant: Annotated[
        str | None,
        Header(
            alias="Regie-Tenant",
            max_length=40,
            pattern=r"^[a-z0-9][a-z0-9-]{1,39}$",
            description="Slug of the tenant to act in (supplier staff); default: your own",
        ),
    ] = None,
) -> Principal:
    if credentials is None:
        raise Unauthenticated(
            "Send a bearer token in the Authorization header.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    principal = await run_in_threadpool(
        authenticate,
        credentials.credentials,
        target=tenant,
        client_address=request.client.host if request.client else None,
    )
    request.state.tenant_id = principal.tenant_id
    request.state.actor_id = principal.actor_id
    current_tenant.set(principal.tenant_id)
    actor_var.set(Actor(kind=principal.kind, id=str(principal.actor_id)))
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


@contextmanager
def _insufficient_scope() -> Iterator[None]:
    """RFC 6750: a valid token that lacks the permission is 403 with insufficient_scope."""
    try:
        yield
    except Forbidden as exc:
        exc.headers.setdefault(
            "WWW-Authenticate", f'Bearer realm="{REALM}", error="insufficient_scope"'
        )
        raise


def require(permission: str) -> Any:
    """A dependency that resolves the principal and demands `permission` of it."""

    async def check(principal: PrincipalDep) -> Principal:
        with _insufficient_scope():
            principal.require(permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-coverage test
    return Depends(check)


def require_any(*permissions: str) -> Any:
    """A dependency that demands at least one of `permissions` (the service narrows further)."""

    async def check(principal: PrincipalDep) -> Principal:
        if not any(principal.can(p) for p in permissions):
            with _insufficient_scope():
                principal.require(permissions[0])
        return principal

    check.permission = " | ".join(permissions)  # type: ignore[attr-defined]
    return Depends(check)


async def get_session(request: Request, principal: PrincipalDep) -> AsyncIterator[Session]:
    """The request's unit of work. Opening it does no I/O; the commit runs in a thread."""
    session = new_session(principal.tenant_id, read_only=request.method in ("GET", "HEAD"))
    # The session carries the actor for the audit trail, whatever thread uses it.
    session.info["actor"] = Actor(kind=principal.kind, id=str(principal.actor_id))
    # A runaway statement is cancelled (answered 503) instead of holding a core on and on.
    session.info[STATEMENT_TIMEOUT] = get_settings().statement_timeout_ms
    try:
        yield session
    except BaseException:
        await run_in_threadpool(finish, session, ok=False)
        raise
    await run_in_threadpool(finish, session, ok=True)


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
