"""Celery tasks of service level management, run by the scheduler."""

from __future__ import annotations

from core.jobs import celery_app
from services.sla import warnings

WARN_BREACHES = "services.sla.warn_breaches"


@celery_app.task(name=WARN_BREACHES)
def warn_breaches() -> int:
    """Warn once about every clock that passed 75 % or 100 % of its target, in every tenant."""
    return warnings.sweep_all()
