"""Prompt checkpoints: after a commit that appended entries, ask the worker (which holds the
signing key) to sign the tenant's tree head a few seconds later.

Batched per process: one request per tenant per delay, run at its end, covers every write of
that stretch; the scheduler's periodic checkpoint is the backstop when a request is lost."""

from __future__ import annotations

import threading
import time
import uuid

import structlog

from core.jobs import celery_app
from core.settings import get_settings

log = structlog.get_logger("regie.audit")
CHECKPOINT = "audit.checkpoint"
_last_sent: dict[uuid.UUID, float] = {}
_lock = threading.Lock()


def request_checkpoints(tenant_ids: set[uuid.UUID]) -> None:
    """Ask for a checkpoint of each tenant, unless one is already due within the delay."""
    delay = get_settings().audit_checkpoint_delay_seconds
    now = time.monotonic()
    with _lock:
        due = [t for t in tenant_ids if now - _last_sent.get(t, -delay) >= delay]
        for tenant_id in due:
            _last_sent[tenant_id] = now
    for tenant_id in due:
        try:
            celery_app.send_task(CHECKPOINT, args=[str(tenant_id)], countdown=delay)
        except Exception as exc:  # the periodic checkpoint covers it; never fail a commit
            log.warning("audit_checkpoint_request_failed", error=type(exc).__name__)
            with _lock:
                _last_sent.pop(tenant_id, None)
