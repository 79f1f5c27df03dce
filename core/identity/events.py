"""What identity announces. Audit listens and records them as security events."""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class CredentialRefused:
    """A bearer token or API key was refused (401). No secret material is carried."""

    reason: str
    kind: str  # "api_key" or "token"
    tenant_id: uuid.UUID | None
    directory_id: uuid.UUID | None
    client_address: str | None
