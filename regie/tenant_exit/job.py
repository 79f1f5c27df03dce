"""The worker's side of an API export: claim the job, write the export, zip it, finish or fail.

Each step is its own short transaction, so the client's admin follows the progress. The
export itself reads one snapshot as the table owner, as `regie tenant export` does.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
import zipfile
from pathlib import Path
from typing import Any

import structlog
from sqlmodel import col, select

from core.db import make_engine, metadata, unit_of_work
from core.settings import get_settings
from core.types import utcnow
from regie.tenant_exit.export import export_tenant
from regie.tenant_exit.models import ExportJob, JobState
from regie.tenant_exit.service import zip_path

log = structlog.get_logger("regie.tenant_exit")
WRITTEN = 90  # percent once the export is written; zipping takes the rest


def run(tenant_id: uuid.UUID, job_id: uuid.UUID) -> str:
    """Make the job's zip (a done or failed job is left alone); the state it ends in."""
    if not _update(
        tenant_id, job_id, claim=True, state=JobState.running, progress=1, step="exporting"
    ):
        return "skipped"
    target = zip_path(tenant_id, job_id)
    work = Path(tempfile.mkdtemp(prefix="regie-export-"))
    engine = make_engine(get_settings().owner_url, pool_size=1)
    try:
        slug = _slug(tenant_id)
        tables = len(metadata.sorted_tables)

        def progress(done: int) -> None:
            percent = 1 + (WRITTEN - 1) * done // tables
            _update(tenant_id, job_id, progress=percent, step=f"exporting ({done}/{tables} tables)")

        export_tenant(engine, slug, work / "export", progress=progress)
        _update(tenant_id, job_id, progress=WRITTEN, step="zipping")
        digest, size = _zip(work / "export", target)
        _update(
            tenant_id, job_id, state=JobState.done, progress=100, step="done",
            sha256=digest, size=size, finished_at=utcnow(),
        )  # fmt: skip
    except Exception as exc:
        log.warning("export_job_failed", job_id=str(job_id), error=type(exc).__name__)
        target.unlink(missing_ok=True)
        _update(
            tenant_id, job_id, state=JobState.failed, step="failed",
            error=f"{type(exc).__name__}: the export failed; request it again",
            finished_at=utcnow(),
        )  # fmt: skip
        return JobState.failed.value
    finally:
        engine.dispose()
        shutil.rmtree(work, ignore_errors=True)
    return JobState.done.value


def _update(tenant_id: uuid.UUID, job_id: uuid.UUID, *, claim: bool = False, **values: Any) -> bool:
    with unit_of_work(tenant_id) as session:
        job = session.exec(select(ExportJob).where(col(ExportJob.id) == job_id)).first()
        if job is None or job.state in (JobState.done, JobState.failed):
            return False
        if claim:
            job.started_at = utcnow()
        for name, value in values.items():
            setattr(job, name, value)
    return True


def _slug(tenant_id: uuid.UUID) -> str:
    from core.tenancy import Tenant

    with unit_of_work(None, read_only=True) as session:
        return session.exec(select(Tenant.slug).where(col(Tenant.id) == tenant_id)).one()


def _zip(source: Path, target: Path) -> tuple[str, int]:
    """Zip the export directory file by file (streamed); the zip's SHA-256 and size."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as z:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                z.write(path, path.relative_to(source).as_posix())
    partial.replace(target)
    digest = hashlib.sha256()
    with open(target, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest(), target.stat().st_size
