"""Retention: prune entries past the tenant's period, only up to a signed checkpoint, so the
rest still verifies from it. The pruning is itself an entry."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session

from audit import repository
from audit.capture import base_body, record
from audit.models import MIN_RETENTION_DAYS
from core.errors import InvalidInput
from core.types import utcnow


def set_retention(session: Session, tenant_id: uuid.UUID, *, days: int) -> None:
    """Keep entries `days` long; never less than six months."""
    if days < MIN_RETENTION_DAYS:
        raise InvalidInput(f"Retention must be at least {MIN_RETENTION_DAYS} days.")
    repository.set_retention(session, tenant_id, days)


def prune(session: Session, tenant_id: uuid.UUID, *, now: datetime | None = None) -> int:
    """Delete the expired entries through the newest checkpoint that covers only expired
    ones; returns how many went."""
    head = repository.head(session)
    if head is None:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=head.retention_days)
    expired = repository.last_seq_before(session, cutoff)
    anchor = repository.latest_checkpoint(session, upto=expired) if expired else None
    first = repository.first_seq(session)
    if anchor is None or first is None or first > anchor.tree_size:
        return 0
    deleted = repository.delete_through(session, tenant_id, anchor.tree_size)
    body = base_body(session, action="prune", entity_type="audit_log", entity_id="entries")
    body["event"] = {
        "kind": "audit.prune",
        "deletedThrough": anchor.tree_size,
        "deleted": deleted,
        "anchorRootHash": anchor.root_hash,
        "retentionDays": head.retention_days,
    }
    record(session, tenant_id, [body])
    return deleted
