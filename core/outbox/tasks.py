"""Celery tasks that drain the outbox: kicked after commit, and polled by the scheduler."""

from __future__ import annotations

import uuid

from core.api import idempotency
from core.jobs import celery_app
from core.outbox import service
from core.settings import get_settings


@celery_app.task(name=service.DRAIN_TASK)
def drain(tenant_id: str) -> int:
    return service.drain_due(uuid.UUID(tenant_id), get_settings().outbox_batch_size)


@celery_app.task(name="core.outbox.drain_all")
def drain_all() -> int:
    return service.drain_all(get_settings().outbox_batch_size)


@celery_app.task(name="core.idempotency.prune_all")
def prune_idempotency() -> int:
    """Forget stored create answers older than a day, in every tenant."""
    return sum(idempotency.prune(t) for t in service.active_tenant_ids())
