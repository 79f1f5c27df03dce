"""Dependency aliases that keep route signatures flat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from core.context import Actor, actor_var
from core.db import unit_of_work
from core.errors import Unauthenticated
from core.identity.access import authenticate
from core.identity.permissions import Principal
from core.tenancy import current_tenant

_bearer = HTTPBearer(
    auto_error=False, description="An Entra ID access token for the Regie API, or a Regie API key"
)


def get_principal(
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
            headers={"WWW-Authenticate": "Bearer"},
        )
    principal = authenticate(
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


def require(permission: str) -> Any:
    """A dependency that resolves the principal and demands `permission` of it."""

    def check(principal: PrincipalDep) -> Principal:
        principal.require(permission)
        return principal

    check.permission = permission  # type: ignore[attr-defined]  # read by the route-coverage test
    return Depends(check)


def get_session(request: Request, principal: PrincipalDep) -> Iterator[Session]:
    read_only = request.method in ("GET", "HEAD")
    with unit_of_work(principal.tenant_id, read_only=read_only) as session:
        # Sync dependencies run in copies of the context, so the actor set while resolving
        # the principal is not visible here: the session carries it for the audit trail.
        session.info["actor"] = Actor(kind=principal.kind, id=str(principal.actor_id))
        yield session


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
