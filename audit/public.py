"""What other domains and the composition root may call."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlmodel import Session, col, select

from audit import repository, signing
from audit.capture import base_body, install, record, uninstall
from audit.checkpoints import CheckpointSigned
from core.db import unit_of_work
from core.identity.events import CredentialRefused, SessionChanged
from core.tenancy import Tenant

__all__ = [
    "CheckpointSigned",
    "created_with",
    "install",
    "record_refused_credential",
    "record_security_event",
    "record_session_change",
    "sign_document",
    "uninstall",
    "verify_document",
]


def created_with(session: Session, entity_type: str, entity_id: str) -> dict[str, Any] | None:
    """The column values a row was created with, as the log recorded them then (None when no
    entry records its creation): what a later change made behind the API's back cannot
    alter without breaking the chain."""
    filters = {"entity_type": entity_type, "entity_id": entity_id, "action": "create"}
    entry = repository.first_entry(session, filters)
    if entry is None:
        return None
    changes = json.loads(entry.body).get("changes", {})
    return {name: change.get("after") for name, change in changes.items()}


def sign_document(purpose: str, payload: bytes) -> tuple[str, str]:
    """Sign `payload` with the audit key, as `purpose` (e.g. "kpi-month"); (signature, key id).

    Outsiders check it with the key published at /api/v1/audit/public-key."""
    key = signing.signing_key()
    signature = key.sign(signing.document_message(purpose, payload)).hex()
    return signature, signing.key_id(key.public_key())


def verify_document(purpose: str, payload: bytes, signature: str) -> bool:
    """Whether `signature` is the audit key's signature of `payload` as `purpose`."""
    key = signing.public_key()
    return signing.verify_message(key, signing.document_message(purpose, payload), signature)


def record_security_event(
    session: Session, *, kind: str, tenant_id: uuid.UUID, detail: dict[str, Any] | None = None
) -> None:
    """Record a security event (sign-in, grant, revoke...) in `session`'s transaction."""
    body = base_body(session, action="security", entity_type="security_event", entity_id=kind)
    body["event"] = {"kind": kind, **(detail or {})}
    record(session, tenant_id, [body])


def record_refused_credential(event: CredentialRefused) -> None:
    """Listener for identity's refusals. Recorded in a transaction of its own: the refusal
    ends the request, and nothing else of it commits. No secret material is stored."""
    with unit_of_work(None) as lookup:
        tenant_id = _tenant_of(lookup, event)
    if tenant_id is None:
        return  # a credential naming no known tenant belongs to no tenant's log
    with unit_of_work(tenant_id) as session:
        detail = {"reason": event.reason, "credential": event.kind}
        if event.client_address:
            detail["clientAddress"] = event.client_address
        record_security_event(
            session, kind="credential.refused", tenant_id=tenant_id, detail=detail
        )


def _tenant_of(session: Session, event: CredentialRefused) -> uuid.UUID | None:
    if event.tenant_id is not None:
        stmt = select(Tenant.id).where(Tenant.id == event.tenant_id)
    elif event.directory_id is not None:
        stmt = select(Tenant.id).where(col(Tenant.entra_tenant_id) == event.directory_id)
    else:
        return None
    return session.exec(stmt).first()


def record_session_change(event: SessionChanged) -> None:
    """Listener for sign-in, sign-out and ended sessions, in the session's own transaction."""
    detail = {"sessionId": str(event.session_id), "userOid": str(event.user_oid)}
    if event.user_tid is not None:
        detail["userTid"] = str(event.user_tid)
    if event.reason:
        detail["reason"] = event.reason
    record_security_event(
        event.session, kind=f"session.{event.change}", tenant_id=event.tenant_id, detail=detail
    )
