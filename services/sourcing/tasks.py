"""Celery tasks of the sourcing register, run by the scheduler."""

from __future__ import annotations

from core.jobs import celery_app
from services.sourcing import warnings

WARN = "services.sourcing.warn"


@celery_app.task(name=WARN)
def warn() -> int:
    """Warn once about every contract end, notice deadline, expiring certificate and untested
    exit plan that is due, in every tenant."""
    return warnings.sweep_all()
