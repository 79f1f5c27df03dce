"""The post-implementation review: once per change, incidents it caused checked in the
tenant, and required before a failed or rolled-back change is closed."""

from __future__ import annotations

import uuid

from tests.audit.helpers import records
from tests.changes.helpers import URL, Desk
from tests.factories import auth, make_tenant
from tests.tickets.helpers import Desk as TicketDesk


def _failed(desk: Desk) -> dict:
    # API keys hold no roles: a standard change runs through without a CAB vote.
    template = desk.client.post(
        "/api/v1/change-templates",
        headers=auth(desk.configurer),
        json={
            "name": "Patch",
            "description": "Monthly patches",
            "rollbackPlan": desk.change_body()["rollbackPlan"],
        },
    ).json()
    change = desk.create(type="standard", templateId=template["id"])
    for status in ("submitted", "scheduled", "implementing"):
        desk.move(change, status)
    return desk.move(change, "failed", reason="The database did not start")


def _review(desk: Desk, change: dict, **body) -> object:
    return desk.client.post(
        f"{URL}/{change['id']}/review",
        headers=auth(desk.writer),
        json={"outcome": "failed", "lessons": "Test the start-up on acceptance first", **body},
    )


def test_a_failed_change_is_closed_only_after_its_review(client) -> None:
    desk = Desk(client, make_tenant())
    incidents = TicketDesk(client, desk.tenant)
    incident = incidents.report()
    question = incidents.report(type="question", title="How?", description="How do I?")
    change = _failed(desk)
    refused = desk.act(change, "transitions", {"status": "closed"})
    assert refused.status_code == 422
    bad = _review(desk, change, incidentIds=[question["id"], str(uuid.uuid4())])
    assert bad.status_code == 400
    assert [p["name"] for p in bad.json()["invalidParams"]] == ["incidentIds.0", "incidentIds.1"]
    r = _review(desk, change, incidentIds=[incident["id"]])
    assert r.status_code == 201, r.text
    assert r.json()["incidentIds"] == [incident["id"]] and r.json()["outcome"] == "failed"
    assert _review(desk, change).status_code == 409
    got = client.get(f"{URL}/{change['id']}/review", headers=auth(desk.reader))
    assert got.status_code == 200 and got.json()["id"] == r.json()["id"]
    assert desk.move(change, "closed")["status"] == "closed"
    assert [e["kind"] for e in desk.history(change)][-2:] == ["reviewed", "status"]
    assert [e["action"] for e in records(desk.tenant.id, "changes_review")] == ["create"]


def test_a_review_is_for_a_change_that_ran_and_of_this_tenant(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    draft = desk.create()
    assert _review(desk, draft).status_code == 409
    assert client.get(f"{URL}/{draft['id']}/review", headers=auth(desk.reader)).status_code == 404
    change = _failed(desk)
    assert _review(other, change).status_code == 404
    theirs = TicketDesk(client, other.tenant).report()
    r = _review(desk, change, incidentIds=[theirs["id"]])
    assert r.status_code == 400 and theirs["number"] not in r.text
