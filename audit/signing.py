"""Ed25519 keys for checkpoints: loaded from settings, or generated once in development."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from core.settings import Settings, get_settings

_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


@dataclass(frozen=True)
class CheckpointStatement:
    """What a checkpoint signature covers."""

    tenant_id: str
    tree_size: int
    root_hash: str
    chain_hash: str
    issued_at: str

    def message(self) -> bytes:
        fields = (self.tenant_id, self.tree_size, self.root_hash, self.chain_hash, self.issued_at)
        return ("regie-audit-checkpoint/v1\n" + "\n".join(map(str, fields)) + "\n").encode()


def public_bytes(key: Ed25519PublicKey) -> bytes:
    """A public key's raw 32 bytes, as published and as its id is made from."""
    return key.public_bytes(*_RAW)


def key_id(key: Ed25519PublicKey) -> str:
    """A short id for a public key, so a verifier sees which key signed."""
    return hashlib.sha256(public_bytes(key)).hexdigest()[:16]


def parse_private_key(text: str) -> Ed25519PrivateKey:
    """PEM, or the 32-byte seed as hex or base64."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("REGIE_AUDIT_SIGNING_KEY is not an Ed25519 key")
        return key
    try:
        seed = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("REGIE_AUDIT_SIGNING_KEY is neither PEM, hex nor base64") from None
    return Ed25519PrivateKey.from_private_bytes(seed)


def parse_public_key(text: str) -> Ed25519PublicKey:
    """PEM, or the 32 raw bytes as hex or base64 (as the API publishes it)."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(text.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key
    raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    return Ed25519PublicKey.from_public_bytes(raw)


def _dev_key(path: Path) -> Ed25519PrivateKey:
    """Generate and keep a key for development; production refuses to start without one."""
    if path.exists():
        return parse_private_key(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    seed = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(seed.hex())
    return parse_private_key(path.read_text())


class NoSigningKey(RuntimeError):
    """This process was given the public key only: the worker signs, not the API."""


def load_private_key(settings: Settings) -> Ed25519PrivateKey:
    """The configured signing key, refused when it does not match the configured public key."""
    if settings.audit_signing_key is not None:
        key = parse_private_key(settings.audit_signing_key.get_secret_value())
        if settings.audit_public_key is not None and public_bytes(key.public_key()) != (
            public_bytes(parse_public_key(settings.audit_public_key))
        ):
            raise ValueError("REGIE_AUDIT_PUBLIC_KEY is not the signing key's public key")
        return key
    if settings.env == "production" or settings.audit_public_key is not None:
        raise NoSigningKey("no REGIE_AUDIT_SIGNING_KEY here: only the worker signs")
    return _dev_key(settings.audit_key_file)


@lru_cache
def signing_key() -> Ed25519PrivateKey:
    """The signing key of this process's settings."""
    return load_private_key(get_settings())


@lru_cache
def public_key() -> Ed25519PublicKey:
    """The key that verifies checkpoints and signed documents: configured on its own where
    the process must not hold the signing key (the API), else the signing key's."""
    settings = get_settings()
    if settings.audit_public_key is not None:
        return parse_public_key(settings.audit_public_key)
    return signing_key().public_key()


def sign(statement: CheckpointStatement) -> str:
    """Sign a checkpoint statement, so a rewritten database cannot forge its history."""
    return signing_key().sign(statement.message()).hex()


def verify(key: Ed25519PublicKey, statement: CheckpointStatement, signature: str) -> bool:
    """Whether a checkpoint's signature is the key's over that statement."""
    return verify_message(key, statement.message(), signature)


def verify_message(key: Ed25519PublicKey, message: bytes, signature: str) -> bool:
    """Whether a signature over `message` is valid; a malformed one is simply not."""
    try:
        key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def document_message(purpose: str, payload: bytes) -> bytes:
    """What a document signature covers: the purpose first, so a signature made for one kind
    of document can never pass for another (or for a checkpoint)."""
    return f"regie-{purpose}/v1\n".encode() + payload
