"""The per-ticket facts the KPI figures count, and the exclusions from a month's figures."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field

from core.factories import empty_list
from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, enum_type, utcnow
from services.sla.public import Clock


class TicketFactsRow(TenantScoped, table=True):
    """What the KPI figures need of one ticket, as of its latest history row (`as_of`).

    Derived data, deliberately not audited (like `services_sla_clock`): every column is a
    pure function of the ticket and its history (tickets_ticket and tickets_event, both
    audited), fed by the tickets domain on every history row and rebuilt and compared by
    `regie sla recompute`. Auditing it would add an entry to every ticket change without
    recording anything the audit log does not already prove.

    `finished_at` is when the ticket last went from an open status to resolved, closed or
    rejected (None while open); `statuses` is its status timeline, `[[iso time, status]]`.
    """

    __tablename__ = "services_kpi_ticket"
    __table_args__ = (
        Index("ix_services_kpi_ticket_opened", "tenant_id", "opened_at"),
        # Carries what the backlog at a month's end and the finished counts read (0038).
        Index(
            "ix_services_kpi_ticket_finished",
            "tenant_id",
            "finished_at",
            postgresql_include=["opened_at", "ticket_id", "resolved"],
        ),
    )

    ticket_id: uuid.UUID = Field(primary_key=True)
    number: str = Field(max_length=20)
    type: str = Field(max_length=24)
    priority: str = Field(max_length=12)
    # platform or application: the one restore KPI an incident counts in; None for others.
    incident_class: str | None = Field(default=None, max_length=12)
    line: str | None = Field(default=None, max_length=12)
    status: str = Field(max_length=24)
    opened_at: datetime = Field(sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved: bool = False
    rejected: bool = False
    reopen_count: int = 0
    escalated: bool = False
    resolved_line: str | None = Field(default=None, max_length=12)
    service_id: uuid.UUID | None = None
    statuses: list[list[str]] = Field(
        default_factory=empty_list, sa_column=Column(JSON, nullable=False)
    )
    as_of: datetime = Field(sa_type=UTCDateTime)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ExclusionSubject(enum.StrEnum):
    ticket = "ticket"
    outage = "outage"


class ExclusionState(enum.StrEnum):
    proposed = "proposed"
    accepted = "accepted"
    rejected = "rejected"


_version = Column("version", Integer, nullable=False, default=1)


class Exclusion(TenantScoped, table=True):
    """A proposal to leave a ticket or an outage out of one month's figures, and the client's
    decision on it. Only an accepted one changes a figure; the others stay visible."""

    __tablename__ = "services_kpi_exclusion"
    __table_args__ = (
        Index("ix_services_kpi_exclusion_month", "tenant_id", "month", "subject_kind", "state"),
        Index("ix_services_kpi_exclusion_proposed", "tenant_id", "proposed_at", "id"),
    )
    __mapper_args__ = {"version_id_col": _version}
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    month: date  # the first day of the month whose figures it concerns
    subject_kind: ExclusionSubject = Field(sa_type=enum_type(ExclusionSubject, 12))
    subject_id: uuid.UUID
    reason: str = Field(max_length=2000)
    state: ExclusionState = Field(
        default=ExclusionState.proposed, sa_type=enum_type(ExclusionState, 12)
    )
    proposed_by: str = Field(max_length=80)
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=80)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_reason: str | None = Field(default=None, max_length=2000)
    version: int = Field(default=1, sa_column=_version)


# The period queries on the stored clocks: stopped in a period (restore times), and decided in
# one, with what the counts read (migrations 0016 and 0040). Declared here, where they are
# used, and bound to the clock table.
_clock = Clock.__table__.c  # type: ignore[attr-defined]
Index("ix_services_sla_clock_stopped", _clock.tenant_id, _clock.kind, _clock.stopped_at)
Index(
    "ix_services_sla_clock_decided",
    _clock.tenant_id,
    _clock.kind,
    _clock.decided_at,
    postgresql_include=["breached_at", "stopped_at", "rejected"],
)


class ClosedMonth(TenantScoped, table=True):
    """A closed month: its figures frozen as the API served them, the digest of its evidence,
    and the audit key's signature over both (see services.kpi.frozen.signed_payload).

    The request that closes the month stores the snapshot unsigned; the worker, which holds
    the audit signing key, adds `signature` and `key_id` once (services.kpi.signing). Nothing
    else is ever updated, nor is a row deleted: no route changes it, and on PostgreSQL the
    application role may only insert, read, and set those two columns."""

    __tablename__ = "services_kpi_closed_month"
    __table_args__ = (
        UniqueConstraint("tenant_id", "month", name="uq_services_kpi_closed_month_month"),
        CheckConstraint("(signature IS NULL) = (key_id IS NULL)", name="signed"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    month: date  # the first day of the closed month
    figures: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    evidence_hash: str = Field(max_length=64)
    agreement_id: uuid.UUID | None = None
    agreement_number: int | None = None
    signature: str | None = Field(default=None, max_length=128)  # None until the worker signs
    key_id: str | None = Field(default=None, max_length=64)
    closed_by: str = Field(max_length=80)
    closed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
