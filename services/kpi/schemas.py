"""API shapes of the KPI figures, their evidence and the exclusions. Percentages are 0-100
rounded to 2 decimals; null where nothing was counted."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import Field, StringConstraints

from core.api.schemas import ApiModel
from services.kpi.models import Exclusion, ExclusionState, ExclusionSubject
from services.sla.public import AgreementRef

MonthText = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=2000, strip_whitespace=True)]


class KpiName(enum.StrEnum):
    """The clock-based KPIs, each with its evidence."""

    response = "response"
    restore_platform = "restore-platform"
    restore_application = "restore-application"


class Outcome(enum.StrEnum):
    met = "met"
    missed = "missed"
    excluded = "excluded"


class ClockFigure(ApiModel):
    """Of the clocks decided in the period (stopped in it, or breached in it), the share met."""

    value: float | None = Field(description="met / (met + missed) in percent")
    met: int
    missed: int
    norm: float = Field(description="The agreement's norm in percent")
    meets_norm: bool | None = Field(description="null when nothing was decided")
    evidence: str = Field(description="The tickets behind this figure")


class AvailabilityFigure(ApiModel):
    """Within service hours over the period's months: 100 x (service - downtime) / service,
    counting attributable, unplanned outages not excluded by agreement."""

    value: float = Field(description="Percent to 3 decimals; 100 without service hours")
    service_seconds: float
    downtime_seconds: float
    norm: float
    meets_norm: bool
    evidence: list[str] = Field(description="Each month's outages, counted and left out")


class OpenedCounts(ApiModel):
    """Tickets opened in the period, of every type; by line: their current line."""

    evidence: str = Field(description="The tickets counted, and those excluded")
    total: int
    by_type: dict[str, int]
    by_priority: dict[str, int]
    by_line: dict[str, int] = Field(description="1, 2, 3, third-party, or none when unassigned")


class Backlog(ApiModel):
    """Tickets opened before the period's end and not finished by it; ages in calendar days at
    the period's end, or now while the period still runs."""

    evidence: str = Field(description="The tickets counted, and those excluded")
    count: int
    by_priority: dict[str, int]
    by_age: dict[str, int] = Field(description="Buckets 0-7, 8-30, 31-90 and >90 days")
    mean_age_days: float | None


class RestoreTime(ApiModel):
    """Restore-platform clocks stopped in the period, in business hours; p90 by nearest rank."""

    count: int
    mean_hours: float | None
    p90_hours: float | None
    evidence: str


class Rate(ApiModel):
    value: float | None = Field(description="part / whole in percent")
    part: int
    whole: int
    evidence: str = Field(description="The tickets finished in the period")


class TicketSet(enum.StrEnum):
    """The tickets behind a count: opened in the period, finished in it, open at its end."""

    opened = "opened"
    finished = "finished"
    backlog = "backlog"


class CountedTicket(ApiModel):
    ticket_id: uuid.UUID
    number: str
    type: str
    priority: str
    line: str | None
    opened_at: datetime
    finished_at: datetime | None
    resolved: bool
    first_line: bool = Field(description="Resolved on line 1 and never escalated")
    reopened: bool
    counted: bool = Field(description="False when an accepted exclusion takes it out")
    exclusion_id: uuid.UUID | None = Field(description="That exclusion")


class CountedTicketPage(ApiModel):
    period: str
    set: TicketSet
    items: list[CountedTicket]
    next_cursor: str | None


class ChangeKpi(enum.StrEnum):
    """The change figures, each with its evidence (GET /kpis/change-evidence)."""

    success_rate = "change-success-rate"
    emergency = "emergency-changes"
    caused_incidents = "changes-causing-incidents"
    lead_time = "change-lead-time"


class ChangeRate(ApiModel):
    value: float | None = Field(description="part / whole in percent; null without changes")
    part: int
    whole: int = Field(description="Changes whose implementation ended in the period")
    evidence: str = Field(description="The changes behind this figure")


class LeadTime(ApiModel):
    """Calendar hours from the change's request to its implementation."""

    count: int = Field(description="Changes implemented in the period")
    mean_hours: float | None
    evidence: str = Field(description="The changes behind this figure")


class ChangeFigures(ApiModel):
    """Of the changes whose implementation ended in the period (the first time they were
    implemented, failed or rolled back): the share that succeeded (neither failed nor rolled
    back, nor so reviewed), the share of emergency changes, the share whose review names
    incidents they caused, and the mean lead time of those implemented."""

    success_rate: ChangeRate
    emergency: ChangeRate
    caused_incidents: ChangeRate
    lead_time: LeadTime


class KpiFigures(ApiModel):
    """A tenant's figures for one period, the same for everyone who may read them."""

    period: str
    start: datetime
    end: datetime = Field(description="Exclusive: local midnight after the period's last day")
    agreement: AgreementRef = Field(description="The version in effect at the period's end")
    response: ClockFigure
    restore_platform: ClockFigure
    restore_application: ClockFigure
    availability: AvailabilityFigure
    opened: OpenedCounts
    backlog: Backlog
    restore_time: RestoreTime
    first_line_resolution: Rate = Field(
        description="Of tickets resolved in the period: resolved on line 1, never escalated"
    )
    reopened: Rate = Field(description="Of tickets finished in the period: reopened at least once")
    changes: ChangeFigures | None = Field(
        None,
        description="Absent from months closed before change figures were counted",
        exclude_if=lambda value: value is None,
    )


class ExclusionNote(ApiModel):
    exclusion_id: uuid.UUID
    month: str
    state: ExclusionState
    reason: str


class EvidenceRow(ApiModel):
    ticket_id: uuid.UUID
    number: str
    priority: str
    outcome: Outcome
    reason: str | None = Field(
        description="Why excluded: running at period end, paused at period end, "
        "not attributable, other type, other class (an incident of the other restore KPI), "
        "excluded by agreement"
    )
    decided_at: datetime | None
    elapsed_seconds: float | None = Field(description="Business seconds used")
    target_seconds: float | None
    exclusion_id: uuid.UUID | None = Field(description="The accepted exclusion that applies")
    notes: list[ExclusionNote] = Field(description="Exclusions of this ticket in the period")


class EvidencePage(ApiModel):
    period: str
    kpi: KpiName
    items: list[EvidenceRow]
    next_cursor: str | None


class OverviewRow(ApiModel):
    tenant: str = Field(description="The tenant's slug")
    tenant_name: str
    response: float | None
    restore_platform: float | None
    restore_application: float | None
    availability: float | None
    opened: int
    backlog: int
    figures: str = Field(description="The tenant's full figures (send Regie-Tenant)")


class Overview(ApiModel):
    period: str
    items: list[OverviewRow]


class YearFigure(ApiModel):
    """The year's share: the twelve months' met over their decided clocks."""

    value: float | None
    met: int
    missed: int
    norm: float
    meets_norm: bool | None


class Assessment(ApiModel):
    year: int
    agreement: AgreementRef = Field(description="The version in effect at the year's end")
    response: YearFigure
    restore_platform: YearFigure
    restore_application: YearFigure
    availability: AvailabilityFigure
    months: list[KpiFigures]


class ChangeEvidenceRow(ApiModel):
    change_id: uuid.UUID
    number: str
    type: str = Field(description="standard, normal or emergency")
    outcome: str = Field(description="succeeded, failed or rolled-back")
    requested_at: datetime
    ended_at: datetime = Field(description="When its implementation ended")
    implemented_at: datetime | None
    lead_time_hours: float | None
    incident_ids: list[uuid.UUID] = Field(description="Incidents its review says it caused")
    counted: bool = Field(description="In the figure's part (for lead time: in the mean)")


class ChangeEvidence(ApiModel):
    period: str
    kpi: ChangeKpi
    items: list[ChangeEvidenceRow] = Field(description="The figure's whole, by number")


class ExclusionCreate(ApiModel):
    month: MonthText = Field(description="The month whose figures it concerns, YYYY-MM")
    subject_kind: ExclusionSubject
    subject_id: uuid.UUID = Field(description="The ticket's or the outage's id")
    reason: Reason


class Decision(enum.StrEnum):
    accepted = "accepted"
    rejected = "rejected"


class ExclusionDecisionCreate(ApiModel):
    decision: Decision
    reason: Reason


class ExclusionPublic(ApiModel):
    id: uuid.UUID
    month: str
    subject_kind: ExclusionSubject
    subject_id: uuid.UUID
    reason: str
    state: ExclusionState
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    decision_reason: str | None
    version: int


class ExclusionPage(ApiModel):
    items: list[ExclusionPublic]
    next_cursor: str | None


def month_text(month: date) -> str:
    """A month as the API writes it, YYYY-MM."""
    return f"{month.year:04d}-{month.month:02d}"


def exclusion_public(row: Exclusion) -> ExclusionPublic:
    """An exclusion as the API answers it."""
    return ExclusionPublic(
        id=row.id,
        month=month_text(row.month),
        subject_kind=row.subject_kind,
        subject_id=row.subject_id,
        reason=row.reason,
        state=row.state,
        proposed_by=row.proposed_by,
        proposed_at=row.proposed_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        version=row.version,
    )


class ClosedMonthCreate(ApiModel):
    month: MonthText = Field(description="A month that is over, YYYY-MM")


class SignatureState(enum.StrEnum):
    """Where a closed month's signature stands: the worker adds it shortly after closing."""

    pending = "pending"  # frozen, not signed yet: neither valid nor invalid
    valid = "valid"
    invalid = "invalid"  # the stored signature does not cover the stored snapshot


SIGNATURE_VALID = "Checked against the current audit key now; null while the signature is pending"


class ClosedMonthPublic(ApiModel):
    """A closed month's snapshot, frozen when the month was closed and signed by the worker
    shortly after (`signatureState` "pending" until then, with `signature` and `keyId` null).
    The signature is the audit key's Ed25519 signature of `regie-kpi-month/v1\n` followed by
    the canonical JSON (keys sorted, no whitespace, UTF-8) of {"evidenceHash", "figures",
    "month", "tenantId"} with the values below."""

    month: str
    tenant_id: uuid.UUID
    figures: KpiFigures = Field(description="The figures as served when the month was closed")
    evidence_hash: str = Field(description="SHA-256 of the month's canonical evidence rows")
    agreement_id: uuid.UUID | None = Field(description="The agreement version the figures used")
    agreement_number: int | None = Field(description="Its number (figures.agreement.version)")
    signature: str | None = Field(description="Ed25519, hex; null while pending")
    key_id: str | None = Field(
        description="The signing key (GET /api/v1/audit/public-key); null while pending"
    )
    signature_state: SignatureState
    signature_valid: bool | None = Field(description=SIGNATURE_VALID)
    closed_by: str
    closed_at: datetime


class ClosedMonthPage(ApiModel):
    items: list[ClosedMonthPublic]
    next_cursor: str | None


class Difference(ApiModel):
    path: str = Field(description="JSON pointer (RFC 6901) into the figures")
    closed: Any = Field(description="The value in the closed snapshot (null when absent)")
    recomputed: Any = Field(description="The value computed now (null when absent)")


class Comparison(ApiModel):
    """A closed month against its figures and evidence computed now from the stored rows."""

    month: str
    figures_equal: bool
    evidence_equal: bool
    signature_state: SignatureState
    signature_valid: bool | None = Field(description=SIGNATURE_VALID)
    evidence_hash: str = Field(description="The closed snapshot's")
    recomputed_evidence_hash: str
    differences: list[Difference] = Field(description="Every figure that differs")
