"""Raising and editing changes: numbers per tenant, every invalid field named, ids checked
in the caller's tenant, If-Match and Idempotency-Key, and nothing of another tenant's."""

from __future__ import annotations

import uuid

from tests.audit.helpers import records
from tests.changes.helpers import URL, Desk, plan
from tests.factories import auth, make_tenant, make_token
from tests.tickets.helpers import AGENT
from tests.tickets.helpers import Desk as TicketDesk


def test_a_change_is_raised_as_a_draft_with_the_tenants_number(client) -> None:
    desk = Desk(client, make_tenant("shn"))
    first = desk.create()
    second = desk.create(type="emergency")
    assert first["number"] == "SHN-C000001" and second["number"] == "SHN-C000002"
    assert first["status"] == "draft" and first["type"] == "normal"
    assert first["rollbackPlan"]["steps"][1] == {"action": "Deploy version 4.2 again"}
    assert first["rollbackPlan"]["test"]["environment"] == "acceptance"
    assert first["flags"] == [] and second["flags"] == []
    # Another tenant counts on its own.
    other = Desk(client, make_tenant("gem"))
    assert other.create()["number"] == "GEM-C000001"
    got = client.get(f"{URL}/{first['id']}", headers=auth(desk.reader))
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    assert [e["kind"] for e in desk.history(first)] == ["created"]


def test_the_implementer_works_in_the_tenant_and_is_named_by_it(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    made = desk.create()
    assert (made["implementerId"], made["implementerName"]) == (desk.implementer, "P. Jansen")
    given = desk.create(implementerName="Piet Jansen (night shift)")
    assert given["implementerName"] == "Piet Jansen (night shift)"
    for body in (
        desk.change_body(implementerId=other.implementer),  # another organisation's person
        desk.change_body(implementerId=None, implementerName="P. Jansen"),
    ):
        r = client.post(URL, headers=auth(desk.writer), json=body)
        assert r.status_code == 400, r.text
        assert [p["name"] for p in r.json()["invalidParams"]] == ["implementerId"]
    patched = client.patch(
        f"{URL}/{made['id']}",
        headers=auth(desk.writer, **{"If-Match": '"1"'}),
        json={"implementerId": other.implementer},
    )
    assert patched.status_code == 400
    assert desk.get(made)["implementerId"] == desk.implementer
    assert len(client.get(URL, headers=auth(desk.reader)).json()["items"]) == 2


def test_every_invalid_field_is_named_in_one_400(client) -> None:
    desk = Desk(client, make_tenant())
    body = desk.change_body(
        serviceIds=[desk.services[0], str(uuid.uuid4())],
        plannedStart="2026-12-10T10:00:00+01:00",
        plannedEnd="2026-12-10T09:00:00+01:00",
        implementerId=str(uuid.uuid4()),
        ticketId=str(uuid.uuid4()),
        problemId=str(uuid.uuid4()),
        templateId=str(uuid.uuid4()),
    )
    r = client.post(URL, headers=auth(desk.writer), json=body)
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    named = {p["name"] for p in r.json()["invalidParams"]}
    assert named == {
        "serviceIds.1",
        "plannedEnd",
        "implementerId",
        "ticketId",
        "problemId",
        "templateId",
    }
    # Shape errors are named all at once as well, naive times among them.
    r = client.post(
        URL,
        headers=auth(desk.writer),
        json={"type": "sometimes", "title": "", "plannedStart": "2026-12-10T10:00:00"},
    )
    assert r.status_code == 400
    named = {p["name"] for p in r.json()["invalidParams"]}
    assert {"type", "title", "description", "reason", "plannedStart"} <= named


def test_a_standard_change_needs_its_template(client) -> None:
    desk = Desk(client, make_tenant())
    r = client.post(URL, headers=auth(desk.writer), json=desk.change_body(type="standard"))
    assert r.status_code == 400
    assert [p["name"] for p in r.json()["invalidParams"]] == ["templateId"]


def test_ids_of_another_tenant_are_refused_as_unknown(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    theirs = TicketDesk(client, other.tenant)
    ticket = theirs.report(type="change-request", title="New release", description="Please")
    problem = client.post(
        "/api/v1/problems",
        headers=auth(make_token(other.tenant, ["problems:manage"])),
        json={"title": "Slow search", "description": "Search takes 30 s"},
    )
    assert problem.status_code == 201, problem.text
    body = desk.change_body(
        serviceIds=other.services[:1], ticketId=ticket["id"], problemId=problem.json()["id"]
    )
    r = client.post(URL, headers=auth(desk.writer), json=body)
    assert r.status_code == 400
    reasons = {p["name"]: p["reason"] for p in r.json()["invalidParams"]}
    assert reasons == {
        "serviceIds.0": "unknown service",
        "ticketId": "unknown ticket",
        "problemId": "unknown problem",
    }


def test_another_tenant_gets_404_and_learns_nothing(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    change = desk.create()
    path = f"{URL}/{change['id']}"
    missing = client.get(f"{URL}/{uuid.uuid4()}", headers=auth(other.reader))
    for r in (
        client.get(path, headers=auth(other.reader)),
        client.get(f"{path}/history", headers=auth(other.reader)),
        client.get(f"{path}/votes", headers=auth(other.reader)),
        client.get(f"{path}/rollbacks", headers=auth(other.reader)),
        client.patch(path, headers=auth(other.writer, **{"If-Match": '"1"'}), json={"title": "x"}),
        client.post(
            f"{path}/transitions",
            headers=auth(other.writer, **{"If-Match": '"1"'}),
            json={"status": "cancelled", "reason": "mine now"},
        ),
        client.post(
            f"{path}/rollback-tests",
            headers=auth(other.writer, **{"If-Match": '"1"'}),
            json=plan()["test"],
        ),
        client.post(
            f"{path}/risk-assessments",
            headers=auth(other.writer, **{"If-Match": '"1"'}),
            json={"answers": {"downtime": "none"}},
        ),
        client.post(
            f"{path}/rollbacks",
            headers=auth(other.writer, **{"If-Match": '"1"'}),
            json={
                "startedAt": "2026-12-01T10:00:00Z",
                "endedAt": "2026-12-01T11:00:00Z",
                "outcome": "restored",
            },
        ),
        client.post(
            f"{path}/review",
            headers=auth(other.writer),
            json={"outcome": "successful", "lessons": "None"},
        ),
        client.get(f"{path}/review", headers=auth(other.reader)),
    ):
        assert r.status_code == 404, r.text
        assert r.json()["title"] == missing.json()["title"]
        assert change["number"] not in r.text and change["title"] not in r.text
    listed = client.get(URL, headers=auth(other.reader)).json()["items"]
    assert listed == []
    assert desk.get(change)["version"] == 1


def test_a_draft_is_edited_with_if_match_only(client) -> None:
    desk = Desk(client, make_tenant())
    change = desk.create()
    path = f"{URL}/{change['id']}"
    missing = client.patch(path, headers=auth(desk.writer), json={"title": "New"})
    assert missing.status_code == 428
    stale = client.patch(
        path, headers=auth(desk.writer, **{"If-Match": '"7"'}), json={"title": "New"}
    )
    assert stale.status_code == 412
    ok = client.patch(
        path,
        headers=auth(desk.writer, **{"If-Match": '"1"'}),
        json={"title": "Upgrade to 4.4", "serviceIds": desk.services},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["title"] == "Upgrade to 4.4" and len(ok.json()["serviceIds"]) == 2
    assert ok.headers["etag"] == '"2"'
    bad = client.patch(
        path,
        headers=auth(desk.writer, **{"If-Match": '"2"'}),
        json={
            "title": None,
            "plannedEnd": "2020-01-01T00:00:00Z",
            "serviceIds": [str(uuid.uuid4())],
        },
    )
    assert bad.status_code == 400
    assert {p["name"] for p in bad.json()["invalidParams"]} == {
        "title",
        "plannedEnd",
        "serviceIds.0",
    }
    assert [e["kind"] for e in desk.history(change)] == ["created", "updated"]


def test_a_retried_create_with_the_same_key_is_one_change(client) -> None:
    desk = Desk(client, make_tenant())
    headers = auth(desk.writer, **{"Idempotency-Key": "change-1"})
    body = desk.change_body()
    first = client.post(URL, headers=headers, json=body)
    again = client.post(URL, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    other_body = client.post(URL, headers=headers, json={**body, "title": "Other"})
    assert other_body.status_code == 422
    assert len(client.get(URL, headers=auth(desk.reader)).json()["items"]) == 1


def test_reading_and_writing_need_their_permissions(client) -> None:
    desk = Desk(client, make_tenant())
    change = desk.create()
    agent = make_token(desk.tenant, AGENT)  # ticket permissions only
    assert client.get(URL, headers=auth(agent)).status_code == 403
    assert client.post(URL, headers=auth(desk.reader), json=desk.change_body()).status_code == 403
    r = client.patch(
        f"{URL}/{change['id']}", headers=auth(desk.reader, **{"If-Match": '"1"'}), json={}
    )
    assert r.status_code == 403


def test_changes_are_audited_with_digests_of_their_text(client) -> None:
    desk = Desk(client, make_tenant())
    change = desk.create()
    desk.move(change, "cancelled", reason="Not needed after all")
    written = records(desk.tenant.id, "changes_change")
    assert [r["action"] for r in written] == ["create", "update"]
    assert written[1]["changes"]["status"] == {"before": "draft", "after": "cancelled"}
    assert change["title"] not in str(written)  # free text is kept as a digest only
    events = records(desk.tenant.id, "changes_event")
    assert [e["action"] for e in events] == ["create", "create"]
