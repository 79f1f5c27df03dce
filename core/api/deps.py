"""Dependency aliases that keep route signatures flat."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.api.threads import commit_with_endpoint, ended
from core.context import Actor, actor_var
from core.db import STATEMENT_TIMEOUT, finish, new_session, one_writer, session_tenant
from core.errors import Forbidden, Unauthenticated
from core.identity.access import REALM, authenticate
from core.identity.permissions import Principal
from core.settings import get_settings
from core.tenancy import current_tenant

_READS = ("GET", "HEAD")
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
) -> AsyncIterator[Principal]:
    """The caller, authenticated. What authentication reads in the tenant acted in (an API
    key, a person's standing and grants) is read in the request's own unit of work, which
    get_session takes over (ended here if none does): one transaction, not two. Except a
    write on SQLite, which authenticates in units of its own: there its transaction takes the
    one writer's lock, which writes of their own (an Idempotency-Key's reservation) must not
    find taken."""
    if credentials is None:
        raise Unauthenticated(
            "Send a bearer token in the Authorization header.",
            headers={"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    opened: list[Session] = []

    def opener(tenant_id: uuid.UUID) -> Session:
        opened.append(_unit_of_request(request, tenant_id))
        return opened[-1]

    try:
        principal = await run_in_threadpool(
            authenticate,
            credentials.credentials,
            target=tenant,
            client_address=request.client.host if request.client else None,
            opener=opener if request.method in _READS or not one_writer() else None,
        )
    except BaseException:
        for failed in opened:
            await run_in_threadpool(finish, failed, ok=False)
        raise
    session = opened[0] if opened else None
    if len(opened) > 1 or (session is not None and session_tenant(session) != principal.tenant_id):
        for other in opened:  # never: the request must not go on in another tenant's unit
            await run_in_threadpool(finish, other, ok=False)
        raise RuntimeError("authentication opened a unit of work outside the tenant acted in")
    request.state.tenant_id = principal.tenant_id
    request.state.actor_id = principal.actor_id
    current_tenant.set(principal.tenant_id)
    actor_var.set(Actor(kind=principal.kind, id=str(principal.actor_id)))
    request.state.unit = session
    try:
        yield principal
    except BaseException:
        if session is not None and request.state.unit is session:
            await run_in_threadpool(finish, session, ok=False)
        raise
    if session is not None and request.state.unit is session:
        await run_in_threadpool(finish, session, ok=True)


# scope="function": a unit of work of its own is ended before the response is sent.
PrincipalDep = Annotated[Principal, Depends(get_principal, scope="function")]


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


def _unit_of_request(request: Request, tenant_id: uuid.UUID, *, writing: bool = False) -> Session:
    """The request's unit of work in `tenant_id`. Opening it does no I/O."""
    session = new_session(tenant_id, read_only=request.method in _READS and not writing)
    # A runaway statement is cancelled (answered 503) instead of holding a core on and on.
    session.info[STATEMENT_TIMEOUT] = get_settings().statement_timeout_ms
    return session


def take_unit(request: Request, principal: Principal, *, writing: bool = False) -> Session:
    """The request's unit of work, ended from here on by the caller: the one authentication
    read in, or a new one. `writing`: one that may write on a GET too (the audit log records
    its reads). On SQLite authentication's read-only unit cannot, so it is ended first (I/O:
    call it from a thread then): a request never holds two pooled connections at once."""
    taken, request.state.unit = request.state.unit, None
    if taken is not None and writing and taken.info["read_only"] and one_writer():
        finish(taken, ok=True)
        taken = None
    if taken is None:
        taken = _unit_of_request(request, principal.tenant_id, writing=writing)
    # The session carries the actor for the audit trail, whatever thread uses it.
    taken.info["actor"] = Actor(kind=principal.kind, id=str(principal.actor_id))
    return taken


async def get_session(request: Request, principal: PrincipalDep) -> AsyncIterator[Session]:
    """The request's unit of work: the one authentication read in, or a new one. The commit
    runs in a thread: the endpoint's own on a threaded route (core.api.threads)."""
    session = take_unit(request, principal)
    commit_with_endpoint(session)
    try:
        yield session
    except BaseException:
        await run_in_threadpool(finish, session, ok=False)
        raise
    finally:
        commit_with_endpoint(None)
    if not ended(session):
        await run_in_threadpool(finish, session, ok=True)


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
