"""Working tickets: transitions, assignment and escalation over the lines, priority, rejection,
forwarding. Every change leaves a history row with who, when and why."""

from __future__ import annotations

import uuid
from datetime import timedelta

from core.db import unit_of_work
from core.types import utcnow
from tests.factories import auth
from tickets.models import Ticket


def test_only_allowed_transitions_happen(desk) -> None:
    ticket = desk.report()
    r = desk.act(ticket, "transitions", {"status": "closed"})
    assert r.status_code == 409 and r.headers["content-type"] == "application/problem+json"
    assert desk.get(ticket)["status"] == "new"
    r = desk.act(ticket, "transitions", {"status": "in-progress"})
    assert r.status_code == 200 and r.json()["status"] == "in-progress"
    assert r.json()["respondedAt"] is not None  # starting work is the supplier's response


def test_waiting_and_resolving_need_a_reason_and_a_resolution(desk) -> None:
    ticket = desk.report()
    desk.act(ticket, "transitions", {"status": "in-progress"})
    r = desk.act(ticket, "transitions", {"status": "waiting-third-party"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "reason"
    r = desk.act(ticket, "transitions", {"status": "resolved"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "resolution"
    r = desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Cache cleared"})
    assert r.status_code == 200 and r.json()["resolvedAt"] is not None


def test_every_transition_is_history_with_who_and_why(desk) -> None:
    ticket = desk.report()
    desk.act(ticket, "transitions", {"status": "in-progress"})
    desk.act(ticket, "transitions", {"status": "waiting-reporter", "reason": "Need a screenshot"})
    events = desk.history(ticket)
    statuses = [(e["fromValue"], e["toValue"]) for e in events if e["kind"] == "status"]
    assert statuses == [("new", "in-progress"), ("in-progress", "waiting-reporter")]
    waiting = next(e for e in events if e["toValue"] == "waiting-reporter")
    assert waiting["reason"] == "Need a screenshot" and waiting["actor"].startswith("api_key:")
    assert [e["kind"] for e in events][:1] == ["created"]


def test_needs_information_returns_to_the_reporter_and_back(desk) -> None:
    ticket = desk.report()
    desk.act(ticket, "transitions", {"status": "in-progress"})
    r = desk.act(ticket, "transitions", {"status": "needs-information", "reason": "Which case?"})
    assert r.json()["status"] == "needs-information"
    version = r.json()["version"]
    r = desk.client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        headers=auth(desk.reporter, **{"If-Match": f'"{version}"'}),
        json={"description": "The overview of case 2024-17 fails."},
    )
    assert r.status_code == 200 and r.json()["status"] == "in-progress"
    assert desk.history(ticket)[-1]["reason"] == "The reporter supplied information"


def test_reopening_only_within_the_tenants_window(desk) -> None:
    ticket = desk.report()
    desk.act(ticket, "transitions", {"status": "in-progress"})
    desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Fixed"})
    r = desk.act(ticket, "transitions", {"status": "in-progress"})
    assert r.status_code == 400  # reopening needs a reason
    r = desk.act(ticket, "transitions", {"status": "in-progress", "reason": "Back again"})
    assert r.status_code == 200 and r.json()["resolvedAt"] is None
    desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Fixed again"})
    with unit_of_work(desk.tenant.id) as session:
        row = session.get(Ticket, (desk.tenant.id, uuid.UUID(ticket["id"])))
        row.resolved_at = utcnow() - timedelta(days=11)  # the default window is 10 days
    r = desk.act(ticket, "transitions", {"status": "in-progress", "reason": "Again"})
    assert r.status_code == 409 and "10 days" in r.json()["detail"]


def test_assignment_to_a_group_member_and_escalation_over_the_lines(desk) -> None:
    first = desk.group("Service desk", "1")
    second = desk.group(
        "Functional support", "2", managerId=str(uuid.uuid4()), managerName="M. de Boer"
    )
    agent_id = str(uuid.uuid4())
    r = desk.client.post(
        f"/api/v1/assignment-groups/{first['id']}/members",
        headers=auth(desk.admin),
        json={"memberId": agent_id, "memberName": "A. Visser"},
    )
    assert r.status_code == 201
    ticket = desk.report()
    stranger = desk.act(
        ticket, "assignments", {"groupId": first["id"], "assigneeId": str(uuid.uuid4())}
    )
    assert stranger.status_code == 400
    r = desk.act(ticket, "assignments", {"groupId": first["id"], "assigneeId": agent_id})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["line"], r.json()["assigneeName"]) == (
        "assigned",
        "1",
        "A. Visser",
    )
    r = desk.act(
        ticket, "escalations", {"kind": "functional", "reason": "Needs application know-how"}
    )
    assert (r.json()["groupId"], r.json()["line"], r.json()["assigneeId"]) == (
        second["id"],
        "2",
        None,
    )
    r = desk.act(
        ticket, "escalations", {"kind": "hierarchical", "reason": "Client director called"}
    )
    assert r.status_code == 200
    escalations = [e for e in desk.history(ticket) if e["kind"] == "escalation"]
    assert [e["data"]["escalation"] for e in escalations] == ["functional", "hierarchical"]
    assert escalations[1]["data"]["manager"] == "M. de Boer"
    assignments = [e for e in desk.history(ticket) if e["kind"] in ("assignment", "escalation")]
    assert len(assignments) == 3


def test_a_priority_change_needs_a_reason_and_keeps_the_old_one_in_history(desk) -> None:
    ticket = desk.report(impact="low", urgency="low")
    r = desk.act(ticket, "priority-changes", {"priority": "high"})
    assert r.status_code == 400
    r = desk.act(ticket, "priority-changes", {"impact": "high", "reason": "Whole team blocked"})
    assert r.json()["priority"] == "medium" and r.json()["impact"] == "high"  # high x low
    r = desk.act(ticket, "priority-changes", {"priority": "urgent", "reason": "Election day"})
    assert r.json()["priority"] == "urgent"
    changes = [
        (e["fromValue"], e["toValue"], e["reason"])
        for e in desk.history(ticket)
        if e["kind"] == "priority"
    ]
    assert changes == [
        ("low", "medium", "Whole team blocked"),
        ("medium", "urgent", "Election day"),
    ]


def test_rejection_with_conversion_files_a_service_request_in_one_step(desk) -> None:
    ticket = desk.report()
    r = desk.act(
        ticket,
        "rejections",
        {"reason": "Caused by the client's own network", "convertToServiceRequest": True},
    )
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    new_id = r.json()["convertedToId"]
    assert new_id in r.headers["link"]
    converted = desk.get({"id": new_id})
    assert converted["type"] == "service-request" and converted["convertedFromId"] == ticket["id"]
    assert converted["reporterId"] == ticket["reporterId"]
    assert converted["number"] != ticket["number"]
    assert desk.act(ticket, "transitions", {"status": "in-progress"}).status_code == 409


def test_forwarding_to_a_third_party_keeps_its_reference_and_waits(desk) -> None:
    ticket = desk.report()
    r = desk.act(ticket, "forwardings", {"thirdParty": "Hosting BV", "externalReference": "HB-991"})
    assert r.status_code == 200
    body = r.json()
    assert (body["status"], body["thirdParty"], body["externalReference"]) == (
        "waiting-third-party",
        "Hosting BV",
        "HB-991",
    )


def test_a_backlog_story_link_is_history(desk) -> None:
    ticket = desk.report()
    r = desk.client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        headers=auth(desk.agent, **{"If-Match": '"1"'}),
        json={"backlogStory": "STORY-311"},
    )
    assert r.status_code == 200 and r.json()["backlogStory"] == "STORY-311"
    assert desk.history(ticket)[-1]["kind"] == "linked"


def test_two_agents_cannot_overwrite_each_other_unseen(desk) -> None:
    ticket = desk.report()
    url = f"/api/v1/tickets/{ticket['id']}/transitions"
    body = {"status": "in-progress"}
    assert desk.client.post(url, headers=auth(desk.agent), json=body).status_code == 428
    first = desk.client.post(url, headers=auth(desk.agent, **{"If-Match": '"1"'}), json=body)
    assert first.status_code == 200
    second = desk.client.post(
        url,
        headers=auth(desk.agent, **{"If-Match": '"1"'}),
        json={"status": "waiting-reporter", "reason": "x"},
    )
    assert second.status_code == 412 and desk.get(ticket)["status"] == "in-progress"


def test_a_reporter_cannot_work_tickets(desk) -> None:
    ticket = desk.report()
    r = desk.act(ticket, "transitions", {"status": "in-progress"}, token=desk.reporter)
    assert r.status_code == 403


def test_groups_are_per_tenant(desk, other) -> None:
    group = desk.group("Service desk", "1")
    r = desk.client.get(f"/api/v1/assignment-groups/{group['id']}", headers=auth(other.agent))
    assert r.status_code == 404
    assert (
        desk.client.get("/api/v1/assignment-groups", headers=auth(other.agent)).json()["items"]
        == []
    )
    r = desk.client.post(
        f"/api/v1/assignment-groups/{group['id']}/members",
        headers=auth(other.admin),
        json={"memberId": str(uuid.uuid4()), "memberName": "X"},
    )
    assert r.status_code == 404
    ticket = other.report()
    r = other.act(ticket, "assignments", {"groupId": group["id"]})
    assert r.status_code == 404
