"""`regie sla recompute` rebuilds a page of tickets at a time: exactly the clocks and KPI facts
the listeners keep as the history happens, in statements that grow with the pages of tickets,
not with the tickets."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import delete
from sqlmodel import select
from typer.testing import CliRunner

from core.db import unit_of_work
from regie.cli import app as cli
from services.kpi.models import TicketFactsRow
from services.sla import service as agreements
from services.sla import terms
from services.sla.models import Clock
from services.sla.schemas import AgreementCreate, ServiceHours, Window
from tests.services.kpi_month import build_november, nov, responded, rewrite, status
from tests.support.statements import counted
from tests.tickets.test_sla_clocks import principal
from tickets import recompute
from tickets.models import EventKind


def clocks(desk) -> list[tuple]:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = session.exec(select(Clock).order_by(Clock.ticket_id, Clock.kind))
        return [(row.ticket_id, row.kind, *row.figures()) for row in rows]


def facts(desk) -> list[tuple]:
    columns = [c for c in TicketFactsRow.model_fields if c != "computed_at"]
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = session.exec(select(TicketFactsRow).order_by(TicketFactsRow.ticket_id))
        return [tuple(getattr(row, c) for c in columns) for row in rows]


def forget(desk) -> None:
    """Empty the derived tables, as a bulk load of tickets leaves them."""
    with unit_of_work(desk.tenant.id) as session:
        session.execute(delete(Clock))
        session.execute(delete(TicketFactsRow))


def run(desk) -> str:
    done = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert done.exit_code == 0, done.output
    return done.output.strip()


def rebuilt(desk, *, stored: bool = False) -> list[str]:
    """The statements of one rebuild: from empty tables (every row is written), or with every
    row stored and unchanged (every row is looked up)."""
    if not stored:
        forget(desk)
    with counted() as sent, unit_of_work(desk.tenant.id) as session:
        recompute.recompute(session)
    return sent


def two_versions(desk) -> None:
    """Two versions for 3 November: the later number (round the clock, questions counted
    too) is the one in effect; tickets opened before it run on the default terms."""
    always = [Window(start="00:00", end="24:00")]
    first = AgreementCreate(effective_from=date(2026, 11, 3))
    second = AgreementCreate(
        effective_from=date(2026, 11, 3),
        service_hours=ServiceHours(**{day: always for day in terms.DAYS}),
        counted_types=[terms.TypeName.incident, terms.TypeName.question],
    )
    with unit_of_work(desk.tenant.id) as session:
        for data in (first, second):
            agreements.create_agreement(session, principal(desk), data=data, on=date(2026, 10, 1))


def test_a_rebuild_from_nothing_gives_the_rows_the_listeners_kept(desk, monkeypatch) -> None:
    two_versions(desk)
    build_november(desk)  # met, breached, escalated, running, paused, rejected, reopened, ...
    lowered = desk.report()
    rewrite(desk, lowered, nov(6, 9), [
        (nov(6, 9, 30), EventKind.priority, "urgent", "low", {}),
        status(nov(6, 10), "new", "in-progress"),
        responded(nov(6, 10)),
    ])  # fmt: skip
    kept_clocks, kept_facts = clocks(desk), facts(desk)
    states = {(row[1], row[4]) for row in kept_clocks}
    assert {state for _, state in states} == {"stopped", "running", "paused"}
    assert ("restore_application", "stopped") in states and any(row[9] for row in kept_clocks)
    assert len(kept_facts) == 9

    forget(desk)
    monkeypatch.setattr(recompute, "PAGE", 2)  # five pages, the last one part-full
    assert run(desk) == f"{desk.tenant.slug}: 9 tickets, {len(kept_clocks)} clocks changed"
    assert clocks(desk) == kept_clocks
    assert facts(desk) == kept_facts
    assert run(desk) == f"{desk.tenant.slug}: 9 tickets, 0 clocks changed"


def test_the_statements_grow_with_the_pages_not_the_tickets(desk, monkeypatch) -> None:
    # Not one of these tickets counts as created while the rebuild runs (see the last test).
    monkeypatch.setattr(recompute, "RECENT", -timedelta(hours=1))
    for _ in range(2):
        desk.report()
    few, few_stored = rebuilt(desk), rebuilt(desk, stored=True)
    for _ in range(10):
        ticket = desk.report()
        desk.act(ticket, "transitions", {"status": "in-progress"})
    more, more_stored = rebuilt(desk), rebuilt(desk, stored=True)
    assert len(more) == len(few), more
    assert len(more_stored) == len(few_stored), more_stored
    assert clocks(desk) and len(facts(desk)) == 12
    # Around the pages: the transaction's start, which tickets have stored clocks and facts
    # (read first), and the look for rows of no ticket in both tables. A page: its tickets,
    # their histories, the agreement versions, then the new clocks and the new facts, or
    # (with rows stored) the stored clocks and the stored facts.
    assert len(few) == 1 + 2 + 5 + 2, few
    assert len(few_stored) == 1 + 2 + 5 + 2, few_stored
    monkeypatch.setattr(recompute, "PAGE", 4)  # three pages and a last empty one
    assert len(rebuilt(desk)) == 1 + 2 + 3 * 5 + 1 + 2


def test_a_ticket_created_while_a_rebuild_runs_is_looked_up_not_added_twice(
    desk, monkeypatch
) -> None:
    old = desk.report()
    kept = clocks(desk), facts(desk)
    # Which tickets have rows was read before this one was created (and its rows written by
    # its own transaction's listeners).
    with unit_of_work(desk.tenant.id) as session:
        before = recompute.sla_store.clocked_tickets(session), recompute.kpi.facts_tickets(session)
    new = desk.report()
    monkeypatch.setattr(recompute.sla_store, "clocked_tickets", lambda _session: set(before[0]))
    monkeypatch.setattr(recompute.kpi, "facts_tickets", lambda _session: set(before[1]))
    assert run(desk) == f"{desk.tenant.slug}: 2 tickets, 0 clocks changed"
    assert {row[0] for row in clocks(desk)} == {uuid.UUID(old["id"]), uuid.UUID(new["id"])}
    assert len(facts(desk)) == 2 and len(kept[1]) == 1
