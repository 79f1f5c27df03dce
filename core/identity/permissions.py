"""Permissions are plain names, declared by the domain that guards with them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from core.errors import Forbidden

DECLARED: dict[str, str] = {}


def declare(name: str, description: str) -> str:
    """Register a permission so grants and API keys can be checked against the list."""
    DECLARED[name] = description
    return name


@dataclass(frozen=True)
class Principal:
    """Who is acting, for which tenant, with which permissions. Resolved once per request."""

    tenant_id: uuid.UUID
    actor_id: uuid.UUID
    kind: str
    name: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: frozenset[str] = field(default_factory=frozenset)
    # The Entra directory and object id of a person or app; None for API keys.
    directory_id: uuid.UUID | None = None

    @property
    def label(self) -> str:
        """How records name this principal: `<kind>:<id>` (never a name or e-mail)."""
        return f"{self.kind}:{self.actor_id}"

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise Forbidden unless this principal holds `permission`."""
        if permission not in self.permissions:
            raise Forbidden(f"This action needs the permission '{permission}'.")
