"""The sourcing register: who supplies what, under which contract, with which assurance,
and how the client gets out or carries on when a supplier fails (the sourcing guide's exit
plans, sub-suppliers and data locations).

A supplier may be a sub-supplier of another (`parent_id`). Warnings ahead of dates are rows
too, one per subject, kind and due date, so the daily sweep warns once.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.factories import empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow


class DeliveryForm(enum.StrEnum):
    saas = "saas"
    paas = "paas"
    iaas = "iaas"
    managed_service = "managed-service"
    software_licence = "software-licence"
    consultancy = "consultancy"
    other = "other"


class Regime(enum.StrEnum):
    """The sourcing guide's regimes: strict for what is critical or holds sensitive data."""

    regular = "regular"
    strict = "strict"


class PlanKind(enum.StrEnum):
    exit = "exit"
    continuity = "continuity"


class WarningKind(enum.StrEnum):
    contract_end = "contract-end"
    notice_deadline = "notice-deadline"
    certification_expiry = "certification-expiry"
    exit_plan_untested = "exit-plan-untested"


# One version column per table: optimistic locking and the ETag of each record.
_versions = {
    n: Column("version", Integer, nullable=False, default=1)
    for n in ("supplier", "contract", "certification", "plan")
}


def _supplier_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "supplier_id"],
        ["services_supplier.tenant_id", "services_supplier.id"],
        name=f"fk_{table}_supplier",
    )


class Supplier(TenantScoped, table=True):
    __tablename__ = "services_supplier"
    __table_args__ = (
        UniqueConstraint("tenant_id", "name", name="uq_services_supplier_name"),
        ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["services_supplier.tenant_id", "services_supplier.id"],
            name="fk_services_supplier_parent",
        ),
        Index("ix_services_supplier_ci", "tenant_id", "ci_id"),
    )
    __mapper_args__ = {"version_id_col": _versions["supplier"]}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=200)
    parent_id: uuid.UUID | None = None  # the supplier this one is a sub-supplier of
    ci_id: uuid.UUID | None = None  # the CI that stands for the supplier in the CMDB
    delivery_countries: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    processing_countries: list[str] = Field(default_factory=empty_list, sa_column=Column(JSON))
    last_risk_analysis_on: date | None = None
    version: int = Field(default=1, sa_column=_versions["supplier"])
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Contract(TenantScoped, table=True):
    __tablename__ = "services_supplier_contract"
    __table_args__ = (
        _supplier_fk("services_supplier_contract"),
        Index("ix_services_supplier_contract_end", "tenant_id", "ends_on"),
    )
    __mapper_args__ = {"version_id_col": _versions["contract"]}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    supplier_id: uuid.UUID
    reference: str = Field(max_length=100)
    starts_on: date
    ends_on: date | None = None
    notice_days: int = Field(default=0)
    delivery_form: DeliveryForm = Field(sa_type=enum_type(DeliveryForm))
    regime: Regime = Field(sa_type=enum_type(Regime))
    version: int = Field(default=1, sa_column=_versions["contract"])
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Certification(TenantScoped, table=True):
    """A certificate or assurance report (ISO 27001, ISAE 3402 type II, ...) and its expiry."""

    __tablename__ = "services_supplier_certification"
    __table_args__ = (
        _supplier_fk("services_supplier_certification"),
        Index("ix_services_supplier_certification_expiry", "tenant_id", "expires_on"),
    )
    __mapper_args__ = {"version_id_col": _versions["certification"]}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    supplier_id: uuid.UUID
    kind: str = Field(max_length=100)
    scope: str = Field(default="", max_length=2000)
    expires_on: date
    version: int = Field(default=1, sa_column=_versions["certification"])
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Plan(TenantScoped, table=True):
    """An exit or continuity plan for a supplier, and when it was last tested."""

    __tablename__ = "services_supplier_plan"
    __table_args__ = (_supplier_fk("services_supplier_plan"),)
    __mapper_args__ = {"version_id_col": _versions["plan"]}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    supplier_id: uuid.UUID
    kind: PlanKind = Field(sa_type=enum_type(PlanKind))
    title: str = Field(max_length=200)
    last_tested_on: date | None = None
    version: int = Field(default=1, sa_column=_versions["plan"])
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SourcingWarning(TenantScoped, table=True):
    """One warning about one subject (contract, certification, plan) of one kind for one due
    date: inserted with its outbox messages in one transaction, so the sweep warns once, and
    again only when the date moves (a contract extended, a plan tested)."""

    __tablename__ = "services_sourcing_warning"
    __table_args__ = (
        _supplier_fk("services_sourcing_warning"),
        UniqueConstraint(
            "tenant_id", "subject_id", "kind", "due_on", name="uq_services_sourcing_warning_due"
        ),
        Index("ix_services_sourcing_warning_created", "tenant_id", "created_at", "id"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    subject_id: uuid.UUID
    kind: WarningKind = Field(sa_type=enum_type(WarningKind, 24))
    due_on: date
    supplier_id: uuid.UUID
    detail: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
