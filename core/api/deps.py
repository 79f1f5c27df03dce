"""Dependency aliases that keep route signatures flat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from core.db import unit_of_work
from core.errors import Unauthenticated
from core.identity.permissions import Principal
from core.identity.service import authenticate_api_key
from core.tenancy import current_tenant

_bearer = HTTPBearer(auto_error=False, description="A Regie API key (rgk_...)")


def get_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise Unauthenticated("Send a bearer token in the Authorization header.")
    principal = authenticate_api_key(credentials.credentials)
    request.state.tenant_id = principal.tenant_id
    request.state.actor_id = principal.actor_id
    current_tenant.set(principal.tenant_id)
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
        yield session


# scope="function": commit before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
