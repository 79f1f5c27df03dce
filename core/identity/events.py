"""What identity announces. Audit listens and records them as security events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlmodel import Session


@dataclass(frozen=True)
class CredentialRefused:
    """A bearer token or API key was refused (401). No secret material is carried."""

    reason: str
    kind: str  # "api_key" or "token"
    tenant_id: uuid.UUID | None
    directory_id: uuid.UUID | None
    client_address: str | None


@dataclass(frozen=True)
class SessionChanged:
    """A web session began or ended. Listeners write in `session`'s transaction."""

    session: Session
    tenant_id: uuid.UUID
    session_id: uuid.UUID
    user_tid: uuid.UUID | None
    user_oid: uuid.UUID
    change: str  # "signed-in", "signed-out", "expired" or "ended"
    reason: str | None = None
