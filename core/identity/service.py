"""Issue, check and revoke API keys (`rgk_...`, see bearer_secrets for their form)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import bindparam, event
from sqlalchemy import select as select_columns
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from core.db import read_only_unit, unit_of_work
from core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from core.identity import bearer_secrets
from core.identity.models import ApiKey
from core.identity.permissions import DECLARED, Principal, declare
from core.rows import OneRow
from core.tenancy import Tenant, TenantStatus
from core.types import utcnow

PREFIX = "rgk"
MANAGE_KEYS = declare("identity.api-keys:manage", "Issue, list and revoke API keys")
_TOUCH_EVERY = timedelta(minutes=1)


def create_api_key(
    session: Session,
    *,
    name: str,
    permissions: list[str],
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key in the session's tenant; returns the row and the token, shown only once."""
    unknown = sorted(set(permissions) - set(DECLARED))
    if unknown:
        raise InvalidInput(f"Unknown permission(s): {', '.join(unknown)}")
    secret, secret_hash = bearer_secrets.new_secret()
    key = ApiKey(
        name=name,
        secret_hash=secret_hash,
        permissions=sorted(set(permissions)),
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    return key, bearer_secrets.compose(PREFIX, key.tenant_id, key.id, secret)


def issue_api_key(
    session: Session,
    actor: Principal,
    *,
    name: str,
    permissions: list[str],
    expires_at: datetime | None,
) -> tuple[ApiKey, str]:
    """Issue a key for an integration; nobody hands out a permission they do not hold."""
    actor.require(MANAGE_KEYS)
    beyond = sorted(set(permissions) - actor.permissions)
    if beyond:
        raise Forbidden(f"You cannot give a key permissions you do not hold: {', '.join(beyond)}")
    return create_api_key(session, name=name, permissions=permissions, expires_at=expires_at)


def list_api_keys(session: Session, actor: Principal) -> list[ApiKey]:
    """The tenant's API keys for key managers (secrets never shown again)."""
    actor.require(MANAGE_KEYS)
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at), col(ApiKey.id))))


def revoke_api_key(session: Session, actor: Principal, *, key_id: uuid.UUID) -> ApiKey:
    """Revoke at once, in every process: each use of a key reads its row (no cache)."""
    actor.require(MANAGE_KEYS)
    key = session.exec(select(ApiKey).where(ApiKey.id == key_id)).first()
    if key is None:
        raise NotFound("No such API key.")
    key.revoked_at = key.revoked_at or utcnow()
    return key


def tenant_of_key(token: str) -> uuid.UUID | None:
    """The tenant an API key claims to belong to (unverified; to file a refusal under it)."""
    try:
        return _parse(token)[0]
    except Unauthenticated:
        return None


def _parse(token: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    return bearer_secrets.parse(token, PREFIX, "Regie API key")


def authenticate_api_key(
    token: str, opener: Callable[[uuid.UUID], Session] | None = None
) -> Principal:
    """Resolve a bearer API key to its principal, or raise Unauthenticated.

    Nothing is cached between requests: one primary-key read is what it costs for a
    revocation in any process, or the key's expiry, to hold on the very next request. It runs
    in the session `opener` gives (a read's own transaction: one per request, not two), else
    in a read-only unit, so that on SQLite checking a key never queues behind a write."""
    tenant_id, key_id, secret = _parse(token)
    with read_only_unit(tenant_id, opener) as session:
        principal, record_use = _check(session, tenant_id, key_id, secret)
    if record_use and opener is not None:
        _record_use_at_end(session, tenant_id, key_id)
    elif record_use:
        _record_use(tenant_id, key_id)
    return principal


def _record_use_at_end(session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Stamp the use once the request's transaction is over: a write meanwhile would leave
    it, on SQLite, a snapshot too old to write in (a read may create a missing settings row)."""
    pending = [True]

    def stamp(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and pending:  # not a savepoint's end
            pending.clear()
            _record_use(tenant_id, key_id)

    event.listen(session, "after_transaction_end", stamp)


def _record_use(tenant_id: uuid.UUID, key_id: uuid.UUID) -> None:
    """Stamp last_used_at in a write of its own, at most once per _TOUCH_EVERY per key."""
    with unit_of_work(tenant_id) as session:
        key = session.get(ApiKey, (tenant_id, key_id))
        if key is not None:
            key.last_used_at = utcnow()


_key = ApiKey.__table__.c  # type: ignore[attr-defined]
_tenant = Tenant.__table__.c  # type: ignore[attr-defined]
# The key and its tenant's status in one statement, built once, on the tables: this runs on
# every request, where an ORM statement built and scoped per call cost twice the CPU.
_KEY = OneRow(
    select_columns(
        _key.id,
        _key.name,
        _key.secret_hash,
        _key.permissions,
        _key.expires_at,
        _key.revoked_at,
        _key.last_used_at,
        _tenant.status,
    ).where(
        _key.tenant_id == bindparam("tenant"),
        _key.id == bindparam("key"),
        _tenant.id == _key.tenant_id,
    )
)


def _check(
    session: Session, tenant_id: uuid.UUID, key_id: uuid.UUID, secret: str
) -> tuple[Principal, bool]:
    refused = Unauthenticated("The API key is unknown, expired or revoked.")
    # On the session's connection: a Core statement needs none of the ORM's execution work.
    key = _KEY.first(session.connection(), {"tenant": tenant_id, "key": key_id})
    if key is None or key.status != TenantStatus.active:
        raise refused
    if not bearer_secrets.matches(key.secret_hash, secret):
        raise refused
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        raise refused
    principal = Principal(
        tenant_id=tenant_id,
        actor_id=key.id,
        kind="api_key",
        name=key.name,
        permissions=frozenset(key.permissions),
    )
    return principal, key.last_used_at is None or now - key.last_used_at > _TOUCH_EVERY
