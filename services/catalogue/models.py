"""The service catalogue: what the supplier delivers to a client, per the IT service model."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Column, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class ServiceDomain(enum.StrEnum):
    """Domains of the central government's IT service model."""

    A = "A"  # strategy, policy and direction
    B = "B"  # cross-domain services
    C = "C"  # operational technology
    D = "D"  # business technology
    E = "E"  # office automation
    F = "F"  # connectivity


class ServiceStatus(enum.StrEnum):
    active = "active"
    retired = "retired"


_version = Column("version", Integer, nullable=False, default=1)


class CatalogueEntry(TenantScoped, table=True):
    __tablename__ = "services_catalogue_entry"
    # The list's sort orders, each led by the tenant so a page never scans other tenants.
    __table_args__ = (
        UniqueConstraint("tenant_id", "code", name="uq_services_catalogue_entry_code"),
        Index("ix_services_catalogue_entry_name", "tenant_id", "name", "id"),
        Index("ix_services_catalogue_entry_created", "tenant_id", "created_at", "id"),
        Index("ix_services_catalogue_entry_ci", "tenant_id", "ci_id"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    code: str = Field(max_length=40)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    domain: ServiceDomain = Field(sa_type=enum_type(ServiceDomain))
    subdomain: int = Field(ge=1, le=17)
    status: ServiceStatus = Field(default=ServiceStatus.active, sa_type=enum_type(ServiceStatus))
    ci_id: uuid.UUID | None = None  # the CI that stands for the service in the CMDB
    version: int = Field(default=1, sa_column=_version)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
