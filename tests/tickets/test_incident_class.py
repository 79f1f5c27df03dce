"""An incident's class (platform or application): set at intake, changed by an agent as an
audited history row, and it alone decides which restore clock runs and which KPI counts it.

The timed case, on the default calendar (Mon-Fri 08:30-17:00 Europe/Amsterdam, CET): an
urgent incident opened Fri 16 January 2026 16:30, worked and answered Mon 19 January 09:00,
resolved at 11:00. Business time used: 30 min on Friday + 2 h 30 on Monday = 3 h. Against
the platform target (2 h) it was breached at Mon 10:00; against the application target
(4 h) it was met.
"""

from __future__ import annotations

import uuid
from typing import Any

from typer.testing import CliRunner

from core.db import unit_of_work
from regie.cli import app as cli
from services.kpi import permissions as kpi
from services.kpi.public import stored_facts
from services.sla.public import stored_clocks
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.services.kpi_month import nov, responded, rewrite, status

H = 3600
READER = [kpi.READ]


def timed_incident(desk) -> dict[str, Any]:
    ticket = desk.report()  # no class given: platform
    rewrite(desk, ticket, nov(16, 16, 30, mo=1), [
        status(nov(19, 9, mo=1), "new", "in-progress"),
        responded(nov(19, 9, mo=1)),
        status(nov(19, 11, mo=1), "in-progress", "resolved"),
    ])  # fmt: skip
    return ticket


def clocks(desk, ticket) -> dict[str, Any]:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = stored_clocks(session, ticket_id=uuid.UUID(ticket["id"]))
        return {row.kind: row for row in rows}


def january(client, desk) -> dict[str, Any]:
    token = make_token(desk.tenant, READER)
    r = client.get("/api/v1/kpis", params={"period": "2026-01"}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


def evidence(client, desk, which: str) -> list[tuple[str, str | None]]:
    token = make_token(desk.tenant, READER)
    params = {"period": "2026-01", "kpi": which}
    r = client.get("/api/v1/kpis/evidence", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return [(row["outcome"], row["reason"]) for row in r.json()["items"]]


def counts(figure: dict[str, Any]) -> tuple:
    return figure["value"], figure["met"], figure["missed"]


def reclassify(desk, ticket, to: str = "application", **kw: Any) -> Any:
    return desk.act(ticket, "class-changes", {"incidentClass": to, "reason": "Only export"}, **kw)


def test_the_class_decides_the_restore_clock_and_the_kpi(client, desk) -> None:
    ticket = timed_incident(desk)
    assert desk.get(ticket)["incidentClass"] == "platform"
    kept = clocks(desk, ticket)
    assert set(kept) == {"response", "restore_platform"}
    assert kept["restore_platform"].breached_at == nov(19, 10, mo=1)
    assert kept["response"].elapsed_seconds == H and kept["response"].breached_at is None
    body = january(client, desk)
    assert counts(body["restorePlatform"]) == (0.0, 0, 1)
    assert counts(body["restoreApplication"]) == (None, 0, 0)
    assert evidence(client, desk, "restore-application") == [("excluded", "other class")]

    r = reclassify(desk, ticket)
    assert r.status_code == 200, r.text
    assert r.json()["incidentClass"] == "application"
    kept = clocks(desk, ticket)
    assert set(kept) == {"response", "restore_application"}
    application = kept["restore_application"]
    # Counted from the opening, under the new target: 3 h of 4, stopped at 11:00.
    assert (application.elapsed_seconds, application.target_seconds) == (3 * H, 4 * H)
    assert application.breached_at is None and application.stopped_at == nov(19, 11, mo=1)
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        facts = stored_facts(session, ticket_id=uuid.UUID(ticket["id"]))
        assert facts is not None and facts.incident_class == "application"
    body = january(client, desk)
    assert counts(body["restorePlatform"]) == (None, 0, 0)
    assert counts(body["restoreApplication"]) == (100.0, 1, 0)
    assert counts(body["response"]) == (100.0, 1, 0)
    assert body["restoreTime"]["count"] == 0  # the platform restore time has no incident
    assert evidence(client, desk, "restore-platform") == [("excluded", "other class")]
    # The change is a history row with the reason, and audited.
    row = desk.history(ticket)[-1]
    assert (row["kind"], row["fromValue"], row["toValue"]) == (
        "classified",
        "platform",
        "application",
    )
    assert row["reason"] == "Only export"
    changed = [e for e in records(desk.tenant.id, "tickets_ticket") if e["action"] == "update"]
    assert changed[-1]["changes"]["incident_class"] == {
        "before": "platform",
        "after": "application",
    }


def test_recompute_rebuilds_the_class_clocks_identically(client, desk) -> None:
    ticket = timed_incident(desk)
    assert reclassify(desk, ticket).status_code == 200
    before = {kind: row.figures() for kind, row in clocks(desk, ticket).items()}
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert run.exit_code == 0, run.output
    assert run.output.strip() == f"{desk.tenant.slug}: 1 tickets, 0 clocks changed"
    assert {kind: row.figures() for kind, row in clocks(desk, ticket).items()} == before


def test_a_closed_month_keeps_its_frozen_figures(client, desk) -> None:
    ticket = timed_incident(desk)
    closer = make_token(desk.tenant, [kpi.READ, kpi.CLOSE])
    closed = client.post(
        "/api/v1/kpis/closed-months", headers=auth(closer), json={"month": "2026-01"}
    )
    assert closed.status_code == 201, closed.text
    token = make_token(desk.tenant, READER)
    frozen = client.get("/api/v1/kpis", params={"period": "2026-01"}, headers=auth(token))
    assert reclassify(desk, ticket).status_code == 200
    after = client.get("/api/v1/kpis", params={"period": "2026-01"}, headers=auth(token))
    assert after.content == frozen.content and after.headers["Regie-Closed-Month"] == "true"
    assert counts(after.json()["restorePlatform"]) == (0.0, 0, 1)


def test_intake_takes_a_class_for_incidents_only(desk) -> None:
    assert desk.report(incidentClass="application")["incidentClass"] == "application"
    question = {"type": "question", "title": "Export?", "description": "Where is the export?"}
    r = desk.client.post(
        "/api/v1/tickets",
        headers=auth(desk.reporter),
        json={**question, "incidentClass": "platform"},
    )
    assert r.status_code == 400
    assert [p["name"] for p in r.json()["invalidParams"]] == ["incidentClass"]
    created = desk.client.post("/api/v1/tickets", headers=auth(desk.reporter), json=question)
    assert created.status_code == 201 and created.json()["incidentClass"] is None
    bad = desk.client.post(
        "/api/v1/tickets",
        headers=auth(desk.reporter),
        json={**question, "incidentClass": "network"},
    )
    assert bad.status_code == 400


def test_a_class_change_is_an_agents_checked_operation(desk, other) -> None:
    ticket = desk.report()
    url = f"/api/v1/tickets/{ticket['id']}/class-changes"
    body = {"incidentClass": "application", "reason": "Only export"}
    assert desk.client.post(url, headers=auth(desk.agent), json=body).status_code == 428
    stale = desk.client.post(url, headers=auth(desk.agent, **{"If-Match": '"99"'}), json=body)
    assert stale.status_code == 412
    assert reclassify(desk, ticket, token=desk.reporter).status_code == 403
    assert reclassify(desk, ticket, to="platform").status_code == 400  # already platform
    assert reclassify(desk, ticket, to="network").status_code == 400
    stranger = desk.client.post(url, headers=auth(other.agent, **{"If-Match": '"1"'}), json=body)
    assert stranger.status_code == 404 and ticket["number"] not in stranger.text
    assert desk.get(ticket)["incidentClass"] == "platform"  # nothing changed
    question = desk.report(type="question")
    assert reclassify(desk, question).status_code == 409
