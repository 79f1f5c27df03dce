"""API shapes of the sourcing register."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from core.api.pagination import Page
from core.api.schemas import ApiModel
from services.sourcing.models import DeliveryForm, PlanKind, Regime, WarningKind

Name = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Countries = Annotated[
    list[Country], Field(max_length=250, description="ISO 3166-1 alpha-2 codes, e.g. NL")
]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
NoticeDays = Annotated[int, Field(ge=0, le=3650, description="Notice period in days")]


class SupplierCreate(ApiModel):
    name: Name
    parent_id: uuid.UUID | None = Field(None, description="The supplier this is a sub-supplier of")
    ci_id: uuid.UUID | None = Field(
        None,
        description="The CI that stands for the supplier in the CMDB: what a provided-by "
        "relation points at (see the concentration report)",
    )
    delivery_countries: Countries = []
    processing_countries: Countries = Field([], description="Where the supplier processes data")
    last_risk_analysis_on: date | None = None


class SupplierUpdate(ApiModel):
    """Merge patch; null removes the parent, the CI or the risk analysis date."""

    name: Name | None = None
    parent_id: uuid.UUID | None = None
    ci_id: uuid.UUID | None = None
    delivery_countries: Countries | None = None
    processing_countries: Countries | None = None
    last_risk_analysis_on: date | None = None


class SupplierPublic(ApiModel):
    id: uuid.UUID
    name: str
    parent_id: uuid.UUID | None
    ci_id: uuid.UUID | None
    delivery_countries: list[str]
    processing_countries: list[str]
    last_risk_analysis_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


class SupplierPage(Page[SupplierPublic]):
    """One page of suppliers by name; pass nextCursor back as `cursor` for the next."""


class ContractCreate(ApiModel):
    reference: Reference
    starts_on: date
    ends_on: date | None = Field(None, description="None while it runs until notice is given")
    notice_days: NoticeDays = 0
    delivery_form: DeliveryForm
    regime: Regime = Regime.regular


class ContractUpdate(ApiModel):
    reference: Reference | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    notice_days: NoticeDays | None = None
    delivery_form: DeliveryForm | None = None
    regime: Regime | None = None


class ContractPublic(ApiModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    reference: str
    starts_on: date
    ends_on: date | None
    notice_days: int
    delivery_form: DeliveryForm
    regime: Regime
    version: int
    created_at: datetime
    updated_at: datetime


class CertificationCreate(ApiModel):
    kind: Reference = Field(description="e.g. ISO 27001, ISAE 3402 type II")
    scope: Annotated[str, StringConstraints(max_length=2000)] = ""
    expires_on: date


class CertificationUpdate(ApiModel):
    kind: Reference | None = None
    scope: Annotated[str, StringConstraints(max_length=2000)] | None = None
    expires_on: date | None = None


class CertificationPublic(ApiModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    kind: str
    scope: str
    expires_on: date
    version: int
    created_at: datetime
    updated_at: datetime


class PlanCreate(ApiModel):
    kind: PlanKind
    title: Name
    last_tested_on: date | None = None


class PlanUpdate(ApiModel):
    title: Name | None = None
    last_tested_on: date | None = None


class PlanPublic(ApiModel):
    id: uuid.UUID
    supplier_id: uuid.UUID
    kind: PlanKind
    title: str
    last_tested_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime


class ContractList(ApiModel):
    items: list[ContractPublic]


class CertificationList(ApiModel):
    items: list[CertificationPublic]


class PlanList(ApiModel):
    items: list[PlanPublic]


class WarningPublic(ApiModel):
    id: uuid.UUID
    subject_id: uuid.UUID = Field(description="The contract, certification or plan")
    kind: WarningKind
    due_on: date
    supplier_id: uuid.UUID
    detail: str
    created_at: datetime


class WarningPage(Page[WarningPublic]):
    """One page of warnings, newest first; pass nextCursor back as `cursor` for the next."""


class CatalogueRef(ApiModel):
    id: uuid.UUID
    code: str
    name: str


class Dependency(ApiModel):
    """A critical service (a CI with criticality high or vital) resting on the supplier."""

    ci_id: uuid.UUID
    name: str
    criticality: str
    via: str = Field(
        description="direct: related to the supplier's CI; graph: reaching it over other CIs; "
        "sub-supplier: depending on the supplier named in throughSupplierId, above this one"
    )
    through_supplier_id: uuid.UUID | None
    catalogue_services: list[CatalogueRef] = Field(description="Services standing for the CI")


class SupplierConcentration(ApiModel):
    supplier_id: uuid.UUID
    name: str
    ci_id: uuid.UUID | None = Field(description="The CI standing for the supplier, if any")
    parent_id: uuid.UUID | None
    critical_service_count: int
    critical_services: list[Dependency]
    processing_countries: list[str]
    outside_eu: list[str] = Field(description="Processing countries outside the EU")
    data_outside_eu: bool


class Concentration(ApiModel):
    depth: int = Field(description="How many relations a path may take")
    suppliers: list[SupplierConcentration] = Field(description="Most depended-on first")


class ConcentrationOverviewRow(ApiModel):
    tenant: str = Field(description="The client's slug")
    tenant_name: str
    supplier_id: uuid.UUID
    supplier: str
    critical_service_count: int
    direct_count: int
    critical_services: list[str]
    outside_eu: list[str]


class ConcentrationOverview(ApiModel):
    depth: int
    items: list[ConcentrationOverviewRow] = Field(description="By supplier name, then client")
