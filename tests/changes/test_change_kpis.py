"""The change KPIs as the changes domain delivers them: counted from each change's status
history and review, in the KPI figures of the month its implementation ended, per tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.kpi import permissions as kpi
from tests.changes.helpers import URL, Cab, plan, window
from tests.factories import auth, make_token
from tests.tickets.helpers import Desk as TicketDesk


def _standard(cab: Cab, template: dict[str, Any], *steps: str, **extra: Any) -> dict[str, Any]:
    change = cab.create(type="standard", templateId=template["id"])
    for status in ("submitted", "scheduled", "implementing", *steps):
        change = cab.move(change, status, **({"reason": "It broke"} if status == "failed" else {}))
    return change


def test_change_kpis_count_each_change_once_by_how_its_implementation_ended(
    client, cab, other
) -> None:
    template = client.post(
        "/api/v1/change-templates",
        headers=auth(cab.configurer),
        json={"name": "Patch", "description": "Monthly patches", "rollbackPlan": plan()},
    ).json()
    good = _standard(cab, template, "implemented")
    failed = _standard(cab, template, "failed")
    undone = _standard(cab, template, "implemented")
    times = window(days=0, hours=1)
    r = cab.act(
        undone,
        "rollbacks",
        {"startedAt": times["plannedStart"], "endedAt": times["plannedEnd"], "outcome": "restored"},
    )
    assert r.status_code == 200, r.text
    incident = TicketDesk(client, cab.tenant).report()
    r = client.post(
        f"{URL}/{undone['id']}/review",
        headers=auth(cab.writer),
        json={
            "outcome": "rolled-back",
            "lessons": "Load test first",
            "incidentIds": [incident["id"]],
        },
    )
    assert r.status_code == 201, r.text
    emergency = cab.assess(cab.move(cab.create(type="emergency"), "submitted"))
    assert cab.vote(emergency, "cm").json()["status"] == "approved"
    for status in ("scheduled", "implementing", "implemented"):
        cab.move(emergency, status)
    cab.create()  # a draft counts nowhere

    period = datetime.now(ZoneInfo("Europe/Amsterdam")).strftime("%Y-%m")
    viewer = make_token(cab.tenant, [kpi.READ])
    r = client.get("/api/v1/kpis", params={"period": period}, headers=auth(viewer))
    assert r.status_code == 200, r.text
    changes = r.json()["changes"]
    assert (changes["successRate"]["part"], changes["successRate"]["whole"]) == (2, 4)
    assert changes["successRate"]["value"] == 50.0
    assert (changes["emergency"]["part"], changes["causedIncidents"]["part"]) == (1, 1)
    assert changes["leadTime"]["count"] == 3 and changes["leadTime"]["meanHours"] is not None
    rows = client.get(changes["successRate"]["evidence"], headers=auth(viewer)).json()["items"]
    outcomes = {row["number"]: (row["type"], row["outcome"]) for row in rows}
    assert outcomes == {
        good["number"]: ("standard", "succeeded"),
        failed["number"]: ("standard", "failed"),
        undone["number"]: ("standard", "rolled-back"),
        emergency["number"]: ("emergency", "succeeded"),
    }
    caused = client.get(changes["causedIncidents"]["evidence"], headers=auth(viewer)).json()
    assert [r["incidentIds"] for r in caused["items"] if r["counted"]] == [[incident["id"]]]

    # Another tenant counts none of these, and its evidence names none of them.
    theirs = make_token(other.tenant, [kpi.READ])
    figures = client.get("/api/v1/kpis", params={"period": period}, headers=auth(theirs)).json()
    assert figures["changes"]["successRate"]["whole"] == 0
    evidence = client.get(changes["successRate"]["evidence"], headers=auth(theirs))
    assert evidence.status_code == 200 and evidence.json()["items"] == []
    assert good["number"] not in evidence.text
