"""Tables of the audit log: entries, the per-tenant head, signed checkpoints.

Entries and checkpoints are append-only (PostgreSQL refuses UPDATE/DELETE/TRUNCATE by grant
and by trigger; only the retention function deletes entries). The head is the one mutable row
per tenant: locking it sequences that tenant's writers and no one else's. On PostgreSQL the
application role writes neither entries nor the head itself: the owner's `audit_append` does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Text
from sqlmodel import Field

import core.db  # noqa: F401  (puts the constraint naming convention on the metadata first)
from core.factories import empty_list
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow

SEVEN_YEARS_DAYS = 2557
MIN_RETENTION_DAYS = 183


class AuditEntry(TenantScoped, table=True):
    """One recorded change or security event; `body` holds exactly the bytes hashed."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_entity", "tenant_id", "entity_type", "entity_id"),
        Index("ix_audit_entry_actor", "tenant_id", "actor_id"),
        Index("ix_audit_entry_occurred_at", "tenant_id", "occurred_at"),
    )

    seq: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    action: str = Field(max_length=40)
    entity_type: str = Field(max_length=100)
    entity_id: str = Field(max_length=200)
    actor_kind: str = Field(max_length=40)
    actor_id: str = Field(max_length=200)
    body: str = Field(sa_type=Text)
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHead(TenantScoped, table=True):
    """The tenant's log size and last hash, and its retention period."""

    __tablename__ = "audit_head"

    size: int = Field(default=0, sa_type=BigInteger)
    last_hash: str = Field(max_length=64)
    retention_days: int = Field(default=SEVEN_YEARS_DAYS, ge=MIN_RETENTION_DAYS)


class AuditCheckpoint(TenantScoped, table=True):
    """A signed tree head; `frontier` (the compact range at this size) lets the log verify
    from here once older entries are pruned."""

    __tablename__ = "audit_checkpoint"

    tree_size: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    root_hash: str = Field(max_length=64)
    chain_hash: str = Field(max_length=64)
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    key_id: str = Field(max_length=16)
    signature: str = Field(max_length=128)
    frontier: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON, nullable=False))
