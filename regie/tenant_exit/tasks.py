"""Celery task of API exports: a thin wrapper around the job runner."""

from __future__ import annotations

import uuid

from core.jobs import celery_app
from regie.tenant_exit import job
from regie.tenant_exit.service import RUN


@celery_app.task(name=RUN)
def run(tenant_id: str, job_id: str) -> str:
    """Write and zip the tenant's export (a finished job is left alone)."""
    return job.run(uuid.UUID(tenant_id), uuid.UUID(job_id))
