"""Verification of a tenant's log: chain, tree and checkpoint signatures. Pure, no database.

Used by `regie audit verify` over the database and by the offline verifier over an export.
It names the first sequence number at which the log stops being what was signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit import signing
from audit.chain import GENESIS, entry_digest
from audit.merkle import CompactRange, leaf_hash


class EntryRecord(NamedTuple):
    """A tuple, so rows straight from a cursor can stand in for it."""

    seq: int
    prev_hash: str
    entry_hash: str
    body: bytes


@dataclass(frozen=True)
class CheckpointRecord:
    tenant_id: str
    tree_size: int
    root_hash: str
    chain_hash: str
    issued_at: str
    key_id: str
    signature: str
    frontier: list[str] = field(default_factory=list)

    def statement(self) -> signing.CheckpointStatement:
        return signing.CheckpointStatement(
            self.tenant_id, self.tree_size, self.root_hash, self.chain_hash, self.issued_at
        )


@dataclass
class Verdict:
    ok: bool = True
    first_bad_seq: int | None = None
    reason: str = ""
    entries: int = 0
    checkpoints: int = 0

    def fail(self, seq: int, reason: str) -> Verdict:
        self.ok, self.first_bad_seq, self.reason = False, seq, reason
        return self


class _Walk:
    """State while walking the entries in order."""

    def __init__(self, start_seq: int, prev: str, tree: CompactRange) -> None:
        self.expected = start_seq
        self.prev = prev
        self.tree = tree
        self.signed_through = start_seq - 1  # the last entry a checkpoint confirmed


def check_signatures(
    checkpoints: Sequence[CheckpointRecord], key: Ed25519PublicKey, tenant_id: str
) -> Verdict:
    """Every checkpoint must be the tenant's and signed by the key: the first that is not fails."""
    for cp in checkpoints:
        if cp.tenant_id != tenant_id or not signing.verify(key, cp.statement(), cp.signature):
            return Verdict().fail(cp.tree_size, f"checkpoint at size {cp.tree_size}: bad signature")
    return Verdict(checkpoints=len(checkpoints))


def merge_checkpoints(
    sources: Iterable[tuple[str, Sequence[CheckpointRecord]]],
    key: Ed25519PublicKey,
    tenant_id: str,
) -> list[CheckpointRecord] | Verdict:
    """Every copy's checkpoints in one list by size: each line's own signature is checked
    (a copy agreeing with another is no excuse), and two copies of one size must agree."""
    merged: dict[int, tuple[str, CheckpointRecord]] = {}
    for name, records in sources:
        bad = check_signatures(records, key, tenant_id)
        if not bad.ok:
            return bad.fail(bad.first_bad_seq or 0, f"{name}: {bad.reason}")
        for cp in records:
            seen_in, seen = merged.setdefault(cp.tree_size, (name, cp))
            if seen.root_hash != cp.root_hash or seen.chain_hash != cp.chain_hash:
                return Verdict().fail(cp.tree_size, f"{seen_in} and {name} checkpoints disagree")
    return [merged[size][1] for size in sorted(merged)]


def _start(first_seq: int, checkpoints: dict[int, CheckpointRecord]) -> _Walk | Verdict:
    """Where the walk begins: the genesis, or the checkpoint the retained part starts from."""
    if first_seq == 1:
        return _Walk(1, GENESIS, CompactRange())
    anchor = checkpoints.get(first_seq - 1)
    if anchor is None:
        return Verdict().fail(first_seq, "earlier entries are gone and no checkpoint anchors these")
    try:
        tree = CompactRange(anchor.tree_size, [bytes.fromhex(h) for h in anchor.frontier])
    except ValueError:
        return Verdict().fail(first_seq, "the anchoring checkpoint's compact range is malformed")
    if tree.root().hex() != anchor.root_hash:
        return Verdict().fail(first_seq, "the anchoring checkpoint's range does not match its root")
    return _Walk(first_seq, anchor.chain_hash, tree)


def verify_log(
    entries: Iterable[EntryRecord],
    checkpoints: Sequence[CheckpointRecord],
    key: Ed25519PublicKey,
    tenant_id: str,
) -> Verdict:
    """Check every signature, then walk the entries: sequence, chain, tree at each checkpoint."""
    verdict = check_signatures(checkpoints, key, tenant_id)
    if not verdict.ok:
        return verdict
    by_size = {cp.tree_size: cp for cp in checkpoints}
    rows = iter(entries)
    first = next(rows, None)
    last = 0
    if first is not None:
        walk = _start(first[0], by_size)
        if isinstance(walk, Verdict):
            return walk
        bad = _step(walk, EntryRecord(*first[:4]), by_size) or _walk(walk, rows, by_size)
        verdict.entries = walk.expected - first[0]
        if bad:
            return verdict.fail(*bad)
        last = walk.expected - 1
    missing = [size for size in by_size if size > last]
    if missing:
        return verdict.fail(last + 1, f"checkpoint at size {max(missing)} covers missing entries")
    return verdict


def _walk(
    walk: _Walk, rows: Iterator[EntryRecord], by_size: dict[int, CheckpointRecord]
) -> tuple[int, str] | None:
    """_step over the remaining entries, inlined for speed (the verifier's hot loop): an entry
    that does not simply follow on is handed to _step, which names what is wrong."""
    sha256 = hashlib.sha256
    tree = walk.tree
    hashes = tree.hashes
    seq, prev = walk.expected, walk.prev
    prev_raw = bytes.fromhex(prev)
    for e in rows:
        digest = sha256(prev_raw + seq.to_bytes(8, "big") + e[3]).digest()
        entry_hash = digest.hex()
        if e[0] != seq or e[1] != prev or e[2] != entry_hash:
            walk.expected, walk.prev = seq, prev
            return _step(walk, EntryRecord(*e[:4]), by_size)
        node, size = sha256(b"\x00" + digest).digest(), seq - 1
        while size & 1:  # CompactRange.append
            node = sha256(b"\x01" + hashes.pop() + node).digest()
            size >>= 1
        hashes.append(node)
        tree.size = seq
        prev, prev_raw = entry_hash, digest
        if seq in by_size:
            walk.expected, walk.prev = seq + 1, prev
            bad = _at_checkpoint(walk, by_size[seq])
            if bad:
                return bad
        seq += 1
    walk.expected, walk.prev = seq, prev
    return None


def _step(
    walk: _Walk, e: EntryRecord, by_size: dict[int, CheckpointRecord]
) -> tuple[int, str] | None:
    """Advance by one entry; (first bad sequence number, reason), or None."""
    seq = walk.expected
    if e.seq != seq:
        return seq, f"expected sequence number {seq}, found {e.seq}"
    digest = entry_digest(e.prev_hash, seq, e.body)
    if e.prev_hash != walk.prev:
        # An entry intact in itself that no longer links: the one before it was changed and
        # its hash recomputed, unless a checkpoint already confirmed that one.
        intact = digest.hex() == e.entry_hash
        culprit = seq - 1 if intact and seq - 1 > walk.signed_through else seq
        return culprit, f"entry {seq} does not link to the previous entry"
    if digest.hex() != e.entry_hash:
        return seq, "content does not match its hash"
    walk.tree.append(leaf_hash(digest))
    walk.prev = e.entry_hash
    walk.expected += 1
    cp = by_size.get(seq)
    return None if cp is None else _at_checkpoint(walk, cp)


def _at_checkpoint(walk: _Walk, cp: CheckpointRecord) -> tuple[int, str] | None:
    """Compare the walk so far with the checkpoint signed at this size."""
    if cp.root_hash != walk.tree.root().hex() or cp.chain_hash != walk.prev:
        # A consistently rewritten stretch: only the signed heads around it can tell.
        return _narrow(walk, cp), f"entries up to {cp.tree_size} differ from the signed checkpoint"
    walk.signed_through = cp.tree_size
    return None


def _narrow(walk: _Walk, cp: CheckpointRecord) -> int:
    """The first entry after the last confirmed one that no signed subtree vouches for.

    The checkpoint's compact range, once it yields the signed root, holds trusted hashes of
    the perfect subtrees covering the log; the recomputed tree has the same subtrees, so the
    first that differs holds the first changed entry. Later checkpoints' subtrees below this
    size are these same ones, so they cannot narrow further."""
    try:
        signed = CompactRange(cp.tree_size, [bytes.fromhex(h) for h in cp.frontier])
    except ValueError:
        return walk.signed_through + 1
    if signed.root().hex() != cp.root_hash:
        return walk.signed_through + 1
    stored = walk.tree.blocks()
    for (lo, hi), trusted in signed.blocks().items():
        if stored.get((lo, hi)) != trusted and hi > walk.signed_through:
            return max(lo, walk.signed_through) + 1
    return walk.signed_through + 1
