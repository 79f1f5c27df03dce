"""Publish to the outbox inside a transaction; drain it at least once, effects exactly once.

Each message is handled in its own transaction together with marking it done, so a handler
whose effects live in the database takes effect exactly once even if the worker dies mid-batch:
the message either committed with its effects or stays pending. Handlers with outside effects
must be idempotent on the message id.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from core.db import session_tenant, unit_of_work
from core.jobs import enqueue_gathered
from core.observability import OUTBOX_HANDLED
from core.outbox.models import OutboxMessage, OutboxStatus
from core.settings import get_settings
from core.tenancy import Tenant, TenantStatus
from core.types import utcnow

log = structlog.get_logger("regie.outbox")

Handler = Callable[[Session, OutboxMessage], None]
HANDLERS: dict[str, Handler] = {}
MAX_ATTEMPTS = 8
DRAIN_TASK = "core.outbox.drain"


def handler(topic: str) -> Callable[[Handler], Handler]:
    """Register the function that handles messages of `topic`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[topic] = fn
        return fn

    return register


def publish(session: Session, topic: str, payload: dict[str, Any]) -> OutboxMessage:
    """Add a message to the session's transaction and have the tenant drained soon after
    commit: one send to the broker for a burst of messages, not one each, since a drain
    handles every message that is due when it runs."""
    tenant_id = session_tenant(session)
    if tenant_id is None:
        raise ValueError("An outbox message belongs to a tenant: publish in a tenant's unit.")
    message = OutboxMessage(tenant_id=tenant_id, topic=topic, payload=payload)
    session.add(message)  # inserted by the commit's flush, with the rest of the transaction
    after = get_settings().outbox_drain_after_seconds
    enqueue_gathered(session, DRAIN_TASK, str(message.tenant_id), seconds=after)
    return message


def pending_ids(tenant_id: uuid.UUID, limit: int, engine: Engine | None = None) -> list[uuid.UUID]:
    """The tenant's messages due for handling, oldest first, up to `limit`."""
    with unit_of_work(tenant_id, engine, read_only=True) as session:
        stmt = (
            select(OutboxMessage.id)
            .where(OutboxMessage.status == OutboxStatus.pending)
            .where(OutboxMessage.available_at <= utcnow())
            .order_by(col(OutboxMessage.id))
            .limit(limit)
        )
        return list(session.exec(stmt))


def drain_due(tenant_id: uuid.UUID, limit: int = 100, engine: Engine | None = None) -> int:
    """Handle batches of `limit` until one is not full: a drain stands for every message
    published before it ran, however large the burst; returns how many were handled."""
    total = 0
    while True:
        handled = drain(tenant_id, limit, engine)
        total += handled
        if handled < limit:
            return total


def drain(tenant_id: uuid.UUID, limit: int = 100, engine: Engine | None = None) -> int:
    """Handle up to `limit` due messages of one tenant; returns how many were handled."""
    handled = 0
    for message_id in pending_ids(tenant_id, limit, engine):
        try:
            with unit_of_work(tenant_id, engine) as session:
                handled += _handle_one(session, message_id)
        except Exception as exc:
            _record_failure(tenant_id, message_id, exc, engine)
    return handled


def _handle_one(session: Session, message_id: uuid.UUID) -> int:
    stmt = select(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.pending
    )
    if session.get_bind().dialect.name == "postgresql":
        # Another worker holding the row is handling it: skip rather than wait.
        stmt = stmt.with_for_update(skip_locked=True)
    message = session.exec(stmt).first()
    if message is None:
        return 0
    fn = HANDLERS.get(message.topic)
    if fn is None:
        raise LookupError(f"no handler for topic {message.topic!r}")
    fn(session, message)
    message.status = OutboxStatus.done
    message.processed_at = utcnow()
    message.attempts += 1
    OUTBOX_HANDLED.labels(message.topic, "done").inc()
    return 1


def _record_failure(
    tenant_id: uuid.UUID, message_id: uuid.UUID, exc: Exception, engine: Engine | None
) -> None:
    log.warning("outbox_handler_failed", message_id=str(message_id), error=type(exc).__name__)
    with unit_of_work(tenant_id, engine) as session:
        message = session.get(OutboxMessage, (tenant_id, message_id))
        if message is None or message.status != OutboxStatus.pending:
            return
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"[:500]
        # Exponential backoff: 2, 4, 8 ... seconds, then give up and keep it visible as failed.
        message.available_at = utcnow() + timedelta(seconds=2**message.attempts)
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.failed
        OUTBOX_HANDLED.labels(message.topic, "error").inc()


def active_tenant_ids(engine: Engine | None = None) -> list[uuid.UUID]:
    """The tenants whose outboxes a full drain visits."""
    with unit_of_work(None, engine, read_only=True) as session:
        stmt = select(Tenant.id).where(Tenant.status == TenantStatus.active)
        return list(session.exec(stmt))


def drain_all(limit: int = 100, engine: Engine | None = None) -> int:
    """Drain every active tenant in turn; one tenant's backlog never blocks another's."""
    return sum(drain(tenant_id, limit, engine) for tenant_id in active_tenant_ids(engine))
