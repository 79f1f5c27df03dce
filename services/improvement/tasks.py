"""Celery tasks of the improvement register, run by the scheduler."""

from __future__ import annotations

from core.jobs import celery_app
from services.improvement import feeds

PROPOSE_FROM_KPIS = "services.improvement.propose_from_kpis"


@celery_app.task(name=PROPOSE_FROM_KPIS)
def propose_from_kpis() -> int:
    """Propose an item for each figure of last month below its norm, once, in every tenant."""
    return feeds.propose_all()
