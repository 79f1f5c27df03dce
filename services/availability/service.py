"""Business operations on outages. Never commits: the unit of work does.

Rules. An outage lies in the past: its start and (once ended) its end are not in the future,
and it ends after it starts. Its scope is the platform, the application, or one catalogue
service (`serviceId`, of this tenant). An outage the supplier caused is attributable to it.
A monitoring incident gives at most one outage.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.api.etag import check_if_match
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.availability import compute, permissions, repository
from services.availability.errors import IncidentHasOutage, NumberTaken, OutageNotFound
from services.availability.models import Cause, Outage, Scope
from services.availability.schemas import (
    Availability,
    CountedOutage,
    ExcludedOutage,
    OutageCreate,
    OutageUpdate,
)
from services.catalogue import repository as catalogue
from services.dap import public as dap
from services.sla import public as sla

# API names of the columns, for invalidParams.
NAMES = {"start_at": "start", "end_at": "end", "service_id": "serviceId"}
NULLABLE = {"end_at", "service_id"}


def get_outage(session: Session, actor: Principal, *, outage_id: uuid.UUID) -> Outage:
    """The outage, or OutageNotFound (also for another tenant's id)."""
    actor.require(permissions.READ)
    found = repository.get(session, outage_id)
    if found is None:
        raise OutageNotFound(f"No outage with id {outage_id}.")
    return found


def list_outages(
    session: Session,
    actor: Principal,
    filters: repository.Filters,
    *,
    sort: str,
    limit: int,
    after: list[Any] | None,
) -> tuple[list[Outage], list[Any] | None]:
    """One page in stable order, plus the cursor values of its last row when more follow."""
    actor.require(permissions.READ)
    rows = repository.page(session, filters, sort=sort, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, repository.cursor_values(rows[-1], sort) if more else None


def create_outage(
    session: Session,
    actor: Principal,
    *,
    data: OutageCreate,
    incident_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Outage:
    """Record an outage; 400 naming every bad field, 409 if the incident already has one."""
    actor.require(permissions.MANAGE)
    values = _columns(data.model_dump())
    _check(session, values, now or utcnow())
    if incident_id is not None and repository.by_incident(session, incident_id) is not None:
        raise IncidentHasOutage(f"The incident {incident_id} already has an outage.")
    outage = Outage(
        number=repository.next_number(session),
        incident_id=incident_id,
        created_by=actor.label,
        **values,
    )
    try:
        with session.begin_nested():
            session.add(outage)
    except IntegrityError:
        if incident_id is not None and repository.by_incident(session, incident_id) is not None:
            raise IncidentHasOutage(f"The incident {incident_id} already has an outage.") from None
        raise NumberTaken("Another outage was recorded meanwhile; retry.") from None
    return outage


def update_outage(
    session: Session,
    actor: Principal,
    *,
    outage_id: uuid.UUID,
    changes: OutageUpdate,
    if_match: str | None,
    now: datetime | None = None,
) -> Outage:
    """End or correct the outage, only if `if_match` names the version now stored; invalid
    input is 400 before the version check."""
    actor.require(permissions.MANAGE)
    outage = get_outage(session, actor, outage_id=outage_id)
    given = _columns(changes.model_dump(exclude_unset=True))
    _refuse_nulls(given)
    if "scope" in given and given["scope"] != Scope.service and "service_id" not in given:
        given["service_id"] = None  # leaving the service scope leaves its service
    merged = {name: getattr(outage, name) for name in _COLUMNS} | given
    _check(session, merged, now or utcnow())
    check_if_match(if_match, outage.version)
    for name, value in given.items():
        setattr(outage, name, value)
    if session.is_modified(outage):
        outage.updated_at = utcnow()
        session.flush()
    return outage


def delete_outage(
    session: Session, actor: Principal, *, outage_id: uuid.UUID, if_match: str | None
) -> None:
    """Remove the outage (the audit log keeps what it was)."""
    actor.require(permissions.MANAGE)
    outage = get_outage(session, actor, outage_id=outage_id)
    check_if_match(if_match, outage.version)
    session.delete(outage)
    session.flush()


def month_availability(
    session: Session,
    actor: Principal,
    *,
    month: date,
    scope: str | None,
    excluded_ids: frozenset[uuid.UUID] = frozenset(),
) -> Availability:
    """The month's availability for a reader; 400 for a scope that names nothing."""
    actor.require(permissions.READ)
    return monthly_availability(session, month=month, scope=scope, excluded_ids=excluded_ids)


def outage_exists(session: Session, outage_id: uuid.UUID) -> bool:
    """Whether the session's tenant has this outage."""
    return repository.get(session, outage_id) is not None


def monthly_availability(
    session: Session,
    *,
    month: date,
    scope: str | None = None,
    excluded_ids: frozenset[uuid.UUID] = frozenset(),
    now: datetime | None = None,
    agreement: sla.Agreement | None = None,
) -> Availability:
    """The availability of the month holding `month` within the service hours of the
    agreement in effect at its end (`agreement`, when the caller already read it), as the KPI
    figures and the monthly report judge the month (rules: services.availability.compute)."""
    selects = _scope_filter(scope)
    start, end = compute.month_span(month)
    agreement = agreement or sla.in_effect(session, end - timedelta(microseconds=1))
    outages = {o.id: o for o in repository.overlapping(session, start, end) if selects(o)}
    figures = compute.availability(
        sla.calendar(agreement),
        [_span(o) for o in outages.values()],
        month=month,
        norm=agreement.availability_norm,
        now=now or utcnow(),
        excluded_ids=excluded_ids,
        maintenance=dap.maintenance_windows(session, start=start, end=end),
    )
    return Availability(
        month=f"{start.astimezone(compute.MONTH_ZONE):%Y-%m}",
        scope=scope,
        period_start=figures.start,
        period_end=figures.end,
        agreement_id=agreement.id,
        service_seconds=figures.service_seconds,
        downtime_seconds=figures.downtime_seconds,
        availability_percent=figures.availability_percent,
        norm=figures.norm,
        meets_norm=figures.meets_norm,
        counted=[
            CountedOutage(**_evidence(outages[c.id]), counted_seconds=c.seconds)
            for c in figures.counted
        ],
        excluded=[
            ExcludedOutage(**_evidence(outages[e.id]), reason=e.reason) for e in figures.excluded
        ],
    )


def _scope_filter(scope: str | None) -> Callable[[Outage], bool]:
    """Which outages take the scope down: a platform outage takes down everything on it, an
    application outage the application; a service is down by its own and platform outages."""
    if scope is None:
        return lambda o: True
    if scope == Scope.platform:
        return lambda o: o.scope == Scope.platform
    if scope == Scope.application:
        return lambda o: o.scope in (Scope.platform, Scope.application)
    try:
        service_id = uuid.UUID(scope)
    except ValueError:
        why = "platform, application or the id of a catalogue service"
        problem = {"name": "scope", "pointer": "query:scope", "reason": why}
        raise InvalidInput(f"scope: {why}.", invalidParams=[problem]) from None
    return lambda o: o.scope == Scope.platform or o.service_id == service_id


def _span(outage: Outage) -> compute.Span:
    return compute.Span(
        id=outage.id,
        start=outage.start_at,
        end=outage.end_at,
        attributable=outage.attributable,
        cause=outage.cause.value,
        planned=outage.planned,
    )


def _evidence(outage: Outage) -> dict[str, Any]:
    return {
        "id": outage.id,
        "number": outage.number,
        "start": outage.start_at,
        "end": outage.end_at,
        "scope": outage.scope,
        "service_id": outage.service_id,
        "cause": outage.cause,
        "attributable": outage.attributable,
        "planned": outage.planned,
        "description": outage.description,
    }


_COLUMNS = (
    "start_at",
    "end_at",
    "scope",
    "service_id",
    "description",
    "attributable",
    "cause",
    "planned",
)


def _columns(fields: dict[str, Any]) -> dict[str, Any]:
    """API field names as column names; moments with a zone in UTC (naive ones stay, to be
    refused by _check)."""
    renamed = {"start": "start_at", "end": "end_at"}
    out = {renamed.get(name, name): value for name, value in fields.items()}
    for name in ("start_at", "end_at"):
        moment = out.get(name)
        if isinstance(moment, datetime) and moment.utcoffset() is not None:
            out[name] = moment.astimezone(UTC)
    return out


def _refuse_nulls(given: dict[str, Any]) -> None:
    nulls = [name for name, value in given.items() if value is None and name not in NULLABLE]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(_name(n) for n in nulls) + ".",
            invalidParams=[_problem(n, "may not be null") for n in nulls],
        )


def _check(session: Session, values: dict[str, Any], now: datetime) -> None:
    """400 naming every field that makes the outage impossible."""
    problems = _time_problems(values["start_at"], values["end_at"], now)
    problems += _scope_problems(session, values["scope"], values["service_id"])
    if values["cause"] == Cause.supplier and not values["attributable"]:
        problems.append(_problem("attributable", "an outage the supplier caused is its own"))
    if problems:
        raise InvalidInput(
            "The outage has invalid fields: " + ", ".join(p["name"] for p in problems) + ".",
            invalidParams=problems,
        )


def _time_problems(start: datetime, end: datetime | None, now: datetime) -> list[dict[str, str]]:
    problems = []
    for name, moment in (("start_at", start), ("end_at", end)):
        if moment is None:
            continue
        if moment.utcoffset() is None:
            problems.append(_problem(name, "give a time zone, e.g. 2026-11-03T09:00:00+01:00"))
        elif moment > now:
            problems.append(_problem(name, "must not lie in the future"))
    aware = start.utcoffset() is not None and end is not None and end.utcoffset() is not None
    if aware and end is not None and end <= start:
        problems.append(_problem("end_at", "must lie after the start"))
    return problems


def _scope_problems(
    session: Session, scope: Scope, service_id: uuid.UUID | None
) -> list[dict[str, str]]:
    if scope != Scope.service:
        if service_id is not None:
            return [_problem("service_id", "only an outage of scope service names a service")]
        return []
    if service_id is None:
        return [_problem("service_id", "name the catalogue service that was down")]
    if catalogue.get(session, service_id) is None:
        return [_problem("service_id", "no such service in the catalogue")]
    return []


def _name(column: str) -> str:
    return NAMES.get(column, column)


def _problem(column: str, reason: str) -> dict[str, str]:
    name = _name(column)
    return {"name": name, "pointer": f"/{name}", "reason": reason}
