"""The hash chain: how an entry's bytes and hash are formed. Pure, shared by writer and
verifiers.

An entry hash covers the previous entry's hash, the sequence number and the canonical body,
so changing, removing, inserting or reordering any entry changes every hash after it.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64


def canonical(obj: Any) -> bytes:
    """One byte string per value: sorted keys, no whitespace, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_digest(prev_hash: str, seq: int, body: bytes) -> bytes:
    """An entry's hash over its predecessor's: changing any entry breaks every later one."""
    return hashlib.sha256(bytes.fromhex(prev_hash) + seq.to_bytes(8, "big") + body).digest()
