"""Celery tasks: periodic checkpoints and retention, one transaction per tenant."""

from __future__ import annotations

import uuid

import structlog
from sqlmodel import Session, select

from audit import checkpoints, prompt, retention, service
from core.db import unit_of_work
from core.jobs import celery_app
from core.outbox.models import OutboxMessage
from core.outbox.service import handler
from core.tenancy import Tenant

log = structlog.get_logger("regie.audit")
CHECKPOINT_ALL = "audit.checkpoint_all"
PRUNE_ALL = "audit.prune_all"


def _tenant_ids() -> list[uuid.UUID]:
    with unit_of_work(None, read_only=True) as session:
        return list(session.exec(select(Tenant.id)))


@celery_app.task(name=prompt.CHECKPOINT)
def checkpoint(tenant_id: str) -> int:
    """Sign the tenant's tree head now; returns the tree size signed (0: nothing new)."""
    tid = uuid.UUID(tenant_id)
    with unit_of_work(tid) as session:
        cp = checkpoints.make_checkpoint(session, tid)
    return cp.tree_size if cp else 0


@handler(service.CHECKPOINT_REQUESTED)
def sign_requested(session: Session, message: OutboxMessage) -> None:
    """Sign what POST /audit/checkpoints asked for, in the worker and in the message's
    transaction; a broken log is reported, never signed, and not retried."""
    try:
        checkpoints.make_checkpoint(session, message.tenant_id)
    except checkpoints.LogBroken as exc:
        log.error("audit_log_broken", tenant_id=str(message.tenant_id), detail=exc.detail)


@celery_app.task(name=CHECKPOINT_ALL)
def checkpoint_all() -> int:
    """Checkpoint every tenant; one tenant's broken log never holds up the others'."""
    signed = 0
    for tid in _tenant_ids():
        try:
            signed += bool(checkpoint(str(tid)))
        except checkpoints.LogBroken as exc:
            log.error("audit_log_broken", tenant_id=str(tid), detail=exc.detail)
    return signed


@celery_app.task(name=PRUNE_ALL)
def prune_all() -> int:
    total = 0
    for tid in _tenant_ids():
        with unit_of_work(tid) as session:
            total += retention.prune(session, tid)
    return total
