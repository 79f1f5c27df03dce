"""Bearer secrets that name their tenant: `<prefix>_<tenant hex>_<row hex>_<secret>`.

The tenant part lets the lookup run inside that tenant's row-level-security scope. Only a
SHA-256 of the secret is stored: it has 256 bits of entropy, so a slow hash adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from core.errors import Unauthenticated


def new_secret() -> tuple[str, str]:
    """A fresh secret and the digest to store."""
    secret = secrets.token_urlsafe(32)
    return secret, digest(secret)


def digest(secret: str) -> str:
    """What is stored of a secret: a leaked table gives no usable key."""
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(stored_digest: str, secret: str) -> bool:
    """Compare in constant time, so timing tells nothing of the stored digest."""
    return hmac.compare_digest(stored_digest, digest(secret))


def compose(prefix: str, tenant_id: uuid.UUID, row_id: uuid.UUID, secret: str) -> str:
    """The bearer secret handed out once: it names its tenant and row for the lookup."""
    return f"{prefix}_{tenant_id.hex}_{row_id.hex}_{secret}"


def parse(token: str, prefix: str, what: str) -> tuple[uuid.UUID, uuid.UUID, str]:
    """(tenant id, row id, secret), or Unauthenticated naming `what` was expected."""
    try:
        given, tenant_hex, row_hex, secret = token.split("_", 3)
        if given != prefix or not secret:
            raise ValueError
        return uuid.UUID(hex=tenant_hex), uuid.UUID(hex=row_hex), secret
    except ValueError:
        raise Unauthenticated(f"The bearer token is not a {what}.") from None
