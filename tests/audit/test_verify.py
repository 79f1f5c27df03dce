"""The verifier names the first bad entry, not a later one, as far as the signed heads allow.

Logs are built here with their own key; rewrites recompute hashes the way someone with full
database access would, so only the signed checkpoints can tell."""

from __future__ import annotations

import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import signing
from audit.chain import GENESIS, canonical, entry_digest
from audit.merkle import CompactRange, leaf_hash
from audit.verify import CheckpointRecord, EntryRecord, verify_log

KEY = Ed25519PrivateKey.generate()
TENANT = str(uuid.uuid4())


def _body(seq: int, what: str = "create") -> bytes:
    return canonical({"action": what, "seq": seq, "tenant": TENANT})


def _chain(bodies: list[bytes]) -> list[EntryRecord]:
    out, prev = [], GENESIS
    for seq, body in enumerate(bodies, 1):
        digest = entry_digest(prev, seq, body).hex()
        out.append(EntryRecord(seq, prev, digest, body))
        prev = digest
    return out


def _checkpoint(entries: list[EntryRecord], size: int) -> CheckpointRecord:
    tree = CompactRange()
    for e in entries[:size]:
        tree.append(leaf_hash(bytes.fromhex(e.entry_hash)))
    chain = entries[size - 1].entry_hash
    st = signing.CheckpointStatement(TENANT, size, tree.root().hex(), chain, "2026-12-04")
    return CheckpointRecord(
        TENANT,
        size,
        st.root_hash,
        chain,
        st.issued_at,
        "k",
        KEY.sign(st.message()).hex(),
        [h.hex() for h in tree.hashes],
    )


def _verify(entries: list[EntryRecord], cps: list[CheckpointRecord]) -> int | None:
    verdict = verify_log(entries, cps, KEY.public_key(), TENANT)
    assert not verdict.ok
    return verdict.first_bad_seq


def test_an_entry_changed_with_its_own_hash_recomputed_is_named_not_the_next() -> None:
    entries = _chain([_body(i) for i in range(1, 9)])
    body = _body(3, "delete")
    e = entries[2]
    entries[2] = EntryRecord(3, e.prev_hash, entry_digest(e.prev_hash, 3, body).hex(), body)
    assert _verify(entries, []) == 3
    assert _verify(entries, [_checkpoint(_chain([_body(i) for i in range(1, 9)]), 8)]) == 3


def test_a_next_entry_whose_link_was_rewritten_is_named_itself() -> None:
    good = _chain([_body(i) for i in range(1, 7)])
    entries = list(good)
    e = entries[3]
    forged_prev = "11" * 32
    entries[3] = EntryRecord(4, forged_prev, entry_digest(forged_prev, 4, e.body).hex(), e.body)
    assert _verify(entries, [_checkpoint(good, 3)]) == 4


def test_a_consistent_rewrite_is_narrowed_by_the_checkpoints_subtree_hashes() -> None:
    bodies = [_body(i) for i in range(1, 7)]
    good = _chain(bodies)
    cps = [_checkpoint(good, 6)]  # subtrees [1..4] and [5..6]
    rewritten = _chain([*bodies[:5], _body(6, "delete")])
    assert _verify(rewritten, cps) == 5  # 1..4 are vouched for by their signed subtree
    rewritten = _chain([*bodies[:2], _body(3, "delete"), *bodies[3:]])
    assert _verify(rewritten, cps) == 1  # nothing signed covers less than 1..4


def test_a_confirmed_checkpoint_bounds_and_the_failing_one_narrows() -> None:
    bodies = [_body(i) for i in range(1, 15)]
    good = _chain(bodies)
    cps = [_checkpoint(good, 6), _checkpoint(good, 14)]  # at 14: subtrees 1..8, 9..12, 13..14
    rewritten = _chain([*bodies[:12], _body(13, "delete"), bodies[13]])
    assert _verify(rewritten, cps) == 13
    rewritten = _chain([*bodies[:6], _body(7, "delete"), *bodies[7:]])
    assert _verify(rewritten, cps) == 7  # 1..6 confirmed at 6; 1..8 fails at 14


def test_a_pair_of_entries_under_one_signed_subtree_cannot_be_told_apart() -> None:
    bodies = [_body(i) for i in range(1, 11)]
    good = _chain(bodies)
    rewritten = _chain([*bodies[:9], _body(10, "delete")])
    assert _verify(rewritten, [_checkpoint(good, 4), _checkpoint(good, 10)]) == 9
