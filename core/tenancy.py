"""Tenants (the clients) and the mixin that scopes a table to one of them."""

from __future__ import annotations

import enum
import uuid
from contextvars import ContextVar
from datetime import datetime

from sqlmodel import Field, SQLModel

from core.ids import new_id
from core.types import UTCDateTime, enum_type, utcnow

# Bound per request or job for logs and traces; the session keeps its own copy in session.info.
current_tenant: ContextVar[uuid.UUID | None] = ContextVar("current_tenant", default=None)


class TenantStatus(enum.StrEnum):
    active = "active"
    suspended = "suspended"
    offboarded = "offboarded"


class TenantKind(enum.StrEnum):
    client = "client"
    supplier = "supplier"  # the operator itself: its staff sign in through its own directory


class Tenant(SQLModel, table=True):
    """A client of the supplier. Global table: it is the tenancy itself."""

    __tablename__ = "core_tenant"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    slug: str = Field(max_length=40, unique=True, index=True)
    name: str = Field(max_length=200)
    entra_tenant_id: uuid.UUID | None = Field(default=None, unique=True)
    status: TenantStatus = Field(default=TenantStatus.active, sa_type=enum_type(TenantStatus))
    kind: TenantKind = Field(default=TenantKind.client, sa_type=enum_type(TenantKind))
    # An Entra authentication context (e.g. "c1") this tenant demands in the token's acrs.
    auth_context_id: str | None = Field(default=None, max_length=40)
    # Web sessions end after this much inactivity, and at the latest after the absolute limit.
    session_idle_minutes: int = Field(default=30, ge=5, le=24 * 60)
    session_absolute_minutes: int = Field(default=600, ge=15, le=7 * 24 * 60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TenantScoped(SQLModel):
    """Base for every tenant-owned table: `tenant_id` leads the primary key.

    The session layer filters and stamps it; PostgreSQL row-level security enforces it.
    """

    # Stamped from the session at flush; a value naming another tenant is refused there.
    tenant_id: uuid.UUID = Field(default=None, foreign_key="core_tenant.id", primary_key=True)
