"""The post-implementation review: once per change, incidents it caused checked in the
tenant, and required before a failed or rolled-back change is closed."""

from __future__ import annotations

import uuid

from tests.audit.helpers import records
from tests.changes.helpers import URL, Desk
from tests.factories import auth, make_tenant, make_token
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


def test_a_review_raises_an_improvement_linked_both_ways(client) -> None:
    from changes import permissions as changes
    from services.improvement import permissions as improvement

    may = [improvement.PROPOSE, improvement.READ, changes.READ]
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    proposer = make_token(desk.tenant, may)
    change = _failed(desk)
    path = f"{URL}/{change['id']}/improvements"
    assert client.post(path, headers=auth(proposer), json={}).status_code == 404  # no review
    assert _review(desk, change).status_code == 201
    r = client.post(path, headers=auth(proposer), json={"expectedBenefit": "Fewer failed starts"})
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["sourceKind"] == "post-implementation-review"
    assert item["sourceId"] == change["id"] and item["status"] == "proposed"
    assert item["title"].startswith(change["number"])
    assert item["description"] == "Test the start-up on acceptance first"
    listed = client.get(path, headers=auth(proposer)).json()["items"]
    assert [i["id"] for i in listed] == [item["id"]]
    # The register itself accepts the change as a review's source, and only the tenant's own.
    direct = {"title": "Rehearse", "description": "Rehearse the start-up"}
    body = {**direct, "sourceKind": "post-implementation-review", "sourceId": change["id"]}
    own = client.post("/api/v1/improvements", headers=auth(proposer), json=body)
    assert own.status_code == 201, own.text
    theirs = make_token(other.tenant, may)
    refused = client.post("/api/v1/improvements", headers=auth(theirs), json=body)
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "sourceId"
    assert client.post(path, headers=auth(theirs), json={}).status_code == 404
    assert client.get(path, headers=auth(theirs)).status_code == 404
    assert change["number"] not in client.get(path, headers=auth(theirs)).text
