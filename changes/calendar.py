"""The change calendar: planned windows, their conflicts, and the tenant's freeze periods.

Conflicts are warnings answered with the change: another live change with an overlapping
window on a shared service, or on a CI that is the same as one of this change's or rests on
it (or it on that one) within two relations of the CMDB, or a window inside a freeze.
Only submitting into a freeze is refused, unless the change is an emergency. Never commits.
"""

from __future__ import annotations

import bisect
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import Row, event, inspect
from sqlmodel import Session

from changes import calendar_json, permissions, repository
from changes.errors import FreezeNotFound
from changes.models import Change, ChangeStatus, Freeze
from changes.repository import FreezeWindow, Planned
from changes.service import can_read, invalid, raise_invalid
from cmdb import public as cmdb
from cmdb.models import CiRelation
from core.db import reading_tenants
from core.errors import Forbidden
from core.identity.access import reach
from core.identity.permissions import Principal
from core.jobs import enqueue_gathered
from core.tenancy import Tenant
from services.dap import public as dap
from services.dap.models import DapVersion

S = ChangeStatus
# Changes that still claim their window: they can conflict with each other.
LIVE = frozenset({S.submitted, S.assessed, S.approved, S.scheduled, S.implementing})
# What the calendar shows: every change that was planned and not withdrawn.
SHOWN = LIVE | {S.implemented, S.rolled_back, S.failed, S.closed}
MAX_SPAN = timedelta(days=400)
# Two changes collide on CIs within two relations in the CMDB; further is the impact's business.
Related = dict[str, set[str]]  # per CI id, itself and the CI ids related within two
# A change whose warnings are asked: loaded whole, read as its columns, or as the calendar's.
Shown = Change | Row[Any] | Planned


def conflicts_of(session: Session, change: Change | Row[Any]) -> list[dict[str, Any]]:
    """The warnings for one change's window; none while it has no window. A live change read
    with its calendar entry as stored has them there."""
    if change.planned_start is None or change.planned_end is None:
        return []
    if change.status in LIVE:
        # Written in this transaction where a flush altered the change (then read), or stale.
        if not isinstance(change, Change):
            stored = getattr(change, "calendar_entry", None)
        elif not inspect(change).modified:
            stored = session.info.get(_WRITTEN, {}).get(change.id)
            if stored is None:
                stored = repository.stored_entry(session, change.id)
        else:
            stored = None
        if stored is not None:
            return calendar_json.conflicts(stored)
    start, end = change.planned_start, change.planned_end
    others, freezes = repository.in_window(session, start, end, LIVE)
    related = _related(session, [change], [o for o in others if o.id != change.id])
    found = _conflicts(change, others, freezes, related)
    if change.causes_downtime:
        found += _outside(change, dap.maintenance_windows(session, start=start, end=end))
    return found


def _outside(change: Shown, windows: list[tuple[datetime, datetime]]) -> list[dict[str, Any]]:
    """A change that takes the services down belongs in one of the DAP's maintenance windows
    (`windows`, merged, covering at least the change's own window)."""
    if not change.causes_downtime:
        return []
    assert change.planned_start is not None and change.planned_end is not None
    start, end = change.planned_start, change.planned_end
    if any(a <= start and b >= end for a, b in windows):
        return []
    return [{"kind": "maintenance-window", "name": "outside the DAP's maintenance windows"}]


def _maintenance(session: Session, changes: list[Planned]) -> list[tuple[datetime, datetime]]:
    """The maintenance windows over every window of `changes` that causes downtime, asked of
    the DAP once: merged windows contain a change's window exactly when those asked for that
    window alone do."""
    down = [c for c in changes if c.causes_downtime]
    if not down:
        return []
    start, end = min(c.planned_start for c in down), max(c.planned_end for c in down)
    return dap.maintenance_windows(session, start=start, end=end)


def _related(session: Session, changes: Sequence[Shown], others: Sequence[Planned]) -> Related:
    """Per CI the `changes` name: itself and those CIs the `others` name that rest on it or it
    on them within two relations. The CMDB answers only the pairs among these CIs; the CIs
    are spelled as stored."""
    mine = {ci for change in changes for ci in change.ci_ids}
    theirs = {ci for other in others for ci in other.ci_ids}
    if not mine or not theirs:
        return {}
    spelled = {uuid.UUID(ci): ci for ci in mine | theirs}
    found: Related = {ci: {ci} for ci in mine}
    for first, last in cmdb.paths_between(session, spelled):
        a, b = spelled[first], spelled[last]
        if a in found and b in theirs:
            found[a].add(b)
        if b in found and a in theirs:
            found[b].add(a)
    return found


def _tying(change: Shown, other: Planned, related: Related) -> list[str]:
    """The CIs of both changes that are the same or related: what makes them collide."""
    tied = {
        ci
        for mine in change.ci_ids
        for theirs in other.ci_ids
        if theirs in related.get(mine, {mine})
        for ci in (mine, theirs)
    }
    return sorted(tied)


@dataclass(frozen=True)
class Windows:
    """Live changes by planned start, so a window is compared only with those that can
    overlap it (start within the longest window before its end), not with the whole range."""

    starts: list[datetime]
    changes: list[Planned]
    longest: timedelta

    @classmethod
    def of(cls, changes: list[Planned]) -> Windows:
        timed = sorted(changes, key=lambda c: (c.planned_start, c.id))
        spans = [c.planned_end - c.planned_start for c in timed]
        return cls([c.planned_start for c in timed], timed, max(spans, default=timedelta(0)))

    def near(self, start: datetime, end: datetime) -> list[Planned]:
        """The changes whose window can overlap `start`-`end`, found by bisection."""
        first = bisect.bisect_left(self.starts, start - self.longest)
        return self.changes[first : bisect.bisect_left(self.starts, end)]


def _conflicts(
    change: Shown,
    others: list[Planned] | Windows,
    freezes: Sequence[Freeze | FreezeWindow],
    related: Related,
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    assert change.planned_start is not None and change.planned_end is not None
    start, end = change.planned_start, change.planned_end
    if isinstance(others, Windows):
        others = others.near(start, end)
    services = set(change.service_ids)
    for other in others:
        if other.planned_start >= end or other.planned_end <= start:
            continue
        shared = services.intersection(other.service_ids)
        tied = _tying(change, other, related) if change.ci_ids and other.ci_ids else []
        if not (shared or tied) or other.id == change.id:
            continue
        named = {"change_id": other.id, "number": other.number}
        if shared:
            found.append({"kind": "service", **named, "service_ids": sorted(shared)})
        if tied:
            found.append({"kind": "ci", **named, "ci_ids": tied})
    for freeze in freezes:
        if freeze.starts_at < end and freeze.ends_at > start:
            found.append({"kind": "freeze", "freeze_id": freeze.id, "name": freeze.name})
    return found


def freezes_over(session: Session, start: datetime, end: datetime) -> list[FreezeWindow]:
    """The freeze periods a window touches."""
    return repository.freeze_windows(session, start, end)


def _check(actor: Principal, start: datetime, end: datetime) -> None:
    if not can_read(actor):
        raise Forbidden(f"This action needs the permission '{permissions.READ}'.")
    if end <= start or end - start > MAX_SPAN:
        raise_invalid([invalid("to", f"after from, at most {MAX_SPAN.days} days later")])


def calendar(
    session: Session, actor: Principal, *, start: datetime, end: datetime
) -> tuple[list[tuple[Planned, list[dict[str, Any]]]], list[Freeze]]:
    """The changes planned in [start, end) with their conflicts, and the freezes in it."""
    _check(actor, start, end)
    return _computed(session, start, end)


def _computed(
    session: Session, start: datetime, end: datetime
) -> tuple[list[tuple[Planned, list[dict[str, Any]]]], list[Freeze]]:
    shown = repository.planned(session, start, end, SHOWN)
    if not shown:
        return [], repository.freezes(session, start, end)
    wide_start = min(c.planned_start for c in shown)
    wide_end = max(c.planned_end for c in shown)
    claiming = [c for c in shown if c.status in LIVE]
    # The live changes of the month are among those shown: only the edges are read again.
    edges = repository.planned(session, wide_start, wide_end, LIVE, besides=(start, end))
    live = Windows.of(claiming + edges)
    freezes = repository.freezes(session, min(start, wide_start), max(end, wide_end))
    related = _related(session, claiming, live.changes)
    windows = _maintenance(session, claiming)
    entries = [
        (
            c,
            _conflicts(c, live, freezes, related) + _outside(c, windows)
            if c.status in LIVE
            else [],
        )
        for c in shown
    ]
    in_range = [f for f in freezes if f.starts_at < end and f.ends_at > start]
    return entries, in_range


class Stored(NamedTuple):
    """An entry as the calendar answers it: its JSON, and what orders it across clients."""

    planned_start: datetime
    number: str
    entry: str


def stored(
    session: Session, actor: Principal, *, start: datetime, end: datetime
) -> tuple[list[Stored], Sequence[Freeze | Row[Any]]]:
    """The calendar of [start, end) as its entries' JSON, read as stored; computed as
    `calendar` does while one of them is stale (the worker rewrites it soon)."""
    _check(actor, start, end)
    rows = repository.stored_entries(session, start, end, SHOWN)
    if all(row.entry is not None for row in rows):
        # The rows are (planned_start, number, entry): read as they come, ~8,000 a month.
        return cast(list[Stored], rows), repository.freezes_in(session, start, end)
    entries, freezes = _computed(session, start, end)
    return [
        Stored(c.planned_start, c.number, calendar_json.text(c, x)) for c, x in entries
    ], freezes


def refresh(session: Session, *, limit: int = 1000, unwritten: bool = False) -> int:
    """Write up to `limit` entries a write made stale anew, earliest first (with `unwritten`,
    also those never written); how many were stale. Each is written only over the epoch read
    before its conflicts were: a write since (which made it stale again and sent this task
    anew) keeps it stale."""
    if unwritten:
        repository.forget_unshown(session, SHOWN)
    stale = repository.stale_entries(session, SHOWN, limit, unwritten=unwritten)
    epochs = {s.id: s.epoch for s in stale}
    found: dict[uuid.UUID, tuple[uuid.UUID, int, str]] = {}
    for start, end in _spans(stale):
        for change, conflicts in _computed(session, start, end)[0]:
            if change.id in epochs and change.id not in found:
                found[change.id] = (
                    change.id,
                    epochs[change.id],
                    calendar_json.text(change, conflicts),
                )
    # In the order of their ids, as writes make entries stale: neither waits on the other in
    # a circle.
    repository.store_entries(session, sorted(found.values()))
    return len(stale)


def _spans(stale: list[repository.Stale]) -> list[tuple[datetime, datetime]]:
    """The stale changes (by start) in periods of at most a month of starts, each reaching to
    the end of its longest window: a calendar read of each computes them all."""
    spans: list[tuple[datetime, datetime]] = []
    for change in stale:
        if spans and change.planned_start < spans[-1][0] + timedelta(days=31):
            spans[-1] = (spans[-1][0], max(spans[-1][1], change.planned_end))
        else:
            spans.append((change.planned_start, change.planned_end))
    return spans


@dataclass(frozen=True)
class TenantCalendar:
    tenant: Tenant
    entries: list[Stored]
    freezes: Sequence[Freeze | Row[Any]]


def overview(actor: Principal, *, start: datetime, end: datetime) -> list[TenantCalendar]:
    """The calendar of every tenant where `actor` may read changes (supplier staff across
    their clients)."""
    if not can_read(actor):
        actor.require(permissions.READ)
    return calendars([(t, acting) for t, acting in reach(actor) if can_read(acting)], start, end)


def calendars(
    readers: list[tuple[Tenant, Principal]], start: datetime, end: datetime
) -> list[TenantCalendar]:
    """The calendar of each tenant for the principal acting there: one read-only
    transaction, each tenant read under its own row-level security."""
    found = []
    with reading_tenants() as in_tenant:
        for tenant, acting in readers:
            entries, freezes = stored(in_tenant(tenant.id), acting, start=start, end=end)
            found.append(TenantCalendar(tenant, entries, freezes))
    return found


def list_freezes(session: Session, actor: Principal) -> list[Freeze]:
    """Every freeze period of the tenant, by start."""
    if not (can_read(actor) or actor.can(permissions.CONFIGURE)):
        actor.require(permissions.READ)
    return repository.freezes(session)


def create_freeze(
    session: Session, actor: Principal, *, name: str, starts_at: datetime, ends_at: datetime
) -> Freeze:
    """A freeze period: only emergency changes are submitted into it from now on."""
    actor.require(permissions.CONFIGURE)
    if ends_at <= starts_at:
        raise_invalid([invalid("endsAt", "must be after startsAt")])
    freeze = Freeze(name=name, starts_at=starts_at, ends_at=ends_at, created_by=actor.label)
    session.add(freeze)
    session.flush()
    return freeze


def delete_freeze(session: Session, actor: Principal, *, freeze_id: uuid.UUID) -> None:
    """Lift a freeze period; the audit log keeps what it was."""
    actor.require(permissions.CONFIGURE)
    freeze = repository.freeze(session, freeze_id)
    if freeze is None:
        raise FreezeNotFound(f"No freeze period with id {freeze_id}.")
    session.delete(freeze)
    session.flush()


# ---------------------------------------------------------------- stale entries

REFRESH = "changes.refresh_calendar"
# Session info key: the entries this session's last flush wrote anew, per change id, so that
# the answer of the write that carried them does not read them back.
_WRITTEN = "regie_calendar_written"
# What an entry shows of its change, and what of it other changes' conflicts compare.
_SHOWS = frozenset(repository.PLANNED)
_CLAIMS = ("status", "planned_start", "planned_end", "service_ids", "ci_ids")


def install() -> None:
    """Keep stored entries honest on every session (idempotent); wired with the audit
    capture by every process that writes."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_soft_rollback", _forget_written)  # savepoints' too
        event.listen(Session, "after_commit", _forget_written)  # the outermost only


def _forget_written(session: Session, *_: Any) -> None:
    """A rollback may undo what the last flush wrote, and after the commit other writers may
    make it stale: kept only inside the transaction that wrote it."""
    session.info.pop(_WRITTEN, None)


def _after_flush(session: Session, _flush_context: Any) -> None:
    """Make stale what this flush may have changed: a change's own entry, and the live
    entries whose conflicts could name it (its old and new window), a freeze (its period),
    a CMDB relation (those naming CIs) or a DAP version (those causing downtime). A change
    whose own conflicts cannot have changed (an approval, a title) keeps its entry, written
    anew with the conflicts it holds."""
    session.info.pop(_WRITTEN, None)
    stale: dict[uuid.UUID, dict[str, Any]] = {}

    def of(tenant_id: uuid.UUID) -> dict[str, Any]:
        return stale.setdefault(tenant_id, {"ids": set(), "spans": set(), "own": []})

    for whole, objects in ((True, session.new), (False, session.dirty), (True, session.deleted)):
        for obj in objects:
            if isinstance(obj, Change):
                _changed(obj, of(obj.tenant_id), whole=whole)
            elif isinstance(obj, Freeze):
                of(obj.tenant_id)["spans"].add((obj.starts_at, obj.ends_at))
            elif isinstance(obj, CiRelation):
                of(obj.tenant_id)["with_cis"] = True
            elif isinstance(obj, DapVersion):
                of(obj.tenant_id)["with_downtime"] = True
    for tenant_id, which in stale.items():
        if which["own"]:
            which["ids"] |= _carry(session, tenant_id, which["own"])
        del which["own"]
        if any(which.values()):
            session.info.pop(_WRITTEN, None)  # what it makes stale may include those
            repository.make_stale(session, tenant_id, shown=SHOWN, live=LIVE, **which)
            enqueue_gathered(session, REFRESH, str(tenant_id))


def _changed(change: Change, which: dict[str, Any], *, whole: bool) -> None:
    """A change created or deleted (`whole`), or updated: its own entry, and, where what
    others compare changed, its window before and after the flush if it claimed it then or
    claims it now. Where neither changed (an approval moves a change from live to live),
    its own conflicts stand: its entry is carried over."""
    state = inspect(change)
    touched = {a.key for a in state.attrs if a.key in _SHOWS and a.history.has_changes()}
    if not (whole or touched):
        return
    now = [getattr(change, name) for name in _CLAIMS]
    before = [
        history.deleted[0] if history.deleted else value
        for history, value in zip((state.attrs[n].history for n in _CLAIMS), now, strict=True)
    ]
    claims = [(status in LIVE, *rest) for status, *rest in (before, now)]
    if not whole and claims[0] == claims[1]:
        if "causes_downtime" not in touched:
            which["own"].append(change)
            return
        which["ids"].add(change.id)  # its own maintenance-window warning
        return
    which["ids"].add(change.id)
    for live, start, end, *_ in claims:
        if live and start is not None and end is not None:
            which["spans"].add((start, end))


def _carry(session: Session, tenant_id: uuid.UUID, changes: list[Change]) -> set[uuid.UUID]:
    """Write the entries of `changes` anew with the conflicts they hold; those of which none
    is stored, or that a write made stale since they were read, are answered to be made
    stale instead."""
    held = repository.held_entries(session, tenant_id, [c.id for c in changes])
    found = []
    for change in changes:
        entry, epoch = held.get(change.id, (None, 0))
        if entry is None or change.status not in SHOWN:
            continue
        planned = Planned(*(getattr(change, name) for name in repository.PLANNED))
        found.append(
            (change.id, epoch, calendar_json.text(planned, calendar_json.conflicts(entry)))
        )
    written = repository.rewrite_entries(session, tenant_id, found)
    session.info.setdefault(_WRITTEN, {}).update((c, x) for c, _, x in found if c in written)
    return {c.id for c in changes} - written
