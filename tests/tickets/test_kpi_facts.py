"""The KPI facts of each ticket: fed from its history as it happens, and rebuilt by
`regie sla recompute` with identical results."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select
from typer.testing import CliRunner

from core.db import unit_of_work
from regie.cli import app as cli
from services.kpi.models import TicketFactsRow
from services.kpi.public import stored_facts


def facts(desk, ticket: dict[str, Any]) -> TicketFactsRow:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        row = stored_facts(session, ticket_id=uuid.UUID(ticket["id"]))
        assert row is not None
        return row


def table(desk) -> list[tuple]:
    columns = [c for c in TicketFactsRow.model_fields if c != "computed_at"]
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = session.exec(select(TicketFactsRow).order_by(TicketFactsRow.ticket_id))
        return [tuple(getattr(row, c) for c in columns) for row in rows]


def test_a_new_ticket_has_open_facts(desk) -> None:
    ticket = desk.report()
    kept = facts(desk, ticket)
    assert (kept.number, kept.type, kept.priority, kept.status) == (
        ticket["number"],
        "incident",
        "urgent",
        "new",
    )
    assert kept.line is None and kept.finished_at is None and kept.responded_at is None
    assert not kept.resolved and not kept.rejected and not kept.escalated
    assert kept.reopen_count == 0 and [s for _, s in kept.statuses] == ["new"]


def test_first_line_resolution_then_a_reopen(desk) -> None:
    group = desk.group("Service desk", "1")
    ticket = desk.report()
    assert desk.act(ticket, "assignments", {"groupId": group["id"]}).status_code == 200
    desk.act(ticket, "transitions", {"status": "in-progress"})
    desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Restarted."})
    kept = facts(desk, ticket)
    assert kept.line == "1" and kept.resolved_line == "1" and not kept.escalated
    assert kept.resolved and kept.finished_at is not None and kept.responded_at is not None
    r = desk.act(ticket, "transitions", {"status": "in-progress", "reason": "Back again"})
    assert r.status_code == 200, r.text
    reopened = facts(desk, ticket)
    assert reopened.finished_at is None and not reopened.resolved and reopened.reopen_count == 1
    desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Really fixed."})
    desk.act(ticket, "transitions", {"status": "closed"})
    closed = facts(desk, ticket)
    # Closing a resolved ticket is no new finish: it finished when it was resolved.
    assert closed.resolved and closed.reopen_count == 1 and closed.status == "closed"
    assert [s for _, s in closed.statuses][-2:] == ["resolved", "closed"]


def test_an_escalation_and_a_rejection(desk) -> None:
    desk.group("Service desk", "1")
    desk.group("Application support", "2")
    ticket = desk.report()
    body = {"kind": "functional", "reason": "Needs application knowledge"}
    assert desk.act(ticket, "escalations", body).status_code == 200  # to line 1 first
    assert facts(desk, ticket).escalated is False
    assert desk.act(ticket, "escalations", body).status_code == 200
    kept = facts(desk, ticket)
    assert kept.line == "2" and kept.escalated
    other = desk.report()
    r = desk.act(other, "rejections", {"reason": "The cause is the client's network"})
    assert r.status_code == 200, r.text
    rejected = facts(desk, other)
    assert rejected.rejected and not rejected.resolved and rejected.finished_at is not None


def test_recompute_rebuilds_the_facts_identically(desk) -> None:
    group = desk.group("Service desk", "1")
    first, second = desk.report(), desk.report(urgency="low")
    desk.act(first, "assignments", {"groupId": group["id"]})
    desk.act(first, "transitions", {"status": "in-progress"})
    desk.act(first, "transitions", {"status": "resolved", "resolution": "Fixed."})
    desk.act(second, "transitions", {"status": "waiting-third-party", "reason": "Vendor"})
    desk.report(type="question")
    kept = table(desk)
    assert len(kept) == 3
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert run.exit_code == 0, run.output
    assert table(desk) == kept
    with unit_of_work(desk.tenant.id) as session:
        row = session.exec(
            select(TicketFactsRow).where(TicketFactsRow.ticket_id == uuid.UUID(first["id"]))
        ).one()
        row.resolved, row.reopen_count, row.line = False, 7, None
        stray = TicketFactsRow(**{**row.model_dump(), "ticket_id": uuid.uuid4()})
        session.add(stray)
    assert table(desk) != kept
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert run.exit_code == 0, run.output
    # The tampered row is restored and the one of no ticket is dropped.
    assert table(desk) == kept
