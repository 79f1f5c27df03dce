"""RFC 6962 / RFC 9162 Merkle tree hashing, compact ranges and proofs. Pure, no I/O.

Leaves are the 32-byte entry hashes; a leaf hash is SHA-256(0x00 || leaf) and an inner node
SHA-256(0x01 || left || right), so no leaf can pass for a node (second-preimage safety).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

_sha256 = hashlib.sha256
EMPTY_ROOT = _sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    """RFC 6962 leaf hash: the 0x00 prefix keeps a leaf from passing as a node."""
    return _sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 node hash: the 0x01 prefix keeps a node from passing as a leaf."""
    return _sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The roots of the perfect subtrees covering leaves [0, size): enough to append and to
    compute the tree head, in O(log size) memory."""

    __slots__ = ("hashes", "size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError("a compact range has one hash per set bit of its size")
        self.size = size
        self.hashes = list(hashes)

    def append(self, lh: bytes) -> None:
        """Append a leaf hash, merging equal-sized subtrees like a binary counter."""
        hashes = self.hashes
        size = self.size
        while size & 1:
            lh = node_hash(hashes.pop(), lh)
            size >>= 1
        hashes.append(lh)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        root = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            root = node_hash(left, root)
        return root

    def blocks(self) -> dict[tuple[int, int], bytes]:
        """The subtrees as {(start, end): hash}, for proofs over a pruned prefix."""
        out, start = {}, 0
        bits = [1 << b for b in range(self.size.bit_length() - 1, -1, -1) if self.size >> b & 1]
        for width, h in zip(bits, self.hashes, strict=True):
            out[(start, start + width)] = h
            start += width
        return out


class Tree:
    """Subtree hashes over leaf hashes [base, size), with a compact range for [0, base)."""

    def __init__(self, leaf_hashes: Sequence[bytes], prefix: CompactRange | None = None) -> None:
        self.prefix = prefix or CompactRange()
        self.blocks = self.prefix.blocks()
        self.base = self.prefix.size
        self.leaves = leaf_hashes

    def hash(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi]) per RFC 6962 section 2.1."""
        if (lo, hi) in self.blocks:
            return self.blocks[(lo, hi)]
        if hi - lo == 1 and lo >= self.base:
            return self.leaves[lo - self.base]
        if hi <= self.base or hi - lo < 1:
            raise LookupError(f"subtree [{lo}, {hi}) lies in the pruned part of the log")
        k = _split(hi - lo)
        return node_hash(self.hash(lo, lo + k), self.hash(lo + k, hi))

    def inclusion_path(self, index: int, size: int) -> list[bytes]:
        """PATH(m, D[0:size]) of RFC 6962 section 2.1.1, leaf first."""
        return self._path(index, 0, size)

    def _path(self, m: int, lo: int, hi: int) -> list[bytes]:
        if hi - lo <= 1:
            return []
        k = _split(hi - lo)
        if m < k:
            return [*self._path(m, lo, lo + k), self.hash(lo + k, hi)]
        return [*self._path(m - k, lo + k, hi), self.hash(lo, lo + k)]

    def consistency_path(self, first: int, second: int) -> list[bytes]:
        """PROOF(m, D[0:n]) of RFC 6962 section 2.1.2."""
        if not 0 < first <= second:
            raise ValueError("need 0 < first <= second")
        return self._subproof(first, 0, second, True)

    def _subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        n = hi - lo
        if m == n:
            return [] if whole else [self.hash(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self._subproof(m, lo, lo + k, whole), self.hash(lo + k, hi)]
        return [*self._subproof(m - k, lo + k, hi, False), self.hash(lo, lo + k)]


def verify_inclusion(index: int, size: int, lh: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: recompute the root from a leaf hash and its path."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, lh
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, path: Sequence[bytes]
) -> bool:
    """RFC 9162 section 2.1.4.2: both roots follow from the proof, so `second` extends
    `first`."""
    if first == second:
        return not path and first_root == second_root
    if not 0 < first < second or not path:
        return False
    proof = list(path)
    if first & (first - 1) == 0:  # a power of two: the old root is the proof's first node
        proof.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def root_of(leaf_hashes: Sequence[bytes], hasher: Callable[[bytes], bytes] = leaf_hash) -> bytes:
    """The tree head over raw leaves (a convenience for tests and tools)."""
    cr = CompactRange()
    for leaf in leaf_hashes:
        cr.append(hasher(leaf))
    return cr.root()
