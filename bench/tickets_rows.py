"""Rows of the tickets dataset, as tuples in COPY column order. Pure: no database access.

One `Desk` per tenant holds its people and groups and turns a creation time into a ticket
row, its history rows (`tickets_event`) and its replies (`tickets_message`).
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import tickets_words as words

TICKET_COLUMNS = [
    "tenant_id",
    "id",
    "number",
    "type",
    "title",
    "description",
    "status",
    "impact",
    "urgency",
    "priority",
    "reporter_id",
    "reporter_name",
    "group_id",
    "line",
    "assignee_id",
    "assignee_name",
    "occurred_at",
    "preceding_actions",
    "reproducible",
    "investigation",
    "cause_outside_service",
    "third_party",
    "external_reference",
    "privacy_findings",
    "resolution",
    "version",
    "created_at",
    "updated_at",
    "responded_at",
    "resolved_at",
    "closed_at",
]
EVENT_COLUMNS = [
    "tenant_id",
    "id",
    "ticket_id",
    "at",
    "actor",
    "actor_name",
    "kind",
    "from_value",
    "to_value",
    "reason",
    "data",
]
MESSAGE_COLUMNS = [
    "tenant_id",
    "id",
    "ticket_id",
    "author",
    "author_id",
    "author_name",
    "by_reporter",
    "visibility",
    "body",
    "redacted",
    "created_at",
]

TYPES = (
    ("incident", 55),
    ("service-request", 30),
    ("question", 10),
    ("change-request", 3),
    ("onboarding", 1),
    ("offboarding", 1),
)
LEVELS = (("low", 50), ("medium", 35), ("high", 15))
# Final status of a ticket younger than 60 days; older ones are nearly all finished.
RECENT_STATUS = (
    ("new", 10),
    ("assigned", 12),
    ("in-progress", 25),
    ("needs-information", 4),
    ("waiting-reporter", 6),
    ("waiting-third-party", 4),
    ("waiting-change", 2),
    ("resolved", 15),
    ("closed", 20),
    ("rejected", 2),
)
OLD_STATUS = (("closed", 90), ("rejected", 5), ("resolved", 2), ("in-progress", 2), ("new", 1))
MATRIX = {
    ("high", "high"): "urgent",
    ("high", "medium"): "high",
    ("medium", "high"): "high",
    ("high", "low"): "medium",
    ("medium", "medium"): "medium",
    ("low", "high"): "medium",
}
REPLY_COUNTS = ((0, 15), (1, 25), (2, 25), (3, 20), (4, 15))  # 1.95 per ticket


def weighted(pairs: tuple[tuple, ...]) -> tuple[list, list[float]]:
    values = [v for v, _ in pairs]
    return values, list(itertools.accumulate(w for _, w in pairs))


def zipf(items: list[str], s: float = 1.0) -> tuple[list[str], list[float]]:
    """Cumulative Zipf weights by list position: the first words are the common ones."""
    return items, list(itertools.accumulate(1 / (rank**s) for rank in range(1, len(items) + 1)))


def uuid7_at(rng: random.Random, when: datetime) -> uuid.UUID:
    """A UUIDv7 carrying `when`, as the app would have minted it at that moment."""
    ms = int(when.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62)
    return uuid.UUID(int=value | rng.getrandbits(62))


@dataclass
class Person:
    id: uuid.UUID
    name: str

    @property
    def label(self) -> str:
        return f"user:{self.id}"


@dataclass
class Group:
    id: uuid.UUID
    name: str
    line: str
    manager: Person
    members: list[Person] = field(default_factory=list)


def person(rng: random.Random) -> Person:
    first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
    return Person(uuid.UUID(int=rng.getrandbits(128), version=4), f"{first} {last}")


class Desk:
    """One tenant: reporters, assignment groups, and the rows its tickets produce."""

    def __init__(self, rng: random.Random, tenant_id: uuid.UUID, now: datetime) -> None:
        self.rng, self.tenant_id, self.now = rng, tenant_id, now
        self.reporters = [person(rng) for _ in range(rng.randint(200, 800))]
        self.groups = [
            Group(uuid.UUID(int=rng.getrandbits(128), version=4), name, line, person(rng))
            for name, line in words.GROUPS
        ]
        for g in self.groups:
            g.members = [person(rng) for _ in range(rng.randint(3, 8))]
        self.next_number = 1
        self.types, self.levels = weighted(TYPES), weighted(LEVELS)
        self.recent, self.old = weighted(RECENT_STATUS), weighted(OLD_STATUS)
        self.nl, self.en = zipf(words.NL_WORDS), zipf(words.EN_WORDS)
        self.apps = zipf(words.APPS, 1.1)
        self.reply_counts = weighted(REPLY_COUNTS)

    def pick(self, table: tuple[list, list[float]]) -> str:
        values, cumulative = table
        return values[bisect.bisect(cumulative, self.rng.random() * cumulative[-1])]

    def group_rows(self) -> list[tuple]:
        return [
            (self.tenant_id, g.id, g.name, g.line, g.manager.id, g.manager.name, True, self.now)
            for g in self.groups
        ]

    def member_rows(self) -> list[tuple]:
        return [(self.tenant_id, g.id, m.id, m.name) for g in self.groups for m in g.members]

    # ----------------------------------------------------------------- text

    def text(self, dutch: bool) -> tuple[str, str]:
        """A title and a description in one language."""
        app, app2 = self.pick(self.apps), self.pick(self.apps)
        templates = words.NL_TITLES if dutch else words.EN_TITLES
        place = self.rng.choice(words.PLACES)
        title = self.rng.choice(templates).format(app=app, app2=app2, place=place)
        sentences = words.NL_SENTENCES if dutch else words.EN_SENTENCES
        chosen = self.rng.sample(sentences, self.rng.randint(1, 3))
        filler_from = self.nl if dutch else self.en
        filler = self.rng.choices(
            filler_from[0], cum_weights=filler_from[1], k=self.rng.randint(15, 60)
        )
        body = " ".join(s.format(app=app) for s in chosen) + " " + " ".join(filler) + "."
        return title, body

    # ----------------------------------------------------------------- one ticket

    def ticket(self, created: datetime) -> tuple[tuple, list[tuple], list[tuple]]:
        """(ticket row, event rows, message rows) of a ticket reported at `created`."""
        rng = self.rng
        ticket_id = uuid7_at(rng, created)
        kind = self.pick(self.types)
        recent = self.now - created < timedelta(days=60)
        status = self.pick(self.recent if recent else self.old)
        impact, urgency = self.pick(self.levels), self.pick(self.levels)
        priority = MATRIX.get((impact, urgency), "low")
        reporter = rng.choice(self.reporters)
        dutch = rng.random() < 0.7
        title, description = self.text(dutch)
        history = History(self, ticket_id, created, reporter)
        history.play(status, priority)
        group, assignee = history.group, history.assignee
        incident = kind == "incident"
        row = (
            self.tenant_id,
            ticket_id,
            f"TIC-{self.next_number:06d}",
            kind,
            title,
            description,
            status,
            impact,
            urgency,
            history.priority,
            reporter.id,
            reporter.name,
            group.id if group else None,
            group.line if group else None,
            assignee.id if assignee else None,
            assignee.name if assignee else None,
            created - timedelta(minutes=rng.randint(5, 600)) if incident else None,
            ("Opnieuw opgestart." if dutch else "Restarted the laptop.") if incident else None,
            rng.random() < 0.6 if incident else None,
            ("Andere browser geprobeerd." if dutch else "Tried another browser.")
            if incident
            else None,
            rng.random() < 0.1 if incident else None,
            "Centric" if status == "waiting-third-party" else None,
            f"EXT-{rng.randint(10000, 99999)}" if status == "waiting-third-party" else None,
            "[]",
            history.resolution,
            len(history.rows),
            created,
            history.at,
            history.responded_at,
            history.resolved_at,
            history.closed_at,
        )
        self.next_number += 1
        return row, history.rows, self.replies(ticket_id, created, history.at, reporter, dutch)

    def replies(
        self, ticket_id: uuid.UUID, created: datetime, last: datetime, reporter: Person, dutch: bool
    ) -> list[tuple]:
        """About two messages per ticket, alternating between the desk and the reporter."""
        rng = self.rng
        count = self.pick(self.reply_counts)
        texts = words.REPLIES_NL if dutch else words.REPLIES_EN
        span = max((last - created).total_seconds(), 60)
        agent = rng.choice(rng.choice(self.groups).members)
        rows = []
        for n in range(count):
            at = created + timedelta(seconds=span * (n + 1) / (count + 1))
            by_reporter = n % 2 == 1
            who = reporter if by_reporter else agent
            internal = not by_reporter and rng.random() < 0.2
            rows.append(
                (
                    self.tenant_id,
                    uuid7_at(rng, at),
                    ticket_id,
                    who.label,
                    who.id,
                    who.name,
                    by_reporter,
                    "internal" if internal else "public",
                    rng.choice(texts),
                    False,
                    at,
                )
            )
        return rows


class History:
    """The events that lead a new ticket to its final status, in time order."""

    def __init__(self, desk: Desk, ticket_id: uuid.UUID, created: datetime, reporter: Person):
        self.desk, self.ticket_id, self.at, self.reporter = desk, ticket_id, created, reporter
        self.rows: list[tuple] = []
        self.group: Group | None = None
        self.assignee: Person | None = None
        self.priority = ""
        self.resolution: str | None = None
        self.responded_at = self.resolved_at = self.closed_at = None
        self.add("created", reporter, None, "new")

    def add(self, kind: str, who: Person, before: str | None, after: str | None, **data) -> None:
        self.rows.append(
            (
                self.desk.tenant_id,
                uuid7_at(self.desk.rng, self.at),
                self.ticket_id,
                self.at,
                who.label,
                who.name,
                kind,
                before,
                after,
                data.pop("reason", None),
                json.dumps(data),
            )
        )

    def later(self, mean_hours: float) -> None:
        step = timedelta(hours=self.desk.rng.expovariate(1 / mean_hours))
        self.at = min(self.at + step, self.desk.now)

    def play(self, status: str, priority: str) -> None:
        rng, self.priority = self.desk.rng, priority
        if status == "new":
            return
        if status == "rejected":
            self.later(4)
            self.status(rng.choice(self.desk.groups[0].members), "new", "rejected", "Geen storing")
            return
        self.assign()
        if rng.random() < 0.1:
            self.change_priority()
        current = "new"
        path = {
            "assigned": ["assigned"],
            "needs-information": ["assigned", "needs-information"],
            "resolved": ["in-progress", "resolved"],
            # 40 % are fixed by the first line without ever being "in progress".
            "closed": ["in-progress", "resolved", "closed"][rng.random() < 0.4 :],
        }.get(status, ["in-progress", status] if status != "in-progress" else ["in-progress"])
        for wanted in path:
            self.later(8)
            self.status(self.assignee or self.group.manager, current, wanted)
            current = wanted

    def assign(self) -> None:
        rng = self.desk.rng
        self.later(1)
        groups = self.desk.groups
        self.group = groups[0] if rng.random() < 0.6 else rng.choice(groups[1:])
        self.assignee = rng.choice(self.group.members) if rng.random() < 0.85 else None
        assignee_id = self.assignee.id if self.assignee else ""
        self.add(
            "assignment",
            self.group.manager,
            None,
            f"{self.group.id}/{assignee_id}",
            group=self.group.name,
            line=self.group.line,
            assignee=self.assignee.name if self.assignee else "",
        )

    def change_priority(self) -> None:
        before, self.priority = self.priority, self.desk.rng.choice(["urgent", "high", "low"])
        self.later(2)
        self.add("priority", self.group.manager, before, self.priority, reason="Impact herzien")

    def status(self, who: Person, before: str, after: str, reason: str | None = None) -> None:
        self.add("status", who, before, after, reason=reason)
        if after in ("in-progress", "resolved") and self.responded_at is None:
            self.responded_at = self.at
        if after == "resolved":
            self.resolved_at, self.resolution = self.at, "Opgelost / resolved"
        if after == "closed":
            self.closed_at = self.at
