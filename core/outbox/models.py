"""The transactional outbox: messages written with the change that caused them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field

from core.factories import empty_dict
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class OutboxStatus(enum.StrEnum):
    pending = "pending"
    done = "done"
    failed = "failed"


class OutboxMessage(TenantScoped, table=True):
    __tablename__ = "core_outbox_message"
    __table_args__ = (Index("ix_core_outbox_message_due", "tenant_id", "status", "available_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    topic: str = Field(max_length=100)
    payload: dict[str, Any] = Field(
        default_factory=empty_dict, sa_column=Column(JSON, nullable=False)
    )
    status: OutboxStatus = Field(default=OutboxStatus.pending, sa_type=enum_type(OutboxStatus))
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    available_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
