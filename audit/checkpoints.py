"""Signed checkpoints: made periodically and on demand, kept in the database and copied to
an append-only file per tenant outside it, so rewriting the database alone is caught."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session

from audit import repository, signing
from audit.chain import GENESIS, entry_digest
from audit.errors import ProofUnavailable
from audit.merkle import CompactRange, leaf_hash
from audit.models import AuditCheckpoint
from audit.verify import CheckpointRecord
from core import events
from core.settings import get_settings
from core.types import utcnow


class LogBroken(ProofUnavailable):
    title = "Audit log fails verification"


@dataclass(frozen=True)
class CheckpointSigned:
    """A new checkpoint was signed, announced inside its transaction so that a listener's
    delivery of the witness copy commits with it (audit cannot know who receives it)."""

    session: Session
    tenant_id: uuid.UUID
    checkpoint: dict[str, Any]  # as one line of the witness file (as_json)


def make_checkpoint(session: Session, tenant_id: uuid.UUID) -> AuditCheckpoint | None:
    """Sign the tenant's current tree head, unless nothing was added since the last one.

    The entries since the previous checkpoint are checked first: a tampered log is never
    signed."""
    size, last_hash = repository.lock_head(session.connection(), tenant_id)
    latest = repository.latest_checkpoint(session)
    if size == 0 or (latest is not None and latest.tree_size == size):
        return None
    tree = _extend(session, latest, size)
    issued = utcnow()
    statement = signing.CheckpointStatement(
        str(tenant_id), size, tree.root().hex(), last_hash, issued.isoformat()
    )
    cp = AuditCheckpoint(
        tenant_id=tenant_id,
        tree_size=size,
        root_hash=statement.root_hash,
        chain_hash=last_hash,
        issued_at=issued,
        key_id=signing.key_id(signing.signing_key().public_key()),
        signature=signing.sign(statement),
        frontier=[h.hex() for h in tree.hashes],
    )
    session.add(cp)
    session.flush()
    record = record_of(cp)
    append_to_file(record)
    events.publish(CheckpointSigned(session, tenant_id, as_json(record)))
    return cp


def _extend(session: Session, latest: AuditCheckpoint | None, size: int) -> CompactRange:
    """The compact range at `size`, grown from the last checkpoint over checked entries."""
    if latest is None:
        tree, prev = CompactRange(), GENESIS
    else:
        tree = CompactRange(latest.tree_size, [bytes.fromhex(h) for h in latest.frontier])
        prev = latest.chain_hash
    for e in repository.iter_entries(session, {"seq_after": tree.size}):
        if e.seq > size:
            break
        digest = entry_digest(prev, e.seq, e.body.encode())
        if e.seq != tree.size + 1 or e.prev_hash != prev or digest.hex() != e.entry_hash:
            raise LogBroken(f"Entry {tree.size + 1} fails verification; nothing was signed.")
        tree.append(leaf_hash(digest))
        prev = e.entry_hash
    if tree.size != size:
        raise LogBroken(f"Entry {tree.size + 1} is missing; nothing was signed.")
    return tree


def record_of(cp: AuditCheckpoint) -> CheckpointRecord:
    """A stored checkpoint as the record verifiers read, in or out of the database."""
    return CheckpointRecord(
        tenant_id=str(cp.tenant_id),
        tree_size=cp.tree_size,
        root_hash=cp.root_hash,
        chain_hash=cp.chain_hash,
        issued_at=cp.issued_at.isoformat(),
        key_id=cp.key_id,
        signature=cp.signature,
        frontier=list(cp.frontier),
    )


def as_json(record: CheckpointRecord) -> dict[str, Any]:
    """A checkpoint as one line of the file kept outside the database, and of exports."""
    return {
        "type": "checkpoint",
        "tenant": record.tenant_id,
        "treeSize": record.tree_size,
        "rootHash": record.root_hash,
        "chainHash": record.chain_hash,
        "issuedAt": record.issued_at,
        "keyId": record.key_id,
        "signature": record.signature,
        "frontier": record.frontier,
    }


def from_json(data: dict[str, Any]) -> CheckpointRecord:
    """A checkpoint read back from its file or an export."""
    return CheckpointRecord(
        tenant_id=data["tenant"],
        tree_size=int(data["treeSize"]),
        root_hash=data["rootHash"],
        chain_hash=data["chainHash"],
        issued_at=data["issuedAt"],
        key_id=data["keyId"],
        signature=data["signature"],
        frontier=list(data.get("frontier") or []),
    )


def file_path(tenant_id: uuid.UUID | str) -> Path:
    """The tenant's append-only checkpoint file outside the database."""
    return get_settings().audit_checkpoint_dir / f"{tenant_id}.jsonl"


def append_to_file(record: CheckpointRecord) -> None:
    """Append one line and sync it; O_APPEND never overwrites what is there."""
    path = file_path(record.tenant_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(as_json(record), sort_keys=True) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def read_file(tenant_id: uuid.UUID) -> list[CheckpointRecord]:
    """The checkpoints kept outside the database, to compare with those inside it."""
    path = file_path(tenant_id)
    if not path.exists():
        return []
    return [from_json(json.loads(line)) for line in path.read_text().splitlines() if line]
