"""A hand-built November 2026 of one tenant, with known KPI outcomes.

History rows are written at chosen moments (default calendar: Mon-Fri 08:30-17:00
Europe/Amsterdam, CET = UTC+1) and the ticket's clocks and facts are rebuilt from them, as
the listener would have. Every ticket is urgent unless told (1 h response, 2 h platform and
4 h application restore).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from core.db import unit_of_work
from services.kpi import permissions as kpi
from tests.factories import auth, make_token
from tickets import kpi as ticket_kpi
from tickets import sla
from tickets.models import EventKind, Line, Priority, Status, Ticket, TicketEvent

AMS = ZoneInfo("Europe/Amsterdam")
VIEWER = [kpi.READ]
MANAGER = [kpi.READ, kpi.PROPOSE]
OWNER = [kpi.READ, kpi.DECIDE]


def nov(d: int, h: int, mi: int = 0, mo: int = 11) -> datetime:
    """A wall-clock moment of 2026 in Amsterdam, as an aware UTC datetime."""
    return datetime(2026, mo, d, h, mi, tzinfo=AMS).astimezone(UTC)


def status(at: datetime, before: str, after: str) -> tuple:
    return (at, EventKind.status, before, after, {})


def responded(at: datetime) -> tuple:
    return (at, EventKind.responded, None, None, {})


def assigned(at: datetime, line: str, kind: EventKind = EventKind.assignment) -> tuple:
    data = {"line": line, "group": f"Line {line}"}
    if kind == EventKind.escalation:
        data["escalation"] = "functional"
    return (at, kind, None, "group", data)


def rewrite(desk: Any, ticket: dict[str, Any], opened: datetime, rows: list[tuple]) -> None:
    """Move the ticket's intake to `opened`, add history rows (at, kind, before, after,
    data) and rebuild its clocks and KPI facts from the whole history."""
    with unit_of_work(desk.tenant.id) as session:
        row = session.exec(select(Ticket).where(Ticket.id == uuid.UUID(ticket["id"]))).one()
        intake = select(TicketEvent).where(
            TicketEvent.ticket_id == row.id, TicketEvent.kind == EventKind.created
        )
        session.exec(intake).one().at = opened
        row.created_at = opened
        for at, kind, before, after, data in rows:
            session.add(
                TicketEvent(
                    ticket_id=row.id,
                    at=at,
                    actor="test:history",
                    actor_name="History",
                    kind=kind,
                    from_value=before,
                    to_value=after,
                    data=data,
                )
            )
            if kind == EventKind.status:
                row.status = Status(after)
            elif kind == EventKind.priority:
                row.priority = Priority(after)
            elif kind in (EventKind.assignment, EventKind.escalation):
                row.line = Line(data["line"])
        session.flush()
        sla.update_clocks(session, row)
        ticket_kpi.update_facts(session, row)


@dataclass
class Month:
    """The tickets of the month by the outcome they were built for."""

    desk: Any
    tickets: dict[str, dict[str, Any]]

    def number(self, name: str) -> str:
        return str(self.tickets[name]["number"])

    def id(self, name: str) -> str:
        return str(self.tickets[name]["id"])


def build_november(desk: Any) -> Month:
    """Eight tickets, A to H in number order:

    A met everywhere, on line 1. B missed everywhere, escalated to line 2. C responded in
    time, restore running at the month's end. D paused (waiting for the reporter) at the end.
    E rejected: not attributable. F a question: a type the agreement does not count. G missed
    its response; the test decides whether an exclusion takes it out. H met, but reopened once.
    H is an application incident (it counts in that restore KPI only), the others platform.
    """
    made = {name: desk.report() for name in "ABCDE"}
    made["F"] = desk.report(type="question", impact="low", urgency="low")
    made["G"], made["H"] = desk.report(), desk.report(incidentClass="application")
    rewrite(desk, made["A"], nov(2, 9), [
        assigned(nov(2, 9, 5), "1"),
        status(nov(2, 9, 30), "assigned", "in-progress"),
        responded(nov(2, 9, 30)),
        status(nov(2, 10), "in-progress", "resolved"),
    ])  # fmt: skip
    rewrite(desk, made["B"], nov(2, 9), [
        assigned(nov(2, 9, 5), "1"),
        assigned(nov(2, 10, 30), "2", EventKind.escalation),
        status(nov(2, 11), "assigned", "in-progress"),
        responded(nov(2, 11)),
        status(nov(3, 9), "in-progress", "resolved"),
    ])  # fmt: skip
    rewrite(desk, made["C"], nov(30, 16), [
        status(nov(30, 16, 10), "new", "in-progress"),
        responded(nov(30, 16, 10)),
    ])  # fmt: skip
    rewrite(desk, made["D"], nov(30, 10), [status(nov(30, 10, 30), "new", "waiting-reporter")])
    rewrite(desk, made["E"], nov(3, 9), [status(nov(3, 9, 20), "new", "rejected")])
    rewrite(desk, made["F"], nov(4, 10), [])
    rewrite(desk, made["G"], nov(4, 9), [
        status(nov(4, 12), "new", "in-progress"),
        responded(nov(4, 12)),
        status(nov(4, 12, 30), "in-progress", "resolved"),
    ])  # fmt: skip
    rewrite(desk, made["H"], nov(5, 9), [
        status(nov(5, 9, 10), "new", "in-progress"),
        responded(nov(5, 9, 10)),
        status(nov(5, 9, 40), "in-progress", "resolved"),
        status(nov(5, 10), "resolved", "in-progress"),
        status(nov(5, 10, 20), "in-progress", "resolved"),
    ])  # fmt: skip
    return Month(desk, made)


def exclude(client: Any, desk: Any, ticket: dict[str, Any], *, accept: bool = True) -> str:
    """Propose excluding `ticket` from November as the service level manager and, with
    `accept`, accept it as the service owner; returns the exclusion's id."""
    body = {
        "month": "2026-11",
        "subjectKind": "ticket",
        "subjectId": ticket["id"],
        "reason": "Caused by the client's own network",
    }
    manager, owner = make_token(desk.tenant, MANAGER), make_token(desk.tenant, OWNER)
    r = client.post("/api/v1/kpis/exclusions", headers=auth(manager), json=body)
    assert r.status_code == 201, r.text
    decision = {"decision": "accepted" if accept else "rejected", "reason": "Agreed"}
    d = client.post(
        f"/api/v1/kpis/exclusions/{r.json()['id']}/decisions",
        headers=auth(owner, **{"If-Match": r.headers["ETag"]}),
        json=decision,
    )
    assert d.status_code == 200, d.text
    return str(r.json()["id"])


def sign_closed_months(tenant_id: uuid.UUID) -> int:
    """What the production worker does after a month is closed: it drains the tenant's
    outbox, signing each closed month asked for; returns how many messages it handled."""
    import regie.worker  # noqa: F401  (the worker's outbox handlers, as it registers them)
    from core.outbox.service import drain

    return drain(tenant_id)
