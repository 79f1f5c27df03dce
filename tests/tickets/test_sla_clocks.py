"""SLA clocks kept per ticket: created with the ticket, moved by its history, recomputable,
explained per segment.

Timed cases write history rows with chosen moments (in January 2026, on the default
calendar: Mon-Fri 08:30-17:00 Europe/Amsterdam, CET = UTC+1) and recompute; the flows over
the API check states only, since they run at whatever time the tests do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select
from typer.testing import CliRunner

from core.db import unit_of_work
from core.identity.permissions import Principal
from regie.cli import app as cli
from services.sla import permissions as sla_permissions
from services.sla import service as agreements
from services.sla import terms
from services.sla.models import Clock
from services.sla.public import stored_clocks
from services.sla.schemas import AgreementCreate, ServiceHours, Window
from tests.factories import auth, make_token
from tests.tickets.helpers import REPORTER
from tickets import lifecycle, sla
from tickets.models import EventKind, Priority, Status, Ticket, TicketEvent, TicketType

AMS = ZoneInfo("Europe/Amsterdam")
H, MIN = 3600, 60
PLATFORM, APPLICATION = "restore_platform", "restore_application"


def ams(d: int, h: int, mi: int = 0, mo: int = 1) -> datetime:
    """A wall-clock moment of 2026 in Amsterdam, as an aware UTC datetime."""
    return datetime(2026, mo, d, h, mi, tzinfo=AMS).astimezone(UTC)


def clocks(desk, ticket: dict[str, Any]) -> dict[str, Clock]:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = stored_clocks(session, ticket_id=uuid.UUID(ticket["id"]))
        return {row.kind: row for row in rows}


def rewrite(desk, ticket: dict[str, Any], opened: datetime, rows: list[tuple]) -> int:
    """Move the ticket's intake to `opened`, add history rows (at, kind, before, after) and
    recompute its clocks from the whole history; returns how many clocks changed."""
    with unit_of_work(desk.tenant.id) as session:
        row = session.exec(select(Ticket).where(Ticket.id == uuid.UUID(ticket["id"]))).one()
        intake = select(TicketEvent).where(
            TicketEvent.ticket_id == row.id, TicketEvent.kind == EventKind.created
        )
        session.exec(intake).one().at = opened
        row.created_at = opened
        for at, kind, before, after in rows:
            session.add(
                TicketEvent(
                    ticket_id=row.id,
                    at=at,
                    actor="test:history",
                    actor_name="History",
                    kind=kind,
                    from_value=before,
                    to_value=after,
                )
            )
            if kind == EventKind.status:
                row.status = Status(after)
            elif kind == EventKind.priority:
                row.priority = Priority(after)
        session.flush()
        return sla.update_clocks(session, row)


def status(at: datetime, before: str, after: str) -> tuple:
    return (at, EventKind.status, before, after)


def explain(desk, ticket: dict[str, Any], token: str | None = None) -> Any:
    return desk.client.get(f"/api/v1/tickets/{ticket['id']}/sla", headers=auth(token or desk.agent))


def figures(desk) -> list[tuple]:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = session.exec(select(Clock).order_by(Clock.ticket_id, Clock.kind))
        return [(row.ticket_id, row.kind, *row.figures()) for row in rows]


# --- the names the agreement uses are the tickets' own -----------------------------------------


def test_agreement_statuses_and_types_are_the_ticket_ones() -> None:
    assert {s.value for s in terms.StatusName} == {s.value for s in Status}
    assert {t.value for t in terms.TypeName} == {t.value for t in TicketType}
    assert {s.value for s in terms.DEFAULT_PAUSED} == {s.value for s in lifecycle.PAUSED}
    assert {s.value for s in lifecycle.DONE} == terms.STOPPED


# --- clocks follow the ticket over the API ---------------------------------------------------


def test_an_incident_gets_response_and_its_class_restore_clock_and_a_question_none(desk) -> None:
    incident = desk.report()  # no class given: platform
    kept = clocks(desk, incident)
    assert set(kept) == {"response", PLATFORM}
    assert {c.state for c in kept.values()} == {"running"}
    # High impact and urgency make it urgent: 1 h response, 2 h platform restore.
    assert [kept[k].target_seconds for k in ("response", PLATFORM)] == [H, 2 * H]
    assert {c.agreement_id for c in kept.values()} == {None}  # the default agreement
    application = clocks(desk, desk.report(incidentClass="application"))
    assert set(application) == {"response", APPLICATION}
    assert application[APPLICATION].target_seconds == 4 * H
    question = desk.report(type="question")
    assert clocks(desk, question) == {}
    r = explain(desk, question)
    assert r.status_code == 200 and r.json()["counted"] is False and r.json()["clocks"] == []


def test_waiting_for_the_reporter_pauses_every_clock(desk) -> None:
    ticket = desk.report()
    r = desk.act(ticket, "transitions", {"status": "waiting-reporter", "reason": "Screenshot?"})
    assert r.status_code == 200, r.text
    assert {c.state for c in clocks(desk, ticket).values()} == {"paused"}
    timeline = explain(desk, ticket).json()["clocks"][0]["timeline"]
    assert (timeline[-1]["state"], timeline[-1]["reason"]) == ("paused", "paused: waiting-reporter")


def test_response_stops_resolve_stops_restore_and_reopen_resumes(desk) -> None:
    ticket = desk.report()
    assert desk.act(ticket, "transitions", {"status": "in-progress"}).status_code == 200
    kept = clocks(desk, ticket)
    assert kept["response"].state == "stopped" and kept["response"].stopped_at is not None
    assert kept[PLATFORM].state == "running"
    r = desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Restarted."})
    assert r.status_code == 200, r.text
    resolved = clocks(desk, ticket)
    assert {c.state for c in resolved.values()} == {"stopped"}
    r = desk.act(ticket, "transitions", {"status": "in-progress", "reason": "Back again"})
    assert r.status_code == 200, r.text
    reopened = clocks(desk, ticket)
    assert reopened[PLATFORM].state == "running"
    assert reopened["response"].state == "stopped"  # a response is never taken back
    # Time used before the resolution is kept.
    assert reopened[PLATFORM].elapsed_seconds >= resolved[PLATFORM].elapsed_seconds


# --- figures from history with chosen moments ------------------------------------------------


def test_timed_history_pause_response_and_priority_change(desk) -> None:
    # Opened Fri 16 Jan 16:30 urgent; waiting for the reporter Mon 08:45-09:15, then work
    # starts (the response). Used by 09:15: 30 min Friday + 15 min Monday = 45 min.
    ticket = desk.report()
    rewrite(
        desk,
        ticket,
        ams(16, 16, 30),
        [
            status(ams(19, 8, 45), "new", "waiting-reporter"),
            status(ams(19, 9, 15), "waiting-reporter", "in-progress"),
            (ams(19, 9, 15), EventKind.responded, None, None),
        ],
    )
    before = clocks(desk, ticket)
    assert before["response"].state == "stopped" and before["response"].elapsed_seconds == 45 * MIN
    assert before["response"].stopped_at == ams(19, 9, 15)
    platform = before[PLATFORM]
    assert (platform.elapsed_seconds, platform.target_seconds) == (45 * MIN, 2 * H)
    assert platform.deadline == ams(19, 10, 30) and platform.as_of == ams(19, 9, 15)
    # At 10:00 the priority drops to low: the 90 minutes used stay, the target becomes 16 h
    # and the 14.5 h left run from Mon 10:00: 7 h on Monday, 7.5 h on Tuesday -> 16:00.
    changed = rewrite(
        desk, ticket, ams(16, 16, 30), [(ams(19, 10), EventKind.priority, "urgent", "low")]
    )
    after = clocks(desk, ticket)
    assert changed == 2  # each clock's priority and target moved
    assert after[PLATFORM].elapsed_seconds == 90 * MIN
    assert (after[PLATFORM].priority, after[PLATFORM].target_seconds) == ("low", 16 * H)
    assert after[PLATFORM].deadline == ams(20, 16)
    assert after["response"].elapsed_seconds == 45 * MIN  # stopped before the change


def test_explain_shows_each_segment_with_its_reason(desk) -> None:
    ticket = desk.report()
    rewrite(
        desk,
        ticket,
        ams(16, 16, 30),
        [
            status(ams(19, 8, 45), "new", "waiting-reporter"),
            status(ams(19, 9, 15), "waiting-reporter", "in-progress"),
            (ams(19, 9, 15), EventKind.responded, None, None),
            status(ams(19, 10), "in-progress", "resolved"),
        ],
    )
    r = explain(desk, ticket, desk.reporter)  # the reporter sees their own ticket's clocks
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["agreement"] == {
        "id": None,
        "version": None,
        "effectiveFrom": None,
        "isDefault": True,
    }
    assert body["serviceHours"]["friday"] == [{"start": "08:30", "end": "17:00"}]
    by_kind = {c["kind"]: c for c in body["clocks"]}
    assert set(by_kind) == {"response", "restore-platform"}
    platform = by_kind["restore-platform"]
    assert platform["state"] == "stopped" and platform["elapsedSeconds"] == 90 * MIN
    assert platform["stoppedAt"] == "2026-01-19T09:00:00Z" and platform["breachedAt"] is None
    steps = [(s["start"], s["end"], s["reason"]) for s in platform["timeline"]]
    assert steps[:-1] == [
        ("2026-01-16T15:30:00Z", "2026-01-16T16:00:00Z", "service hours"),
        ("2026-01-16T16:00:00Z", "2026-01-19T07:30:00Z", "outside service hours"),
        ("2026-01-19T07:30:00Z", "2026-01-19T07:45:00Z", "service hours"),
        ("2026-01-19T07:45:00Z", "2026-01-19T08:15:00Z", "paused: waiting-reporter"),
        ("2026-01-19T08:15:00Z", "2026-01-19T09:00:00Z", "service hours"),
    ]
    assert steps[-1][:1] == ("2026-01-19T09:00:00Z",) and steps[-1][2] == "stopped: resolved"
    assert by_kind["response"]["timeline"][-1]["reason"] == "stopped: responded"
    assert [s["businessSeconds"] for s in platform["timeline"]][:3] == [30 * MIN, 0, 15 * MIN]


def test_explain_is_hidden_from_other_reporters_and_other_tenants(desk, other) -> None:
    ticket = desk.report()
    neighbour = make_token(desk.tenant, REPORTER)  # a colleague of the reporter
    assert explain(desk, ticket, neighbour).status_code == 404
    r = explain(desk, ticket, other.agent)
    assert r.status_code == 404 and "clocks" not in r.text
    assert explain(desk, ticket, make_token(desk.tenant, [sla_permissions.READ])).status_code == 403


# --- which agreement applies -----------------------------------------------------------------


def principal(desk) -> Principal:
    return Principal(
        tenant_id=desk.tenant.id,
        actor_id=uuid.uuid4(),
        kind="api_key",
        name="test",
        permissions=frozenset({sla_permissions.READ, sla_permissions.MANAGE}),
    )


def test_the_version_in_effect_at_opening_applies_and_later_ones_change_nothing(desk) -> None:
    round_the_clock = [Window(start="00:00", end="24:00")]
    data = AgreementCreate(
        effective_from=date(2026, 2, 1),
        service_hours=ServiceHours(**{day: round_the_clock for day in terms.DAYS}),
        counted_types=[terms.TypeName.incident, terms.TypeName.question],
    )
    with unit_of_work(desk.tenant.id) as session:
        version = agreements.create_agreement(
            session, principal(desk), data=data, on=date(2026, 1, 1)
        )
        version_id = version.id
    # Opened before 1 February: the default terms, office hours, for the whole life.
    early = desk.report()
    rewrite(desk, early, ams(30, 16, 30), [status(ams(2, 18, mo=2), "new", "in-progress")])
    kept = clocks(desk, early)
    assert kept[PLATFORM].agreement_id is None
    assert kept[PLATFORM].elapsed_seconds == 30 * MIN + 8.5 * H  # Fri 16:30-17:00 + Mon
    # Opened on 3 February: round-the-clock, and questions count too.
    late = desk.report(type="question")
    rewrite(desk, late, ams(3, 20, mo=2), [status(ams(3, 21, mo=2), "new", "in-progress")])
    kept = clocks(desk, late)
    assert kept[PLATFORM].agreement_id == version_id
    assert kept[PLATFORM].elapsed_seconds == H
    r = explain(desk, late)
    assert r.json()["agreement"]["version"] == 1
    assert r.json()["agreement"]["effectiveFrom"] == "2026-02-01"


# --- recompute ---------------------------------------------------------------------------------


def test_recompute_matches_the_kept_clocks_and_restores_a_tampered_one(desk) -> None:
    first, second = desk.report(), desk.report(urgency="low")
    desk.act(first, "transitions", {"status": "in-progress"})
    desk.act(first, "transitions", {"status": "resolved", "resolution": "Fixed."})
    desk.act(second, "transitions", {"status": "waiting-third-party", "reason": "Vendor"})
    desk.act(second, "priority", {"priority": "high", "reason": "More users hit"})
    desk.report(type="question")
    kept = figures(desk)
    assert len(kept) == 4  # response and platform restore of each incident
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert run.exit_code == 0, run.output
    assert run.output.strip() == f"{desk.tenant.slug}: 3 tickets, 0 clocks changed"
    assert figures(desk) == kept
    with unit_of_work(desk.tenant.id) as session:
        row = session.exec(select(Clock).where(Clock.ticket_id == uuid.UUID(first["id"]))).first()
        row.state, row.elapsed_seconds, row.breached_at = "running", 0.0, ams(1, 9)
    with unit_of_work(desk.tenant.id) as session:
        session.add(
            Clock(
                ticket_id=uuid.uuid4(),
                kind="response",
                priority="low",
                state="running",
                elapsed_seconds=0,
                target_seconds=1,
                remaining_seconds=1,
                as_of=ams(1, 9),
            )
        )
    assert figures(desk) != kept
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    # The tampered clock is restored and the one of no ticket is dropped.
    assert run.output.strip() == f"{desk.tenant.slug}: 3 tickets, 2 clocks changed"
    assert figures(desk) == kept
