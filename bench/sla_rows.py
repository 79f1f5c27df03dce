"""Seeded rows of the service level benchmark: per-ticket KPI facts, stored SLA clocks,
outages and exclusions, as COPY text lines (tab-separated, `\\N` for NULL).

The facts follow tickets/kpi.py `ticket_facts` (what the listener stores for a ticket and
its history): `finished_at` is the last move from an open status to resolved, closed or
rejected (None while open), `resolved` a finished ticket not rejected, `reopen_count` the
returns from resolved or closed to an open status, `escalated` ever assigned above line 1,
`resolved_line` the line when it was last finished (None when rejected), `statuses` its status
timeline. The clocks follow services/sla/clock.py for the default agreement's targets: a
stopped clock met its target when `elapsed_seconds` < `target_seconds` and then has no
`breached_at`; a missed one has `breached_at` (= `deadline`, the moment the target was used
up) before its `stopped_at`; running and paused clocks (open tickets) have no `stopped_at`.
Business time is drawn, not computed from a calendar: the wall time a clock took is its
business time divided by a business share drawn from 0.25-1.0 (nights and weekends), plus
the waiting time, which pauses it.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

HOUR = 3600.0
MONTH_BUSINESS = 21 * 8.5 * HOUR
# services/sla/clock.py DEFAULT_POLICY, in business seconds.
TARGETS = {
    "urgent": {"response": 1 * HOUR, "restore_platform": 2 * HOUR, "restore_application": 4 * HOUR},
    "high": {"response": 2 * HOUR, "restore_platform": 4 * HOUR, "restore_application": 8 * HOUR},
    "medium": {
        "response": 4 * HOUR,
        "restore_platform": 8 * HOUR,
        "restore_application": MONTH_BUSINESS,
    },
    "low": {
        "response": 8 * HOUR,
        "restore_platform": 16 * HOUR,
        "restore_application": 2 * MONTH_BUSINESS,
    },
}
KINDS = ("response", "restore_platform", "restore_application")
TYPES = (
    ("incident", 70),
    ("service-request", 18),
    ("question", 8),
    ("change-request", 2),
    ("onboarding", 1),
    ("offboarding", 1),
)
PRIORITIES = (("urgent", 3), ("high", 15), ("medium", 42), ("low", 40))
HIGHER_LINES = (("2", 70), ("3", 20), ("third-party", 10))
WAITS = ("waiting-reporter", "waiting-third-party", "needs-information", "waiting-change")
CAUSES = (("supplier", 45), ("client-landscape", 20), ("third-party", 15), ("unknown", 20))

FACT_COLUMNS = [
    "tenant_id",
    "ticket_id",
    "number",
    "type",
    "priority",
    "line",
    "status",
    "opened_at",
    "responded_at",
    "finished_at",
    "resolved",
    "rejected",
    "reopen_count",
    "escalated",
    "resolved_line",
    "service_id",
    "statuses",
    "as_of",
    "computed_at",
]
CLOCK_COLUMNS = [
    "tenant_id",
    "ticket_id",
    "kind",
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
    "computed_at",
]
OUTAGE_COLUMNS = [
    "tenant_id",
    "id",
    "number",
    "start_at",
    "end_at",
    "scope",
    "service_id",
    "description",
    "attributable",
    "cause",
    "planned",
    "incident_id",
    "created_by",
    "version",
    "created_at",
    "updated_at",
]
EXCLUSION_COLUMNS = [
    "tenant_id",
    "id",
    "month",
    "subject_kind",
    "subject_id",
    "reason",
    "state",
    "proposed_by",
    "proposed_at",
    "decided_by",
    "decided_at",
    "decision_reason",
    "version",
]
NULL = "\\N"


def ts(at: datetime | None) -> str:
    return NULL if at is None else at.isoformat()


def _cell(value: object) -> str:
    kind = type(value)
    if value is None:
        return NULL
    if kind is datetime:
        return value.isoformat()  # type: ignore[attr-defined]
    if kind is bool:
        return "t" if value else "f"
    return value if kind is str else str(value)  # type: ignore[return-value]


def line_of(values: list[object]) -> str:
    return "\t".join([_cell(v) for v in values]) + "\n"


def uuid7(rng: random.Random, at: datetime) -> uuid.UUID:
    """A UUIDv7 carrying `at`, as core.ids.new_id makes them at that moment."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return uuid.UUID(int=value | rng.getrandbits(62))


def weighted(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    names, weights = zip(*table, strict=True)
    return rng.choices(names, weights)[0]


@dataclass
class Tenant:
    tenant_id: uuid.UUID
    agreement_id: uuid.UUID
    next_number: int = 1

    def __post_init__(self) -> None:
        # Formatted once: a UUID's str() is a large share of the generator's time.
        self.tenant_id, self.agreement_id = str(self.tenant_id), str(self.agreement_id)


def open_share(age_days: float) -> float:
    """Chance that a ticket of this age is still open: ~3 % over two years, mostly recent."""
    if age_days < 14:
        return 0.40
    if age_days < 60:
        return 0.10
    return 0.017


@dataclass
class Drawn:
    """One ticket's drawn history: timeline, finish and the three clock durations."""

    statuses: list[tuple[datetime, str]]
    responded: datetime | None
    first_finish: datetime | None
    finished: datetime | None
    response_business: float
    restore_business: float
    share: float


def _business(rng: random.Random, target: float, met: float) -> float:
    """Business seconds used: below the target with probability `met`, else over it."""
    if rng.random() < met:
        return target * rng.uniform(0.03, 0.97)
    return target * rng.uniform(1.03, 3.5)


def draw(rng: random.Random, opened: datetime, priority: str, reopens: int, final: str) -> Drawn:
    """A status timeline from opening to `final` (a finished status) and its clock inputs."""
    share = rng.uniform(0.25, 1.0)
    targets = TARGETS[priority]
    response = _business(rng, targets["response"], 0.93)
    restore = _business(rng, targets["restore_platform"], 0.92)
    restore = max(restore, response * 1.1)
    assigned = opened + timedelta(seconds=rng.uniform(30, 900))
    responded = opened + timedelta(seconds=max(response / share, 60))
    statuses = [(opened, "new"), (min(assigned, responded), "assigned")]
    statuses.append((responded, "in-progress"))
    waited = 0.0
    if rng.random() < 0.3:
        wait_from = responded + timedelta(seconds=rng.uniform(600, 4 * HOUR))
        waited = rng.expovariate(1 / (20 * HOUR))
        statuses.append((wait_from, rng.choice(WAITS)))
        statuses.append((wait_from + timedelta(seconds=waited), "in-progress"))
    finish = opened + timedelta(seconds=restore / share + waited)
    finish = max(finish, statuses[-1][0] + timedelta(seconds=60))
    first_finish = finish
    for _ in range(reopens):
        statuses.append((finish, "resolved"))
        again = finish + timedelta(seconds=rng.uniform(HOUR, 4 * 24 * HOUR))
        statuses.append((again, "in-progress"))
        extra = rng.uniform(0.05, 0.3) * restore
        restore += extra
        finish = again + timedelta(seconds=extra / share)
    statuses.append((finish, "rejected" if final == "rejected" else "resolved"))
    if final == "closed":
        statuses.append((finish + timedelta(days=5), "closed"))
    return Drawn(statuses, responded, first_finish, finish, response, restore, share)


def decided_at(breached: datetime | None, stop: datetime | None) -> datetime | None:
    """services/sla/clock.py decided_at: the breach, unless the clock stopped before it."""
    return breached if breached is not None and (stop is None or breached <= stop) else stop


def clock_rows(
    tenant: Tenant,
    ticket_id: uuid.UUID,
    priority: str,
    d: Drawn,
    opened: datetime,
    as_of: datetime,
    rejected: bool,
) -> list[str]:
    """The three stored clocks of a counted ticket, consistent with its drawn history;
    `rejected`: the ticket ended rejected."""
    rows, ticket_str = [], str(ticket_id)
    done = d.finished is not None and d.finished <= as_of
    for kind in KINDS:
        target = TARGETS[priority][kind]
        if kind == "response":
            stop = d.responded if d.responded and d.responded <= as_of else None
            used = d.response_business
        else:
            stop, used = (d.finished if done else None), d.restore_business
        warn_at = None
        if stop is None:  # open: figures as of the latest event
            used = min(used, (as_of - opened).total_seconds() * d.share * 0.8)
            current = d.statuses[-1][1]
            state = "paused" if current in WAITS else "running"
        else:
            state = "stopped"
        reached = opened + timedelta(seconds=target / d.share)
        breached = reached if used > target else None
        if state == "stopped" or breached is not None:
            deadline = breached
        else:
            left = (target - used) / d.share
            deadline = as_of + timedelta(seconds=left) if state == "running" else None
            if state == "running":
                warn_at = opened + timedelta(seconds=0.75 * target / d.share)
        rows.append(
            line_of(
                [
                    tenant.tenant_id,
                    ticket_str,
                    kind,
                    tenant.agreement_id,
                    priority,
                    state,
                    round(used, 1),
                    target,
                    round(max(target - used, 0.0), 1),
                    deadline,
                    breached,
                    stop,
                    warn_at,
                    decided_at(breached, stop),
                    rejected,
                    as_of,
                    as_of,
                ]
            )
        )
    return rows


def ticket_rows(
    rng: random.Random, tenant: Tenant, opened: datetime, now: datetime
) -> tuple[str, list[str], dict]:
    """(facts line, clock lines, a summary) of one ticket opened at `opened`."""
    ticket_id = uuid7(rng, opened)
    ticket_str = str(ticket_id)
    number = f"TIC-{tenant.next_number:06d}"
    tenant.next_number += 1
    kind, priority = weighted(rng, TYPES), weighted(rng, PRIORITIES)
    still_open = rng.random() < open_share((now - opened).total_seconds() / 86400)
    rejected = not still_open and rng.random() < 0.02
    reopens = 0
    if not still_open and not rejected and rng.random() < 0.04:
        reopens = 2 if rng.random() < 0.1 else 1
    escalated = rng.random() < 0.25
    line = weighted(rng, HIGHER_LINES) if escalated else (None if rng.random() < 0.03 else "1")
    d = draw(rng, opened, priority, reopens, "rejected" if rejected else "closed")
    timeline = [(at, s) for at, s in d.statuses if at <= now]
    if still_open:  # cut before its first finish: it is still being worked on
        timeline = [(at, s) for at, s in timeline if at < d.first_finish] or timeline[:1]
        d.finished = None
    elif d.finished > now:  # finished in the future: not finished yet by now
        timeline = [(at, s) for at, s in timeline if at < d.first_finish] or timeline[:1]
        d.finished, still_open = None, True
    d.statuses = timeline
    as_of = timeline[-1][0]
    status = timeline[-1][1]
    finished = d.finished if not still_open else None
    resolved = finished is not None and not rejected
    responded = d.responded if d.responded and d.responded <= as_of else None
    facts = line_of(
        [
            tenant.tenant_id,
            ticket_str,
            number,
            kind,
            priority,
            line,
            status,
            opened,
            responded,
            finished,
            resolved,
            rejected and finished is not None,
            reopens if finished is not None else 0,
            escalated,
            line if resolved else None,
            None,
            json.dumps([[at.isoformat(), s] for at, s in timeline]),
            as_of,
            as_of,
        ]
    )
    clocks = (
        clock_rows(tenant, ticket_id, priority, d, opened, as_of, status == "rejected")
        if kind == "incident"
        else []
    )
    summary = {"id": ticket_id, "open": finished is None, "opened": opened, "finished": finished}
    return facts, clocks, summary


def outage_rows(
    rng: random.Random, tenant: Tenant, month_start: datetime, first_number: int
) -> list[str]:
    """0-4 outages (mean 1.5) in the 30 days from `month_start`."""
    rows = []
    count = min(4, int(rng.expovariate(1 / 1.5)))
    for n in range(count):
        start = month_start + timedelta(seconds=rng.uniform(0, 30 * 86400))
        end = start + timedelta(seconds=rng.uniform(300, 4 * HOUR))
        cause = weighted(rng, CAUSES)
        rows.append(
            line_of(
                [
                    tenant.tenant_id,
                    uuid7(rng, start),
                    first_number + n,
                    start,
                    end,
                    "platform" if rng.random() < 0.5 else "application",
                    None,
                    "Storing: de omgeving was niet bereikbaar",
                    cause in ("supplier", "unknown"),
                    cause,
                    rng.random() < 0.2,
                    None,
                    "benchmark",
                    1,
                    start,
                    end,
                ]
            )
        )
    return rows


def exclusion_row(
    rng: random.Random, tenant: Tenant, month, subject: uuid.UUID, at: datetime, state: str
) -> str:
    decided = state != "proposed"
    return line_of(
        [
            tenant.tenant_id,
            uuid7(rng, at),
            month.isoformat(),
            "ticket",
            subject,
            "Oorzaak buiten de dienst (storing bij de internetprovider)",
            state,
            "benchmark supplier",
            at,
            "benchmark client" if decided else None,
            at + timedelta(days=2) if decided else None,
            "Akkoord" if decided else None,
            2 if decided else 1,
        ]
    )
