"""Service level agreements per tenant (versioned) and the SLA clocks kept per ticket."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field

from core.ids import new_id
from core.tenancy import TenantScoped
from core.types import UTCDateTime, utcnow


class Agreement(TenantScoped, table=True):
    """One version of a tenant's agreement. Never updated: a change is a new version.

    A version takes effect at 00:00 (its time zone) on `effective_from` and holds until a
    later one does; among versions of one date the highest number wins. Targets are business
    seconds keyed by priority and clock kind (`services.sla.clock.KINDS`).
    """

    __tablename__ = "services_sla_agreement"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number", name="uq_services_sla_agreement_number"),
        Index("ix_services_sla_agreement_effective", "tenant_id", "effective_from", "number"),
    )
    __audited__ = True

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: int
    effective_from: date
    timezone: str = Field(default="Europe/Amsterdam", max_length=64)
    # {"monday": [["08:30", "17:00"]], ...}: local wall-clock windows; "24:00" ends the day.
    schedule: dict[str, list[list[str]]] = Field(sa_column=Column(JSON, nullable=False))
    country: str | None = Field(default="NL", max_length=2)  # None: no public holidays
    extra_closed_days: list[str] = Field(sa_column=Column(JSON, nullable=False))  # ISO dates
    yearly_closed_days: list[str] = Field(sa_column=Column(JSON, nullable=False))  # "MM-DD"
    open_holidays: list[str] = Field(sa_column=Column(JSON, nullable=False))  # holiday names
    targets: dict[str, dict[str, float]] = Field(sa_column=Column(JSON, nullable=False))
    response_norm: float = 95.0
    restore_platform_norm: float = 95.0
    restore_application_norm: float = 95.0
    availability_norm: float = 99.4
    paused_statuses: list[str] = Field(sa_column=Column(JSON, nullable=False))
    counted_types: list[str] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# A clock's columns derived from history (all but its key and `computed_at`).
FIGURES = (
    "agreement_id",
    "priority",
    "state",
    "elapsed_seconds",
    "target_seconds",
    "remaining_seconds",
    "deadline",
    "breached_at",
    "stopped_at",
    "warn_at",
    "decided_at",
    "rejected",
    "as_of",
)


class Clock(TenantScoped, table=True):
    """One SLA clock of one ticket, as of its latest clock event (`as_of`).

    Derived data, deliberately not audited: every figure is a pure function of the ticket's
    history (tickets_event, audited) and the agreement version (audited), and
    `regie sla recompute` rebuilds and compares every row from them, so a tampered row is
    found and restored from audited records. Auditing it would add up to three entries to
    every ticket change without recording anything the audit log does not already prove.

    The figures hold at `as_of`, not at the moment of reading: a running clock's `deadline`
    stays valid until the next event, and it is breached once that deadline has passed.
    `agreement_id` is None when the default agreement applied.
    """

    __tablename__ = "services_sla_clock"
    __table_args__ = (
        ForeignKeyConstraint(
            ["tenant_id", "agreement_id"],
            ["services_sla_agreement.tenant_id", "services_sla_agreement.id"],
        ),
        # For breach warnings and KPIs: running clocks by deadline.
        Index("ix_services_sla_clock_deadline", "tenant_id", "state", "deadline"),
        Index("ix_services_sla_clock_warn_at", "tenant_id", "state", "warn_at"),
    )

    ticket_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=24)
    agreement_id: uuid.UUID | None = None
    priority: str = Field(max_length=12)
    state: str = Field(max_length=12)
    elapsed_seconds: float
    target_seconds: float
    remaining_seconds: float
    deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    breached_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When a running clock reaches 75 % of its target (see services.sla.clock); None otherwise.
    warn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What a period's figures select on without reading the ticket (migration 0040): when the
    # outcome was decided (clock.decided_at), and whether the ticket ended rejected, which
    # leaves its clocks out of the figures.
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    rejected: bool = False
    as_of: datetime = Field(sa_type=UTCDateTime)
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def figures(self) -> tuple[Any, ...]:
        """Everything derived from history: equal figures mean an unchanged clock."""
        return tuple(getattr(self, name) for name in FIGURES)


class BreachWarning(TenantScoped, table=True):
    """One breach warning of one clock at one threshold (75 or 100 % of its target).

    The key is the guarantee: a sweep inserts this row and publishes its outbox message in one
    transaction, so a sweep that dies before commit leaves nothing (the next one retries) and
    after commit the row stops any other. A clock that crosses a threshold again (a reopened
    ticket, a priority lowered and raised) is not warned about twice for it.
    """

    __tablename__ = "services_sla_warning"
    __audited__ = True

    ticket_id: uuid.UUID = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=24)
    threshold: int = Field(primary_key=True)
    due_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
