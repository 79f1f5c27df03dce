"""The worker's side of an import: claim it, check every row, then write or only report.

Checking runs in chunks, each in its own short read transaction followed by a progress
step, so a reader follows the progress. The writes of a real run, and the import's report,
are then one transaction: when anything fails (a CI changed meanwhile, a key taken, a crash)
it rolls back whole and no CI of the file is written. A dry run stops after checking.
A claim raises the import's `attempt`; each later step checks that it is still the latest,
so a task delivered again takes over an import left running by a killed worker.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cmdb import classes
from cmdb.imports import repository
from cmdb.imports.models import CiImport, ImportFormat, ImportState
from cmdb.imports.plan import Planned, RowOutcome, plan
from cmdb.imports.rows import Unreadable, read
from cmdb.models import Ci, VersionAction
from cmdb.service import version_row
from core.context import Actor
from core.db import unit_of_work
from core.types import utcnow

log = structlog.get_logger("regie.cmdb.imports")
CHUNK = 1000  # rows checked per read transaction
WRITE_CHUNK = 500  # CIs written per flush
CHECKED = 90  # percent once every row is checked; writing takes the rest


class Superseded(Exception):
    """Another attempt took the import over, or it ended meanwhile."""


class ChangedMeanwhile(Exception):
    """A CI the import would update was changed after its row was checked."""


@dataclass(frozen=True)
class Claim:
    attempt: int
    class_id: uuid.UUID
    format: ImportFormat
    dry_run: bool
    content: bytes
    requested_by: str
    requested_by_name: str


def run(tenant_id: uuid.UUID, import_id: uuid.UUID, engine: Engine | None = None) -> str:
    """Run the import; returns the state it was left in (idempotent once done or failed)."""
    claim = _claim(tenant_id, import_id, engine)
    if claim is None:
        return "skipped"
    try:
        planned = _check(tenant_id, import_id, claim, engine)
        if claim.dry_run:
            _finish(tenant_id, import_id, claim, engine, planned)
        else:
            _write(tenant_id, import_id, claim, engine, planned)
    except Superseded:
        log.info("ci_import_superseded", import_id=str(import_id), attempt=claim.attempt)
        return "superseded"
    except Exception as exc:
        log.warning("ci_import_failed", import_id=str(import_id), error=type(exc).__name__)
        _fail(tenant_id, import_id, claim, engine, exc)
        return ImportState.failed.value
    return ImportState.done.value


def _claim(tenant_id: uuid.UUID, import_id: uuid.UUID, engine: Engine | None) -> Claim | None:
    with unit_of_work(tenant_id, engine) as session:
        job = repository.get(session, import_id, lock=True)
        if job is None or job.state not in (ImportState.queued, ImportState.running):
            return None
        job.attempt += 1
        job.state, job.progress, job.step = ImportState.running, 1, "reading the file"
        job.started_at, job.error, job.report = utcnow(), None, None
        return Claim(
            job.attempt,
            job.class_id,
            job.format,
            job.dry_run,
            job.content,
            job.requested_by,
            job.requested_by_name,
        )


def _check(
    tenant_id: uuid.UUID, import_id: uuid.UUID, claim: Claim, engine: Engine | None
) -> list[Planned]:
    with unit_of_work(tenant_id, engine, read_only=True) as session:
        found = classes.find(session, claim.class_id)
    if found is None:
        raise ValueError("the class no longer exists")
    rows = read(claim.content, claim.format, found.attributes)
    planned: list[Planned] = []
    seen: dict[str, int] = {}
    for start in range(0, len(rows), CHUNK):
        with unit_of_work(tenant_id, engine, read_only=True) as session:
            planned += plan(session, found, rows[start : start + CHUNK], seen)
        share = 1 + (CHECKED - 1) * len(planned) // max(len(rows), 1)
        _step(tenant_id, import_id, claim, engine, share, f"checked {len(planned)} of {len(rows)}")
    return planned


def _write(
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    claim: Claim,
    engine: Engine | None,
    planned: list[Planned],
) -> None:
    _step(tenant_id, import_id, claim, engine, CHECKED, "writing")
    kind, _, actor_id = claim.requested_by.partition(":")
    with unit_of_work(tenant_id, engine) as session:
        # Audited as the person who asked for the import, like a CI write of their own.
        session.info["actor"] = Actor(kind=kind, id=actor_id)
        writes = [p for p in planned if p.outcome in (RowOutcome.created, RowOutcome.updated)]
        for start in range(0, len(writes), WRITE_CHUNK):
            _write_chunk(session, claim, writes[start : start + WRITE_CHUNK])
        _done(session, import_id, claim, planned)


def _write_chunk(session: Session, claim: Claim, chunk: list[Planned]) -> None:
    updates = [p.ci_id for p in chunk if p.ci_id is not None]
    current = repository.by_id(session, updates, lock=True)
    now = utcnow()
    written: list[tuple[Ci, VersionAction]] = []
    for item in chunk:
        if item.outcome == RowOutcome.updated:
            ci = current.get(item.ci_id) if item.ci_id else None
            if ci is None or ci.version != item.version:
                raise ChangedMeanwhile(f"row {item.row}: the CI changed while the import ran")
            for name, value in item.state.items():
                setattr(ci, name, value)
            ci.updated_at = now
            written.append((ci, VersionAction.updated))
        else:
            ci = Ci(class_id=claim.class_id, natural_key=item.natural_key, **item.state)
            ci.created_at = ci.updated_at = now
            session.add(ci)
            item.ci_id = ci.id
            written.append((ci, VersionAction.created))
    session.flush()
    label, name = claim.requested_by, claim.requested_by_name
    for ci, action in written:
        session.add(version_row(ci, action, actor_label=label, actor_name=name))
    session.flush()


def _report(planned: list[Planned]) -> dict[str, Any]:
    counts = Counter(p.outcome.value for p in planned)
    return {
        "rows": len(planned),
        **{o.value: counts.get(o.value, 0) for o in RowOutcome},
        "items": [p.entry() for p in planned],
    }


def _finish(
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    claim: Claim,
    engine: Engine | None,
    planned: list[Planned],
) -> None:
    with unit_of_work(tenant_id, engine) as session:
        _done(session, import_id, claim, planned)


def _done(session: Session, import_id: uuid.UUID, claim: Claim, planned: list[Planned]) -> None:
    job = _own(session, import_id, claim)
    job.state, job.progress, job.step = ImportState.done, 100, "done"
    job.finished_at, job.report = utcnow(), _report(planned)


def _step(
    tenant_id: uuid.UUID,
    import_id: uuid.UUID,
    claim: Claim,
    engine: Engine | None,
    progress: int,
    step: str,
) -> None:
    with unit_of_work(tenant_id, engine) as session:
        job = _own(session, import_id, claim)
        job.progress, job.step = progress, step


def _fail(
    tenant_id: uuid.UUID, import_id: uuid.UUID, claim: Claim, engine: Engine | None, exc: Exception
) -> None:
    try:
        with unit_of_work(tenant_id, engine) as session:
            job = _own(session, import_id, claim)
            job.state, job.finished_at = ImportState.failed, utcnow()
            job.step, job.error = "failed", _reason(exc)[:500]
    except Superseded:
        pass


def _reason(exc: Exception) -> str:
    """Why the import failed, in words for the person who asked (no SQL)."""
    if isinstance(exc, IntegrityError):
        return "A CI with a natural key of the file was recorded meanwhile; run the import again."
    if isinstance(exc, ChangedMeanwhile | Unreadable | ValueError):
        return str(exc)
    return f"The import failed ({type(exc).__name__}); nothing was written."


def _own(session: Session, import_id: uuid.UUID, claim: Claim) -> CiImport:
    job = repository.get(session, import_id, lock=True)
    if job is None or job.attempt != claim.attempt or job.state != ImportState.running:
        raise Superseded(str(import_id))
    return job
