"""Issue, check and revoke the bearer secrets a tenant's directory provisions with.

A secret reads `rgs_<tenant hex>_<credential hex>_<secret>`: the tenant part lets the lookup
run inside that tenant's row-level-security scope; only a SHA-256 of the secret is stored.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlmodel import Session, col, select

from core.db import unit_of_work
from core.errors import NotFound, Unauthenticated
from core.identity import bearer_secrets
from core.identity.permissions import Principal, declare
from core.identity.scim.models import ScimCredential
from core.tenancy import Tenant, TenantStatus
from core.types import utcnow

PREFIX = "rgs"
MANAGE = declare("identity.scim:manage", "Issue, list and revoke SCIM provisioning secrets")
_TOUCH_EVERY = timedelta(minutes=1)


def issue(session: Session, actor: Principal, *, name: str) -> tuple[ScimCredential, str]:
    """Create a secret in the actor's tenant; returns the row and the token, shown only once."""
    actor.require(MANAGE)
    secret, secret_hash = bearer_secrets.new_secret()
    credential = ScimCredential(name=name, secret_hash=secret_hash)
    session.add(credential)
    session.flush()
    return credential, bearer_secrets.compose(PREFIX, credential.tenant_id, credential.id, secret)


def list_credentials(session: Session, actor: Principal) -> list[ScimCredential]:
    """The tenant's SCIM credentials for access managers (secrets never shown again)."""
    actor.require(MANAGE)
    stmt = select(ScimCredential).order_by(col(ScimCredential.created_at), col(ScimCredential.id))
    return list(session.exec(stmt))


def revoke(session: Session, actor: Principal, *, credential_id: uuid.UUID) -> ScimCredential:
    """Revoke at once: the next request with the secret is refused."""
    actor.require(MANAGE)
    stmt = select(ScimCredential).where(ScimCredential.id == credential_id)
    credential = session.exec(stmt).first()
    if credential is None:
        raise NotFound("No such SCIM token.")
    credential.revoked_at = credential.revoked_at or utcnow()
    return credential


def _parse(token: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    return bearer_secrets.parse(token, PREFIX, "Regie SCIM token")


def authenticate(token: str) -> tuple[Tenant, uuid.UUID]:
    """The tenant and credential id of a live SCIM token, or raise Unauthenticated."""
    tenant_id, credential_id, secret = _parse(token)
    refused = Unauthenticated("The SCIM token is unknown or revoked.")
    with unit_of_work(tenant_id) as session:
        tenant = session.exec(select(Tenant).where(Tenant.id == tenant_id)).first()
        credential = session.get(ScimCredential, (tenant_id, credential_id))
        if tenant is None or credential is None or tenant.status != TenantStatus.active:
            raise refused
        if credential.revoked_at is not None:
            raise refused
        if not bearer_secrets.matches(credential.secret_hash, secret):
            raise refused
        now = utcnow()
        if credential.last_used_at is None or now - credential.last_used_at > _TOUCH_EVERY:
            credential.last_used_at = now
    return tenant, credential_id
