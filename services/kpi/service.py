"""The KPI figures of a tenant for a period, its overview across tenants, and the yearly
assessment.

Rules. A stored SLA clock is decided once: when it was breached, unless it stopped before
that (then when it stopped, met). A period counts the clocks decided within it, leaving out
rejected tickets (not attributable to the supplier) and tickets an accepted exclusion takes
out of the month of the decision. Norms are those of the agreement version in effect on the
period's last day. Everything is computed from stored rows alone, never from the moment of
reading, so everyone who may read a tenant's figures gets the same bytes; the one exception
is a period still running, whose backlog ages are measured now (`min(period end, now)`).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session

from core.api.openapi import API_PREFIX
from core.db import reading_tenants
from core.identity.access import reach
from core.identity.permissions import Principal
from core.tenancy import TenantKind
from core.types import utcnow
from services.availability import public as availability
from services.kpi import change_figures, frozen, permissions, repository, schemas, ticket_sets
from services.kpi import figures as f
from services.kpi.figures import Period
from services.kpi.models import ExclusionSubject
from services.kpi.schemas import KpiName
from services.sla import public as sla

KIND_OF = {
    KpiName.response: sla.RESPONSE,
    KpiName.restore_platform: sla.RESTORE_PLATFORM,
    KpiName.restore_application: sla.RESTORE_APPLICATION,
}
NORM_OF = {
    sla.RESPONSE: "response_norm",
    sla.RESTORE_PLATFORM: "restore_platform_norm",
    sla.RESTORE_APPLICATION: "restore_application_norm",
}
TYPES = ("incident", "service-request", "question", "change-request", "onboarding", "offboarding")
PRIORITIES = ("urgent", "high", "medium", "low")
LINES = ("1", "2", "3", "third-party", "none")
Excluded = set[tuple[uuid.UUID, date]]


def read_figures(session: Session, actor: Principal, *, period: str) -> schemas.KpiFigures:
    """The tenant's figures for `period` (400 for a period that is none); a closed month's
    are its frozen snapshot."""
    actor.require(permissions.READ)
    parsed = f.parse_period(period)
    return frozen.figures(session, parsed) or compute(session, parsed)


def compute(session: Session, period: Period) -> schemas.KpiFigures:
    """The figures of the session's tenant for `period`; a function of stored rows alone."""
    agreement = sla.in_effect(session, period.last_instant)
    tickets, outages = _accepted(session, period.months)
    left = _left_out(session, tickets)
    return schemas.KpiFigures(
        period=period.text,
        start=period.start,
        end=period.end,
        agreement=sla.agreement_ref(agreement),
        **_clock_figures(session, period, left, agreement),
        availability=_availability(period, agreement, session, outages),
        opened=_opened(session, period, left),
        backlog=_backlog(session, period, tickets),
        restore_time=_restore_time(session, period, left),
        **_rates(session, period, left),
        changes=change_figures.compute(session, period),
    )


def read_change_evidence(
    session: Session, actor: Principal, *, period: str, kpi: schemas.ChangeKpi
) -> schemas.ChangeEvidence:
    """The changes behind one change figure of `period`, computed from the stored rows."""
    actor.require(permissions.READ)
    return change_figures.evidence(session, f.parse_period(period), kpi)


def _accepted(
    session: Session, months: Sequence[date]
) -> tuple[Excluded, dict[date, frozenset[uuid.UUID]]]:
    """The accepted exclusions of `months`, in one query: (ticket, month) pairs, and the
    outages taken out of each month."""
    tickets: Excluded = set()
    outages: dict[date, set[uuid.UUID]] = {month: set() for month in months}
    for kind, subject_id, month in repository.accepted_in(session, months):
        if kind == ExclusionSubject.ticket:
            tickets.add((subject_id, month))
        elif kind == ExclusionSubject.outage:
            outages[month].add(subject_id)
    return tickets, {month: frozenset(ids) for month, ids in outages.items()}


@dataclass(frozen=True)
class LeftOut:
    """The tickets of accepted exclusions, with their facts and clocks: the SQL counts take
    in every ticket, and what an exclusion takes out is subtracted from them."""

    excluded: Excluded
    facts: dict[uuid.UUID, Any]
    clocks: list[Any]

    def out(self, ticket_id: uuid.UUID, at: datetime | None) -> bool:
        """Whether an accepted exclusion takes the ticket out of the month of `at`."""
        return at is not None and (ticket_id, f.month_of(at)) in self.excluded

    def counted_clocks(self, kind: str) -> list[Any]:
        """The clocks of `kind` of tickets the clock figures count (those not rejected)."""
        return [
            row
            for row in self.clocks
            if row.kind == kind
            and row.ticket_id in self.facts
            and not self.facts[row.ticket_id].rejected
        ]


def _left_out(session: Session, excluded: Excluded) -> LeftOut:
    """The facts and clocks of the excluded tickets; LeftOut.out() checks the month, so one
    serves every period of those months."""
    ids = {ticket_id for ticket_id, _ in excluded}
    if not ids:
        return LeftOut(excluded, {}, [])
    facts = {row.ticket_id: row for row in repository.facts_of(session, ids)}
    return LeftOut(excluded, facts, repository.clocks_of(session, ids))


def _within(period: Period, at: datetime | None) -> bool:
    return at is not None and period.start <= at < period.end


def _tallies(session: Session, period: Period, left: LeftOut) -> dict[str, Counter[str]]:
    """Met and missed per clock kind: counted in SQL, less what the exclusions take out."""
    counted = repository.decided_counts(session, period.start, period.end, sla.KINDS)
    return _tallied(counted, period, left)


def _tallied(counted: Iterable[Any], period: Period, left: LeftOut) -> dict[str, Counter[str]]:
    """The (kind, missed, decided) counts of SQL less what the exclusions take out."""
    tallies: dict[str, Counter[str]] = {kind: Counter() for kind in sla.KINDS}
    for kind, missed, total in counted:
        tallies[kind].update(met=total - missed, missed=missed)
    for kind in sla.KINDS:
        for row in left.counted_clocks(kind):
            at = sla.decided_at(row.breached_at, row.stopped_at)
            if _within(period, at) and left.out(row.ticket_id, at):
                tallies[kind][f.outcome(row.breached_at, row.stopped_at)] -= 1
    return tallies


def evidence_url(period: Period, kpi: KpiName) -> str:
    """Where the clocks behind a KPI are listed, so a figure can be checked."""
    return f"{API_PREFIX}/kpis/evidence?period={period.text}&kpi={kpi.value}"


def _clock_figures(
    session: Session, period: Period, left: LeftOut, agreement: sla.Agreement
) -> dict[str, schemas.ClockFigure]:
    tallies = _tallies(session, period, left)
    return {_field(kpi): _clock_figure(period, kpi, tallies, agreement) for kpi in KpiName}


def _clock_figure(
    period: Period, kpi: KpiName, tallies: dict[str, Counter[str]], agreement: sla.Agreement
) -> schemas.ClockFigure:
    kind = KIND_OF[kpi]
    met, missed = tallies[kind]["met"], tallies[kind]["missed"]
    value, norm = f.percent(met, met + missed), getattr(agreement, NORM_OF[kind])
    return schemas.ClockFigure(
        value=value,
        met=met,
        missed=missed,
        norm=norm,
        meets_norm=None if value is None else value >= norm,
        evidence=evidence_url(period, kpi),
    )


def _availability(
    period: Period,
    agreement: sla.Agreement,
    session: Session,
    outages: dict[date, frozenset[uuid.UUID]],
) -> schemas.AvailabilityFigure:
    """Each month as availability management measures it, less the outages an accepted
    exclusion takes out of that month; `agreement` is the one in effect at the period's end,
    which is also the last month's own."""
    last = period.months[-1]
    months = [
        availability.monthly_availability(
            session,
            month=month,
            excluded_ids=outages[month],
            agreement=agreement if month == last else None,
        )
        for month in period.months
    ]
    return _availability_figure(
        sum(m.service_seconds for m in months),
        sum(m.downtime_seconds for m in months),
        agreement.availability_norm,
        [f"{API_PREFIX}/availability?month={m.month}" for m in months],
    )


def _availability_figure(
    service: float, downtime: float, norm: float, evidence: list[str]
) -> schemas.AvailabilityFigure:
    value = availability.percent_available(service, downtime)
    return schemas.AvailabilityFigure(
        value=value,
        service_seconds=service,
        downtime_seconds=downtime,
        norm=norm,
        meets_norm=value >= norm,
        evidence=evidence,
    )


def _keyed(known: Iterable[str], counts: Counter[str]) -> dict[str, int]:
    """Every known key in its order (zero when absent), then any others sorted."""
    ordered = {key: counts.get(key, 0) for key in known}
    return ordered | {key: counts[key] for key in sorted(counts) if key not in ordered}


def _opened(session: Session, period: Period, left: LeftOut) -> schemas.OpenedCounts:
    by_type, by_priority, by_line = Counter[str](), Counter[str](), Counter[str]()
    for type_, priority, line, count in repository.opened_counts(session, period.start, period.end):
        by_type[type_] += count
        by_priority[priority] += count
        by_line[line or "none"] += count
    gone = _gone(period, left, "opened_at")
    # Counter subtraction keeps only positive counts, as counting the remaining rows would.
    by_type -= Counter(row.type for row in gone)
    by_priority -= Counter(row.priority for row in gone)
    by_line -= Counter(row.line or "none" for row in gone)
    return schemas.OpenedCounts(
        evidence=ticket_sets.url(period, schemas.TicketSet.opened),
        total=sum(by_type.values()),
        by_type=_keyed(TYPES, by_type),
        by_priority=_keyed(PRIORITIES, by_priority),
        by_line=_keyed(LINES, by_line),
    )


def _gone(period: Period, left: LeftOut, moment: str) -> list[Any]:
    """The facts an exclusion takes out of the count of tickets whose `moment` (opened_at,
    finished_at) lies in the period."""
    return [
        row
        for row in left.facts.values()
        if _within(period, getattr(row, moment)) and left.out(row.ticket_id, getattr(row, moment))
    ]


def _backlog(session: Session, period: Period, excluded: Excluded) -> schemas.Backlog:
    last_month = period.months[-1]
    leaving_out = {ticket_id for ticket_id, month in excluded if month == last_month}
    rows = repository.backlog(session, period.end, leaving_out)
    # A running period's backlog is as old as it is now, not as it will be at the end.
    measured_at = min(period.end, utcnow())
    ages = [f.age_days(opened_at, measured_at) for _, opened_at in rows]
    buckets = Counter(f.age_bucket(age) for age in ages)
    return schemas.Backlog(
        evidence=ticket_sets.url(period, schemas.TicketSet.backlog),
        count=len(rows),
        by_priority=_keyed(PRIORITIES, Counter(priority for priority, _ in rows)),
        by_age=_keyed([name for name, _, _ in f.AGE_BUCKETS], buckets),
        mean_age_days=f.mean(ages),
    )


def _restore_time(session: Session, period: Period, left: LeftOut) -> schemas.RestoreTime:
    kind = sla.RESTORE_PLATFORM
    elapsed = repository.stopped_elapsed(session, period.start, period.end, kind)
    for row in left.counted_clocks(kind):
        if _within(period, row.stopped_at) and left.out(row.ticket_id, row.stopped_at):
            elapsed.remove(row.elapsed_seconds)
    hours = [seconds / 3600.0 for seconds in elapsed]
    return schemas.RestoreTime(
        count=len(hours),
        mean_hours=f.mean(hours),
        p90_hours=f.p90(hours),
        evidence=evidence_url(period, KpiName.restore_platform),
    )


def _rates(session: Session, period: Period, left: LeftOut) -> dict[str, schemas.Rate]:
    whole, resolved, first_line, reopened = repository.finished_counts(
        session, period.start, period.end
    )
    for row in _gone(period, left, "finished_at"):
        whole -= 1
        resolved -= bool(row.resolved)
        first_line -= bool(row.resolved and row.resolved_line == "1" and not row.escalated)
        reopened -= row.reopen_count > 0
    evidence = ticket_sets.url(period, schemas.TicketSet.finished)
    return {
        "first_line_resolution": _rate(first_line, resolved, evidence),
        "reopened": _rate(reopened, whole, evidence),
    }


def _rate(part: int, whole: int, evidence: str) -> schemas.Rate:
    return schemas.Rate(value=f.percent(part, whole), part=part, whole=whole, evidence=evidence)


@dataclass(frozen=True)
class Headline:
    """The figures the overview and a report's earlier months show: the same values compute()
    gives, without the breakdowns (restore times, changes, backlog ages) they leave out."""

    start: datetime
    response: float | None
    restore_platform: float | None
    restore_application: float | None
    availability: float | None
    opened: int
    resolved: int
    backlog: int

    @classmethod
    def of(cls, figures: schemas.KpiFigures) -> Headline:
        """The headline of full figures (a closed month's frozen ones)."""
        return cls(
            start=figures.start,
            response=figures.response.value,
            restore_platform=figures.restore_platform.value,
            restore_application=figures.restore_application.value,
            availability=figures.availability.value,
            opened=figures.opened.total,
            resolved=figures.first_line_resolution.whole,
            backlog=figures.backlog.count,
        )


def headline(session: Session, period: Period) -> Headline:
    """The session's tenant's headline for `period`: a closed month's from its snapshot, else
    computed with compute()'s own parts, without the work of the breakdowns it leaves out."""
    closed = frozen.figures(session, period)
    if closed is not None:
        return Headline.of(closed)
    tickets, outages = _accepted(session, period.months)
    return _headline(session, period, tickets, outages, _left_out(session, tickets))


def headlines(session: Session, months: Sequence[date]) -> list[Headline]:
    """The headline of each of `months`: the closed ones, the accepted exclusions of the open
    ones and the facts and clocks those take out, each read once for all of them."""
    closed = frozen.closed_figures(session, months)
    tickets, outages = _accepted(session, [m for m in months if m not in closed])
    left = _left_out(session, tickets)
    return [
        Headline.of(closed[m])
        if m in closed
        else _headline(session, f.month_period(m), tickets, outages, left)
        for m in months
    ]


def _headline(
    session: Session,
    period: Period,
    tickets: Excluded,
    outages: dict[date, frozenset[uuid.UUID]],
    left: LeftOut,
) -> Headline:
    agreement = sla.in_effect(session, period.last_instant)
    last_month = period.months[-1]
    leaving_out = {ticket_id for ticket_id, month in tickets if month == last_month}
    rows = repository.headline_counts(session, period.start, period.end, sla.KINDS, leaving_out)
    counts = {key: (part, whole) for key, part, whole in rows}
    tallies = _tallied([row for row in rows if row[0] in sla.KINDS], period, left)
    clocks = {kpi: _clock_figure(period, kpi, tallies, agreement).value for kpi in KpiName}
    finished = _gone(period, left, "finished_at")
    return Headline(
        start=period.start,
        response=clocks[KpiName.response],
        restore_platform=clocks[KpiName.restore_platform],
        restore_application=clocks[KpiName.restore_application],
        availability=_availability(period, agreement, session, outages).value,
        opened=counts["opened"][1] - len(_gone(period, left, "opened_at")),
        resolved=counts["finished"][0] - sum(bool(row.resolved) for row in finished),
        backlog=counts["backlog"][1],
    )


@dataclass(frozen=True)
class Level:
    """One service level of a month: the achieved value (None when nothing was decided; always
    a number for availability) and the norm of the agreement in effect."""

    value: float | None
    norm: float


@dataclass(frozen=True)
class Levels:
    """A month's four service levels with their norms, the same values compute() gives: what
    the twelve-month trend draws, without the counts and breakdowns it leaves out."""

    response: Level
    restore_platform: Level
    restore_application: Level
    availability: Level

    @classmethod
    def of(cls, figures: schemas.KpiFigures) -> Levels:
        """The levels of full figures (a closed month's frozen ones, or those already read)."""
        return cls(
            response=Level(figures.response.value, figures.response.norm),
            restore_platform=Level(figures.restore_platform.value, figures.restore_platform.norm),
            restore_application=Level(
                figures.restore_application.value, figures.restore_application.norm
            ),
            availability=Level(figures.availability.value, figures.availability.norm),
        )


def levels(session: Session, months: Sequence[date]) -> list[Levels]:
    """The service levels of each of `months` for the trend: the closed ones from their
    snapshots and the exclusions of all in one query each, then per open month only its
    agreement, its clock counts and its availability."""
    closed = frozen.closed_figures(session, months)
    tickets, outages = _accepted(session, [m for m in months if m not in closed])
    left = _left_out(session, tickets)
    return [
        Levels.of(closed[m]) if m in closed else _levels(session, m, outages, left) for m in months
    ]


def _levels(
    session: Session, month: date, outages: dict[date, frozenset[uuid.UUID]], left: LeftOut
) -> Levels:
    period = f.month_period(month)
    agreement = sla.in_effect(session, period.last_instant)
    tallies = _tallies(session, period, left)
    clocks = {kpi: _clock_figure(period, kpi, tallies, agreement) for kpi in KpiName}
    available = _availability(period, agreement, session, outages)
    return Levels(
        response=Level(clocks[KpiName.response].value, agreement.response_norm),
        restore_platform=Level(
            clocks[KpiName.restore_platform].value, agreement.restore_platform_norm
        ),
        restore_application=Level(
            clocks[KpiName.restore_application].value, agreement.restore_application_norm
        ),
        availability=Level(available.value, agreement.availability_norm),
    )


def overview(actor: Principal, *, period: str) -> schemas.Overview:
    """Headline figures of every client tenant where `actor` may read KPIs, by slug: one
    read-only transaction, each tenant read under its own row-level security scope."""
    actor.require(permissions.READ)
    parsed = f.parse_period(period)
    readable = [
        tenant
        for tenant, acting in reach(actor)
        if tenant.kind != TenantKind.supplier and acting.can(permissions.READ)
    ]
    items = []
    with reading_tenants() as in_tenant:
        for tenant in readable:
            figures = headline(in_tenant(tenant.id), parsed)
            items.append(
                schemas.OverviewRow(
                    tenant=tenant.slug,
                    tenant_name=tenant.name,
                    response=figures.response,
                    restore_platform=figures.restore_platform,
                    restore_application=figures.restore_application,
                    availability=figures.availability,
                    opened=figures.opened,
                    backlog=figures.backlog,
                    figures=f"{API_PREFIX}/kpis?period={parsed.text}",
                )
            )
    return schemas.Overview(period=parsed.text, items=sorted(items, key=lambda i: i.tenant))


def assessment(session: Session, actor: Principal, *, year: int) -> schemas.Assessment:
    """The twelve months of `year` (closed ones as frozen) and the year's shares (sums of the
    months) against the norms of the version in effect at the year's end."""
    actor.require(permissions.READ)
    whole = f.parse_period(f"{year:04d}")
    closed = frozen.closed_figures(session, whole.months)  # closed months stay as frozen
    months = [closed.get(m) or compute(session, f.month_period(m)) for m in whole.months]
    agreement = sla.in_effect(session, whole.last_instant)
    yearly = {
        kpi: _year_figure([getattr(m, _field(kpi)) for m in months], agreement, KIND_OF[kpi])
        for kpi in KpiName
    }
    return schemas.Assessment(
        year=year,
        agreement=sla.agreement_ref(agreement),
        response=yearly[KpiName.response],
        restore_platform=yearly[KpiName.restore_platform],
        restore_application=yearly[KpiName.restore_application],
        availability=_availability_figure(
            sum(m.availability.service_seconds for m in months),
            sum(m.availability.downtime_seconds for m in months),
            agreement.availability_norm,
            [link for m in months for link in m.availability.evidence],
        ),
        months=months,
    )


def _field(kpi: KpiName) -> str:
    return kpi.value.replace("-", "_")


def _year_figure(
    months: list[schemas.ClockFigure], agreement: sla.Agreement, kind: str
) -> schemas.YearFigure:
    met, missed = sum(m.met for m in months), sum(m.missed for m in months)
    value, norm = f.percent(met, met + missed), getattr(agreement, NORM_OF[kind])
    return schemas.YearFigure(
        value=value,
        met=met,
        missed=missed,
        norm=norm,
        meets_norm=None if value is None else value >= norm,
    )
