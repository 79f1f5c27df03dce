"""Reading the log, proofs, and verification over the database. Never commits."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from itertools import islice
from queue import Full, Queue
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from audit import checkpoints, permissions, repository, sequencer, signing
from audit.capture import base_body, record
from audit.errors import CheckpointNotFound, EntryNotFound, ProofUnavailable
from audit.merkle import CompactRange, Tree, leaf_hash
from audit.models import AuditCheckpoint, AuditEntry
from audit.verify import CheckpointRecord, EntryRecord, Verdict, merge_checkpoints, verify_log
from core.identity.permissions import Principal


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
    actor.require(permissions.READ)
    entry = repository.get_entry(session, seq)
    if entry is None:
        raise EntryNotFound(f"No audit entry with sequence number {seq}.")
    record_access(session, actor, action="read", what=f"entry/{seq}")
    return entry


def list_checkpoints(
    session: Session, actor: Principal, *, limit: int, descending: bool, after: int | None
) -> tuple[list[AuditCheckpoint], int | None]:
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
    key = signing.signing_key().public_key()
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
    """Walk the stored entries, with the columns checked against the hashed bodies: by
    PostgreSQL while the rows stream, or here (SQLite, or a body PostgreSQL cannot parse)."""
    columns_bad: list[int] = []
    if session.get_bind().dialect.name == "postgresql":
        try:
            rows = _checked(_read_ahead(repository.checked_rows(session, tenant_id)), columns_bad)
            verdict = verify_log(rows, found, key, str(tenant_id))
        except DBAPIError:
            session.rollback()
            columns_bad.clear()
        else:
            return _with_columns(verdict, columns_bad)
    rows = _records(repository.plain_rows(session, tenant_id), tenant_id, columns_bad)
    return _with_columns(verify_log(rows, found, key, str(tenant_id)), columns_bad)


def _read_ahead(rows: Iterator[Any], batch: int = repository.STREAM_BATCH) -> Iterator[Any]:
    """Fetch the next batches in a thread, so the database checks rows while these are hashed;
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
            for chunk in iter(lambda: list(islice(rows, batch)), []):
                if not offer(chunk):
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
            yield from item
    finally:
        stop.set()
        reader.join()


def _with_columns(verdict: Verdict, columns_bad: list[int]) -> Verdict:
    if columns_bad and (verdict.ok or (verdict.first_bad_seq or 0) >= columns_bad[0]):
        verdict.fail(columns_bad[0], "a stored column differs from the hashed entry")
    return verdict


def _checked(rows: Iterator[Any], columns_bad: list[int]) -> Iterator[EntryRecord]:
    for seq, prev_hash, entry_hash, body, agree in rows:
        if not agree and not columns_bad:
            columns_bad.append(seq)
        yield EntryRecord(seq, prev_hash, entry_hash, body.encode())


def _records(
    rows: Iterator[Any], tenant_id: uuid.UUID, columns_bad: list[int]
) -> Iterator[EntryRecord]:
    for row in rows:
        if not columns_bad and not _columns_agree(row, tenant_id):
            columns_bad.append(row.seq)
        yield EntryRecord(row.seq, row.prev_hash, row.entry_hash, row.body.encode())


def _columns_agree(row: Any, tenant_id: uuid.UUID) -> bool:
    try:
        body = json.loads(row.body)
        expected = sequencer.columns(body)
    except (ValueError, KeyError, TypeError):
        return False
    stored = {name: getattr(row, name) for name in expected}
    return body.get("tenant") == str(tenant_id) and stored == expected


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


def checkpoint_now(session: Session, actor: Principal) -> tuple[AuditCheckpoint, bool]:
    """Sign the tree head on demand: (checkpoint, whether it is new)."""
    actor.require(permissions.MANAGE)
    made = checkpoints.make_checkpoint(session, actor.tenant_id)
    if made is not None:
        return made, True
    return _checkpoint(session, None), False
