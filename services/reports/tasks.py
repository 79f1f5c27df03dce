"""Celery tasks of reports: thin wrappers around the generator and the monthly schedule."""

from __future__ import annotations

import uuid

from core.jobs import celery_app
from services.reports import generate as generator
from services.reports import schedule
from services.reports.service import GENERATE

SEND_MONTHLY = "services.reports.send_monthly"


@celery_app.task(name=GENERATE)
def generate(tenant_id: str, job_id: str) -> str:
    """Make the job's files (idempotent: a done job is left alone)."""
    return generator.generate(uuid.UUID(tenant_id), uuid.UUID(job_id))


@celery_app.task(name=SEND_MONTHLY)
def send_monthly() -> int:
    """Make each active tenant's due monthly report, once per month."""
    return schedule.send_monthly()
