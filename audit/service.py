"""Reading the log, proofs, and verification over the database. Never commits."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from datetime import datetime
from queue import Full, Queue
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlmodel import Session

from audit import checkpoints, permissions, repository, sequencer, signing
from audit.capture import base_body, record
from audit.errors import CheckpointNotFound, EntryNotFound, ProofUnavailable
from audit.merkle import CompactRange, Tree, leaf_hash
from audit.models import AuditCheckpoint, AuditEntry
from audit.verify import CheckpointRecord, Verdict, merge_checkpoints, verify_log
from core.identity.permissions import Principal
from core.outbox import service as outbox


def record_access(session: Session, actor: Principal, *, action: str, what: str) -> None:
    """Reading and exporting the log are entries themselves, in the reader's transaction."""
    body = base_body(session, action=action, entity_type="audit_log", entity_id=what)
    body["event"] = {"kind": f"audit.{action}", "permission": permissions.READ}
    record(session, actor.tenant_id, [body])


def list_entries(
    session: Session,
    actor: Principal,
    *,
    filters: dict[str, Any],
    limit: int,
    descending: bool,
    after: int | None,
) -> tuple[list[AuditEntry], int | None]:
    """One page in sequence order, plus the cursor's sequence number when more follow."""
    actor.require(permissions.READ)
    record_access(session, actor, action="read", what="entries")
    rows = repository.page(
        session, filters=filters, limit=limit + 1, descending=descending, after=after
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].seq if more and rows else None


def get_entry(session: Session, actor: Principal, *, seq: int) -> AuditEntry:
    """One entry for an audit reader; the read itself is recorded as an access."""
    actor.require(permissions.READ)
    entry = repository.get_entry(session, seq)
    if entry is None:
        raise EntryNotFound(f"No audit entry with sequence number {seq}.")
    record_access(session, actor, action="read", what=f"entry/{seq}")
    return entry


def list_checkpoints(
    session: Session, actor: Principal, *, limit: int, descending: bool, after: int | None
) -> tuple[list[AuditCheckpoint], int | None]:
    """A page of checkpoints for an audit reader, with the cursor of the next."""
    actor.require(permissions.READ)
    rows = repository.checkpoint_page(session, limit=limit + 1, descending=descending, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, rows[-1].tree_size if more and rows else None


def _checkpoint(session: Session, size: int | None) -> AuditCheckpoint:
    cp = (
        repository.latest_checkpoint(session)
        if size is None
        else repository.checkpoint_at(session, size)
    )
    if cp is None:
        raise CheckpointNotFound("No checkpoint of that size; make one or pick another.")
    return cp


def _tree(session: Session, size: int) -> Tree:
    """The tree over the retained entries, with the pruned prefix from its checkpoint."""
    first = repository.first_seq(session) or size + 1
    prefix = CompactRange()
    if first > 1:
        anchor = repository.checkpoint_at(session, first - 1)
        if anchor is None:
            raise ProofUnavailable("The retained log has no anchoring checkpoint.")
        prefix = CompactRange(anchor.tree_size, [bytes.fromhex(h) for h in anchor.frontier])
    hashes = repository.entry_hashes(session, after=prefix.size, upto=size)
    return Tree([leaf_hash(bytes.fromhex(h)) for h in hashes], prefix)


def inclusion_proof(
    session: Session, actor: Principal, *, seq: int, tree_size: int | None
) -> tuple[AuditEntry, AuditCheckpoint, list[str]]:
    """The audit path from an entry to a signed tree head that contains it."""
    entry = get_entry(session, actor, seq=seq)
    cp = _checkpoint(session, tree_size)
    if seq > cp.tree_size:
        raise ProofUnavailable(f"Entry {seq} is not yet covered by that checkpoint.")
    try:
        path = _tree(session, cp.tree_size).inclusion_path(seq - 1, cp.tree_size)
    except LookupError as exc:
        raise ProofUnavailable(str(exc)) from None
    return entry, cp, [p.hex() for p in path]


def consistency_proof(
    session: Session, actor: Principal, *, first: int, second: int
) -> tuple[AuditCheckpoint, AuditCheckpoint, list[str]]:
    """Proof that the checkpoint at `second` extends the one at `first` (append-only)."""
    actor.require(permissions.READ)
    if not 0 < first <= second:
        raise ProofUnavailable("Need 0 < first <= second.")
    old, new = _checkpoint(session, first), _checkpoint(session, second)
    record_access(session, actor, action="read", what=f"consistency/{first}/{second}")
    try:
        path = _tree(session, second).consistency_path(first, second)
    except LookupError as exc:
        raise ProofUnavailable(str(exc)) from None
    return old, new, [p.hex() for p in path]


def public_key() -> dict[str, str]:
    """The key that verifies checkpoints, published so anyone can check an export."""
    key = signing.public_key()
    return {
        "algorithm": "Ed25519",
        "keyId": signing.key_id(key),
        "publicKey": base64.b64encode(signing.public_bytes(key)).decode(),
    }


def verify_tenant(
    session: Session, tenant_id: uuid.UUID, witness: Sequence[CheckpointRecord] = ()
) -> Verdict:
    """Recompute chain and tree of the stored log against every checkpoint: those in the
    database, those in the file outside it, and a client's witness copy when given."""
    key = signing.public_key()
    found = merge_checkpoints(
        [
            ("database", [checkpoints.record_of(cp) for cp in repository.checkpoints(session)]),
            ("file", checkpoints.read_file(tenant_id)),
            ("witness", witness),
        ],
        key,
        str(tenant_id),
    )
    if isinstance(found, Verdict):
        return found
    verdict = _verify_rows(session, tenant_id, found, key)
    head = repository.head(session)
    last = verdict.entries + (repository.first_seq(session) or 1) - 1
    if verdict.ok and head is not None and head.size != last:
        verdict.fail(min(head.size, last) + 1, f"the head says {head.size} entries, found {last}")
    return verdict


def _verify_rows(
    session: Session,
    tenant_id: uuid.UUID,
    found: list[CheckpointRecord],
    key: Ed25519PublicKey,
) -> Verdict:
    """Walk the stored entries, each one's filter columns checked against its hashed body,
    while a reader thread keeps the next batches coming from the database."""
    columns_bad: list[int] = []
    with closing(_read_ahead(repository.verified_batches(session, tenant_id))) as batches:
        rows = _columns_checked(batches, str(tenant_id), columns_bad)
        verdict = verify_log(rows, found, key, str(tenant_id))
    if columns_bad and (verdict.ok or (verdict.first_bad_seq or 0) >= columns_bad[0]):
        verdict.fail(columns_bad[0], "a stored column differs from the hashed entry")
    return verdict


def _read_ahead(batches: Iterator[list[Any]]) -> Generator[list[Any], None, None]:
    """Fetch the next batches in a thread, so the database reads rows while these are hashed;
    errors surface here, and stopping early lets the reader go."""
    queue: Queue[list[Any] | BaseException | None] = Queue(maxsize=4)
    stop = threading.Event()

    def offer(item: list[Any] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def read() -> None:
        try:
            for batch in batches:
                if not offer(batch):
                    return
            offer(None)
        except BaseException as exc:  # handed to the consumer, which raises it
            offer(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join()
        close = getattr(batches, "close", None)
        if close is not None:
            close()


def _columns_checked(
    batches: Iterator[list[Any]], tenant: str, columns_bad: list[int]
) -> Iterator[Any]:
    """The rows, noting the first whose filter columns differ from its body (checked a batch
    at a time; the caller weighs it against where the chain breaks)."""
    agree = _columns_agree
    for batch in batches:
        if not columns_bad:
            for row in batch:
                if not agree(row, tenant):
                    columns_bad.append(row[0])
                    break
        yield from batch


class _Party(msgspec.Struct, gc=False):
    id: str
    kind: str


class _Entity(msgspec.Struct, gc=False):
    id: str
    type: str


class _Filtered(msgspec.Struct, gc=False):
    """The body fields that audit.sequencer.columns repeats in columns; the rest is skipped."""

    action: str
    actor: _Party
    entity: _Entity
    tenant: str
    time: str


_decode_filtered = msgspec.json.Decoder(_Filtered).decode


def _columns_agree(row: Any, tenant: str) -> bool:
    """Whether the stored columns are what audit.sequencer.columns derives from the body.

    The decoder reads only those fields; any body it cannot take (not JSON as it reads it,
    a field missing or of another type) gets the full parse, which decides."""
    body, occurred_at, action, entity_type, entity_id, actor_kind, actor_id = row[3:10]
    try:
        b = _decode_filtered(body)
        when = datetime.fromisoformat(b.time)
    except (msgspec.MsgspecError, ValueError):
        return _columns_agree_parsed(row, tenant)
    return (
        b.tenant == tenant
        and b.action == action
        and b.entity.type[:100] == entity_type
        and b.entity.id[:200] == entity_id
        and b.actor.kind[:40] == actor_kind
        and b.actor.id[:200] == actor_id
        and when == occurred_at
    )


def _columns_agree_parsed(row: Any, tenant: str) -> bool:
    try:
        body = json.loads(row[3])
        expected = sequencer.columns(body)
    except (ValueError, KeyError, TypeError):
        return False
    stored = dict(zip(_COLUMN_NAMES, row[4:10], strict=True))
    return body.get("tenant") == tenant and stored == expected


_COLUMN_NAMES = ("occurred_at", "action", "entity_type", "entity_id", "actor_kind", "actor_id")


def witness_file(session: Session, actor: Principal) -> str:
    """The tenant's signed checkpoints as JSON lines: a copy the client keeps, so that a log
    cut back below a size it holds fails `regie audit verify --witness`."""
    actor.require(permissions.WITNESS)
    body = base_body(session, action="export", entity_type="audit_log", entity_id="witness")
    body["event"] = {"kind": "audit.export", "permission": permissions.WITNESS}
    record(session, actor.tenant_id, [body])
    lines = (
        checkpoints.as_json(checkpoints.record_of(cp)) for cp in repository.checkpoints(session)
    )
    return "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines)


CHECKPOINT_REQUESTED = "audit.checkpoint_requested"


def request_checkpoint(session: Session, actor: Principal) -> tuple[int, AuditCheckpoint | None]:
    """Ask the worker, which holds the signing key (the API does not), to sign the tree head
    now: (the size it will sign, the latest checkpoint). When nothing was added since the
    latest checkpoint, nothing is asked and the size is the latest's."""
    actor.require(permissions.MANAGE)
    head = repository.head(session)
    if head is None or head.size == 0:
        raise CheckpointNotFound("The log is empty: there is nothing to sign.")
    latest = repository.latest_checkpoint(session)
    if latest is None or latest.tree_size < head.size:
        outbox.publish(session, CHECKPOINT_REQUESTED, {"treeSize": head.size})
    return head.size, latest
