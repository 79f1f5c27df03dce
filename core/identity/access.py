"""Turn a bearer credential into the principal acting in one tenant.

Entra access tokens are checked against the directory they name (`tid` must belong to a
Regie tenant). Permissions come from the token's app roles (in its own tenant only) and from
grants held in Regie; the token's `groups` claim is never used, so Entra's 200-group limit and
its overage form cannot decide access. Supplier staff name the client tenant they act in with
the `Regie-Tenant` header and need a grant there.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable

from sqlmodel import Session, col, select

from core import events
from core.db import read_only_unit, unit_of_work
from core.errors import Forbidden, Unauthenticated
from core.identity import tokens
from core.identity.events import CredentialRefused
from core.identity.grants import active_roles, held_everywhere, standing_and_roles
from core.identity.permissions import Principal
from core.identity.roles import SUPPLIER_ROLES, permissions_for
from core.identity.scim import directory
from core.identity.service import PREFIX, authenticate_api_key, tenant_of_key
from core.settings import get_settings
from core.tenancy import Tenant, TenantKind, TenantStatus

REALM = "regie"
_TENANT_TTL = 30.0
_tenants: dict[tuple[str, str], tuple[float, Tenant | None]] = {}
NO_ACCESS = "No access to the requested tenant."


def authenticate(
    token: str,
    *,
    target: str | None,
    client_address: str | None,
    opener: Callable[[uuid.UUID], Session] | None = None,
) -> Principal:
    """The principal for `token` acting in tenant `target` (a slug; default: its own).

    With `opener`, what is read in the tenant acted in is read in the session it opens there
    (the request's own, which goes on after); nothing is read through it in another tenant."""
    is_key = token.startswith(PREFIX + "_")
    try:
        if token.startswith(PREFIX + "_"):
            principal = authenticate_api_key(token, opener)
            named = _tenant("slug", target) if target else None
            if target and (named is None or named.id != principal.tenant_id):
                raise Forbidden(NO_ACCESS)
            return principal
        return _from_access_token(token, target, opener)
    except Unauthenticated as exc:
        events.publish(
            CredentialRefused(
                reason=getattr(exc, "reason", exc.detail),
                kind="api_key" if is_key else "token",
                tenant_id=tenant_of_key(token) if is_key else None,
                directory_id=None if is_key else _safe_tid(token),
                client_address=client_address,
            )
        )
        exc.headers.setdefault("WWW-Authenticate", invalid_token(exc.detail))
        raise


def invalid_token(description: str) -> str:
    """The RFC 6750 challenge for a refused bearer token, saying why in error_description."""
    text = "".join(c for c in description if " " <= c <= "~" and c not in '"\\')
    return f'Bearer realm="{REALM}", error="invalid_token", error_description="{text}"'


def _from_access_token(
    token: str, target: str | None, opener: Callable[[uuid.UUID], Session] | None
) -> Principal:
    settings = get_settings()
    tid = tokens.unverified_tid(token)
    home = _tenant("entra", str(tid))
    if home is None or home.status != TenantStatus.active:
        raise tokens.Refused("the token's directory is not a Regie tenant")
    claims = tokens.validate(
        token,
        issuer=tokens.issuer_for(settings.entra_authority, tid),
        audience=settings.api_audience,
    )
    tenant = home if not target or target == home.slug else _tenant("slug", target)
    if tenant is None or tenant.status != TenantStatus.active:
        raise Forbidden(NO_ACCESS)
    if tenant.auth_context_id and tenant.auth_context_id not in claims.acrs:
        raise _insufficient_claims(tenant.auth_context_id)
    return principal_for(
        tenant,
        home=home,
        tid=claims.tid,
        oid=claims.oid,
        app_roles=claims.roles,
        kind="service" if claims.app_only else "user",
        opener=opener,
    )


def principal_for(
    tenant: Tenant,
    *,
    home: Tenant,
    tid: uuid.UUID | None,
    oid: uuid.UUID,
    app_roles: frozenset[str],
    kind: str,
    opener: Callable[[uuid.UUID], Session] | None = None,
) -> Principal:
    """Roles granted in `tenant`, plus the app roles when acting in the home tenant.

    A user whom SCIM provisioning deactivated holds nothing, app roles included."""
    active, roles = _granted_roles(tenant, home=home, tid=tid, oid=oid, opener=opener)
    if tenant.id == home.id:
        roles |= app_roles if active else set()  # app roles of the tenant's own directory
    elif not roles:
        raise Forbidden(NO_ACCESS)
    return Principal(
        tenant_id=tenant.id,
        actor_id=oid,
        kind=kind,
        name=str(oid),
        permissions=permissions_for(roles),
        roles=frozenset(roles),
        directory_id=tid,
    )


def _granted_roles(
    tenant: Tenant,
    *,
    home: Tenant,
    tid: uuid.UUID | None,
    oid: uuid.UUID,
    opener: Callable[[uuid.UUID], Session] | None,
) -> tuple[bool, set[str]]:
    """Whether the user is active, and the roles held in `tenant` directly or through groups.

    Provisioning data lives in the home tenant (the user's own directory); grants live in the
    tenant acted in, which for supplier staff is a client's. What is read in the tenant acted
    in is read in the session `opener` gives there."""
    if tid is None:
        return True, set()
    if tenant.id == home.id:
        with read_only_unit(home.id, opener) as session:
            return standing_and_roles(session, tid=tid, oid=oid)
    with read_only_unit(home.id) as session:
        standing = directory.standing(session, tid=tid, oid=oid)
    if not standing.active:
        return False, set()
    with read_only_unit(tenant.id, opener) as session:
        return True, set(active_roles(session, tid=tid, oid=oid, groups=standing.groups))


class InsufficientClaims(Unauthenticated):
    reason = "authentication context missing"


def _insufficient_claims(context_id: str) -> Unauthenticated:
    """Entra's claims challenge: the client must get a token that satisfies the context."""
    wanted = {"access_token": {"acrs": {"essential": True, "value": context_id}}}
    challenge = base64.b64encode(json.dumps(wanted).encode()).decode()
    return InsufficientClaims(
        f"This tenant requires the authentication context {context_id!r} (for example "
        "multi-factor sign-in); sign in again to satisfy it.",
        headers={"WWW-Authenticate": f'Bearer error="insufficient_claims", claims="{challenge}"'},
    )


def tenant_by_slug(slug: str) -> Tenant | None:
    """The tenant a Regie-Tenant header names (cached briefly)."""
    return _tenant("slug", slug)


def tenant_by_id(tenant_id: uuid.UUID) -> Tenant | None:
    """The tenant (cached briefly): which kind of organisation a principal belongs to."""
    return _tenant("id", str(tenant_id))


def _tenant(by: str, value: str) -> Tenant | None:
    """A tenant by slug, id or Entra directory id, cached briefly (the table is global)."""
    now = time.monotonic()
    hit = _tenants.get((by, value))
    if hit and hit[0] > now:
        return hit[1]
    column = {"slug": Tenant.slug, "id": Tenant.id, "entra": Tenant.entra_tenant_id}[by]
    key: object = value if by == "slug" else _uuid(value)
    with unit_of_work(None, read_only=True) as session:
        tenant = session.exec(select(Tenant).where(column == key)).first() if key else None
    _tenants[(by, value)] = (now + _TENANT_TTL, tenant)
    return tenant


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _safe_tid(token: str) -> uuid.UUID | None:
    try:
        return tokens.unverified_tid(token)
    except Unauthenticated:
        return None


def reach(principal: Principal) -> list[tuple[Tenant, Principal]]:
    """The principal's own tenant plus every other active tenant where the same person holds a
    grant, each with the principal acting there: a supplier agent's queue across clients.

    One unit of work in the person's own tenant, whatever the number of tenants; read afresh
    on every call, so a revoked grant stops reaching at once. API keys and app-only tokens act
    in their own tenant only."""
    own = _tenant("id", str(principal.tenant_id))
    reached = [(own, principal)] if own is not None else []
    tid, oid = principal.directory_id, principal.actor_id
    home = _tenant("entra", str(tid)) if tid is not None else None
    if tid is None or home is None or principal.kind != "user":
        return reached
    with unit_of_work(home.id, read_only=True) as session:
        standing = directory.standing(session, tid=tid, oid=oid)
        if not standing.active:
            return reached
        held = held_everywhere(session, tid=tid, oid=oid, groups=standing.groups)
        held.pop(principal.tenant_id, None)
        if not held:
            return reached
        stmt = select(Tenant).where(col(Tenant.id).in_(held)).order_by(col(Tenant.slug))
        tenants = list(session.exec(stmt))
    for tenant in tenants:
        roles = held[tenant.id]
        acting = Principal(
            tenant_id=tenant.id,
            actor_id=oid,
            kind=principal.kind,
            name=principal.name,
            permissions=permissions_for(roles),
            roles=frozenset(roles),
            directory_id=tid,
        )
        reached.append((tenant, acting))
    return reached


def speaks_for_client(actor: Principal, tenant: Tenant | None, *, supplier_permission: str) -> bool:
    """Whether `actor` speaks for the client `tenant` it acts in, so may decide what the
    supplier proposed: not whoever holds `supplier_permission` (the proposing side's) or a
    supplier role, and a person or app only from the client's own directory (supplier staff
    sign in through the supplier's). An API key is the tenant's own."""
    if actor.can(supplier_permission) or actor.roles & SUPPLIER_ROLES:
        return False
    if tenant is None or tenant.kind != TenantKind.client:
        return False
    return actor.directory_id is None or actor.directory_id == tenant.entra_tenant_id
