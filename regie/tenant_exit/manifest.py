"""Files written with their hash and line count, and the signed manifest that lists them."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import IO, Any

from audit import signing
from audit.public import sign_document

FORMAT = "regie-tenant-export/v1"
PURPOSE = "tenant-export"
MANIFEST = "manifest.json"
CHUNK = 1 << 20


class ExportRefused(Exception):
    """An export that is corrupt, truncated, unsigned or not this tenant's: nothing written."""


class HashedFile:
    """A file being written whose SHA-256, size and line count are kept as it grows."""

    def __init__(self, root: Path, path: str, *, binary: bool = False) -> None:
        self.path = path
        full = root / path
        full.parent.mkdir(parents=True, exist_ok=True)
        self._f: IO[bytes] = open(full, "wb")  # noqa: SIM115  (closed by close())
        self._hash = hashlib.sha256()
        self.size = 0
        self.lines = 0
        self.binary = binary

    def write(self, data: bytes) -> None:
        self._f.write(data)
        self._hash.update(data)
        self.size += len(data)
        if not self.binary:
            self.lines += data.count(b"\n")

    def close(self) -> dict[str, Any]:
        self._f.close()
        entry: dict[str, Any] = {"sha256": self._hash.hexdigest(), "bytes": self.size}
        if not self.binary:
            entry["lines"] = self.lines
        return entry


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def write_signed(root: Path, body: dict[str, Any]) -> bytes:
    """Sign the manifest with the audit key and write it; returns the file's bytes."""
    value, key_id = sign_document(PURPOSE, canonical(body))
    public = signing.public_bytes(signing.public_key())
    signed = {
        **body,
        "signature": {
            "algorithm": "Ed25519",
            "keyId": key_id,
            "publicKey": base64.b64encode(public).decode(),
            "purpose": f"regie-{PURPOSE}/v1",
            "value": value,
        },
    }
    data = (json.dumps(signed, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    (root / MANIFEST).write_bytes(data)
    return data


def sha256_file(path: Path) -> tuple[str, int, int]:
    """(SHA-256, bytes, newlines) of a file, read in chunks."""
    digest, size, lines = hashlib.sha256(), 0, 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), size, lines


def verify(root: Path, public_key: str | None = None) -> dict[str, Any]:
    """The manifest, once its signature, every file's hash, size and line count check out.

    The signature must be by this installation's audit key, or by `public_key` (the
    exporting supplier's published key, base64 or hex) when given."""
    path = root / MANIFEST
    try:
        signed = json.loads(path.read_bytes())
        signature = signed.pop("signature")
        value = signature["value"]
    except (OSError, ValueError, KeyError, TypeError):
        raise ExportRefused(f"{MANIFEST}: missing or not a signed manifest") from None
    if signed.get("format") != FORMAT:
        raise ExportRefused(f"{MANIFEST}: format is not {FORMAT}")
    key = signing.parse_public_key(public_key) if public_key else signing.public_key()
    message = signing.document_message(PURPOSE, canonical(signed))
    if not signing.verify_message(key, message, value):
        raise ExportRefused(f"{MANIFEST}: signature does not verify with the audit key")
    for name, want in sorted(signed["files"].items()):
        _check_file(root, name, want)
    return dict(signed)


def _check_file(root: Path, name: str, want: dict[str, Any]) -> None:
    full = (root / name).resolve()
    if root.resolve() not in full.parents:
        raise ExportRefused(f"{name}: outside the export")
    if not full.is_file():
        raise ExportRefused(f"{name}: missing")
    digest, size, lines = sha256_file(full)
    if size != want["bytes"] or ("lines" in want and lines != want["lines"]):
        raise ExportRefused(f"{name}: truncated or extended ({size} bytes, {lines} lines)")
    if digest != want["sha256"]:
        raise ExportRefused(f"{name}: SHA-256 does not match the manifest")
