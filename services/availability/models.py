"""Outages of the service: when it was down, how far, why, and whether the supplier caused it."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class Scope(enum.StrEnum):
    """How much was down: the platform, the application on it, or one catalogue service."""

    platform = "platform"
    application = "application"
    service = "service"


class Cause(enum.StrEnum):
    supplier = "supplier"
    client_landscape = "client-landscape"
    third_party = "third-party"
    internet = "internet"
    unknown = "unknown"


_version = Column("version", Integer, nullable=False, default=1)


class Outage(TenantScoped, table=True):
    """One period in which (part of) the service was unavailable; `end_at` None while ongoing.

    `service_id` names a catalogue entry when the scope is `service`, and is None otherwise.
    `incident_id` is the monitoring incident (a ticket) it was recorded from: a plain id, no
    foreign key, since tickets live in a higher layer; at most one outage per incident.
    """

    __tablename__ = "services_availability_outage"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_services_availability_outage_number"),
        UniqueConstraint(
            "tenant_id", "incident_id", name="uq_services_availability_outage_incident"
        ),
        # The list's sort orders and the month's overlap query, led by the tenant.
        Index("ix_services_availability_outage_start", "tenant_id", "start_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: int
    start_at: datetime = Field(sa_type=UTCDateTime)
    end_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    scope: Scope = Field(sa_type=enum_type(Scope))
    service_id: uuid.UUID | None = None
    description: str = Field(max_length=4000)
    attributable: bool = True
    cause: Cause = Field(default=Cause.unknown, sa_type=enum_type(Cause, 24))
    planned: bool = False
    incident_id: uuid.UUID | None = None
    created_by: str = Field(max_length=80)
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
