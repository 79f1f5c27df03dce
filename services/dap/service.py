"""The DAP: versions per tenant, and the one in effect on a date.

Rules. A version is never changed: a change of the DAP is a new version of the whole file. It
takes effect at 00:00 Europe/Amsterdam on `effective_from`, which may be today (contacts and
windows do not change figures already reported) but not in the past. Of versions for one
date, the highest number wins; before a tenant's first version takes effect there is no DAP.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from services.dap import permissions, repository, windows
from services.dap.errors import NoDap, VersionNotFound, VersionTaken
from services.dap.models import DapVersion
from services.dap.schemas import DapCreate, columns


@dataclass(frozen=True)
class Recipient:
    """Who receives a report."""

    name: str
    email: str


def list_versions(session: Session, actor: Principal) -> list[DapVersion]:
    """The tenant's versions, newest first (empty before the first)."""
    actor.require(permissions.READ)
    return repository.versions(session)


def get_version(session: Session, actor: Principal, *, version_id: uuid.UUID) -> DapVersion:
    """The version, or VersionNotFound (also for another tenant's id)."""
    actor.require(permissions.READ)
    found = repository.version(session, version_id)
    if found is None:
        raise VersionNotFound(f"No DAP version with id {version_id}.")
    return found


def current_version(session: Session, actor: Principal, *, at: datetime | None) -> DapVersion:
    """The version in effect at `at` (default: now), or NoDap."""
    actor.require(permissions.READ)
    day = windows.local_date(at or utcnow())
    found = repository.in_effect(session, day)
    if found is None:
        raise NoDap(f"No DAP version is in effect on {day.isoformat()}.")
    return found


def create_version(
    session: Session, actor: Principal, *, data: DapCreate, on: date | None = None
) -> DapVersion:
    """Add a version taking effect on `on` (default: today) or later; 400 naming every fault."""
    actor.require(permissions.MANAGE)
    check(data, on or windows.today())
    created = DapVersion(number=repository.next_number(session), **columns(data))
    try:
        with session.begin_nested():
            session.add(created)
    except IntegrityError:
        raise VersionTaken("Another version was added meanwhile; read them and retry.") from None
    return created


def check(data: DapCreate, on: date) -> None:
    """400 naming every fault that depends on the date the version takes effect."""
    problems = []
    if data.effective_from < on:
        why = f"must not lie before today ({on.isoformat()})"
        problems.append(_problem("effectiveFrom", "/effectiveFrom", why))
    takes_effect = windows.midnight(data.effective_from)
    for i, window in enumerate(data.maintenance_windows.one_off):
        if window.end <= takes_effect:
            name = f"maintenanceWindows.oneOff.{i}.end"
            why = "ends before this version takes effect, so it would never count"
            problems.append(_problem(name, "/" + name.replace(".", "/"), why))
    if problems:
        raise InvalidInput(
            f"{len(problems)} invalid field(s): " + ", ".join(p["name"] for p in problems),
            invalidParams=problems,
        )


def report_recipients(session: Session, *, report: str, on: date | None = None) -> list[Recipient]:
    """Who receives `report` by the version in effect on `on` (default: today); each once."""
    found = repository.in_effect(session, on or windows.today())
    recipients: dict[str, Recipient] = {}
    for entry in found.report_recipients if found else []:
        if report in entry["reports"]:
            recipients.setdefault(entry["email"].lower(), Recipient(entry["name"], entry["email"]))
    return list(recipients.values())


def maintenance_windows(
    session: Session, *, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The UTC intervals of maintenance within [start, end), merged and ordered."""
    if start.utcoffset() is None or end.utcoffset() is None:
        raise ValueError("start and end need a time zone")
    first, last = windows.local_date(start), windows.local_date(end)
    return windows.expand(repository.effective_between(session, first, last), start, end)


def _problem(name: str, pointer: str, reason: str) -> dict[str, str]:
    return {"name": name, "pointer": pointer, "reason": reason}
