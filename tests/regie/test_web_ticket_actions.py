"""The ticket page's daily work: replies and internal notes, attachments, assign, escalate,
forward, redact and the SLA clocks, each posted as a browser would and each through the
service the API uses."""

from __future__ import annotations

import re

import pytest

from tests.core.test_web_signin import csrf_of
from tests.factories import auth, make_tenant
from tests.regie import test_web_queue as shared
from tests.regie.test_web_tickets import form_of, report
from tests.tickets.helpers import Desk

# The same directory and people as the queue's tests.
idp, tenant, people = shared.idp, shared.tenant, shared.people
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def desk(client, tenant) -> Desk:
    return Desk(client, tenant)


def by_rita(people) -> dict[str, str]:
    """A ticket Rita reported through the form, as the API names it."""
    return {"id": report(people["rita"]).rsplit("/", 1)[1]}


def test_a_reply_and_an_internal_note(people, desk) -> None:
    ticket = by_rita(people)
    address = f"/tickets/{ticket['id']}"
    aad, rita = people["aad"], people["rita"]
    page = aad.get(address).text
    token = csrf_of(page)
    note = {"csrf": token, "body": "Logbestanden nagekeken.", "visibility": "internal"}
    reply = {"csrf": token, "body": "We kijken ernaar.", "visibility": "public"}

    assert aad.post(f"{address}/messages", data=note).status_code == 303
    sent = aad.post(f"{address}/messages", data=reply)

    assert sent.status_code == 303 and sent.headers["location"] == f"{address}#conversation"
    assert "Logbestanden nagekeken." in aad.get(address).text
    own = rita.get(address).text
    assert "We kijken ernaar." in own and "Logbestanden nagekeken." not in own
    assert desk.get(ticket)["respondedAt"] is not None  # the reply stopped the response clock
    sneaky = {**note, "csrf": csrf_of(own), "body": "Intern?"}
    assert rita.post(f"{address}/messages", data=sneaky).status_code == 403
    empty = aad.post(f"{address}/messages?lang=en", data={**reply, "body": " "})
    assert empty.status_code == 400 and 'id="message-body-error"' in empty.text


def test_assign_to_a_group_and_to_oneself(people, desk, client, idp) -> None:
    ticket = desk.report()
    group = desk.group("Servicedesk", "1")
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    hidden = form_of(aad.get(address).text, f"{address}/assignments")
    data = {**hidden, "groupId": group["id"], "assignToMe": "1"}

    not_member = aad.post(f"{address}/assignments?lang=en", data=data)

    assert not_member.status_code == 400 and 'id="assign-assigneeId-error"' in not_member.text
    r = client.post(
        f"/api/v1/assignment-groups/{group['id']}/members",
        headers=auth(desk.admin),
        json={"memberId": str(idp.ids["aad"]), "memberName": "Aad Visser"},
    )
    assert r.status_code == 201, r.text
    assert aad.post(f"{address}/assignments", data=data).status_code == 303
    after = desk.get(ticket)
    assert after["groupId"] == group["id"] and after["assigneeName"] == "Aad Visser"
    assert "Servicedesk" in aad.get(address).text


def test_escalate_functionally_and_hierarchically(people, desk) -> None:
    ticket = desk.report()
    first, second = desk.group("Servicedesk", "1"), desk.group("Applicatiebeheer", "2")
    desk.act(ticket, "assignments", {"groupId": first["id"]})
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    hidden = form_of(aad.get(address).text, f"{address}/escalations")

    no_reason = aad.post(f"{address}/escalations", data={**hidden, "kind": "functional"})
    assert no_reason.status_code == 400 and 'id="escalate-reason-error"' in no_reason.text
    up = {**hidden, "kind": "functional", "reason": "Kennis van lijn 2 nodig"}
    assert aad.post(f"{address}/escalations", data=up).status_code == 303
    assert desk.get(ticket)["groupId"] == second["id"]

    hidden = form_of(aad.get(address).text, f"{address}/escalations")
    boss = {**hidden, "kind": "hierarchical", "reason": "Dreigt te verlopen"}
    refused = aad.post(f"{address}/escalations?lang=en", data=boss)
    assert refused.status_code == 409 and "not possible for the ticket as it is now" in refused.text


def test_forward_to_a_third_party(people, desk) -> None:
    ticket = desk.report()
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    hidden = form_of(aad.get(address).text, f"{address}/forwardings")
    data = {**hidden, "thirdParty": "Hostingpartij", "externalReference": "INC-4711"}
    assert aad.post(f"{address}/forwardings", data=data).status_code == 303
    after = desk.get(ticket)
    assert after["status"] == "waiting-third-party" and after["externalReference"] == "INC-4711"
    assert "Hostingpartij (INC-4711)" in aad.get(address).text
    stale = aad.post(f"{address}/forwardings", data=data)  # the version the page had
    assert stale.status_code == 412


def test_redaction_needs_the_current_version(people, desk) -> None:
    ticket = by_rita(people)
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    hidden = form_of(aad.get(address).text, f"{address}/redactions")
    assert aad.post(f"{address}/redactions", data=hidden).status_code == 303
    reporter = form_of(people["rita"].get(address).text, f"{address}/messages")
    refused = people["rita"].post(f"{address}/redactions", data={**reporter, "version": "1"})
    assert refused.status_code == 403


def test_attachments_upload_and_download(people, desk, client) -> None:
    ticket = by_rita(people)
    address = f"/tickets/{ticket['id']}"
    rita = people["rita"]
    token = csrf_of(rita.get(address).text)

    up = rita.post(
        f"{address}/attachments", data={"csrf": token}, files={"file": ("scherm.png", PNG)}
    )

    assert up.status_code == 303 and up.headers["location"].endswith("#attachments")
    page = rita.get(address).text
    href = re.search(rf'href="({address}/attachments/[^"]+)" download>scherm.png<', page)[1]
    got = rita.get(href)
    assert got.status_code == 200 and got.content == PNG
    assert got.headers["content-disposition"].startswith("attachment;")
    exe = rita.post(
        f"{address}/attachments?lang=en",
        data={"csrf": token},
        files={"file": ("setup.exe", b"MZ" + b"\0" * 200)},
    )
    assert exe.status_code == 400 and 'id="attachment-file-error"' in exe.text
    assert "This kind of file is not accepted." in exe.text
    elsewhere = Desk(client, make_tenant()).report()
    assert (
        rita.get(f"/tickets/{elsewhere['id']}/attachments/{href.rsplit('/', 1)[1]}").status_code
        == 404
    )


def test_the_clocks_and_their_timeline(people, desk) -> None:
    ticket = by_rita(people)
    page = people["rita"].get(f"/tickets/{ticket['id']}").text
    assert "Servicenormklokken" in page and "Reactie" in page and "Herstel (platform)" in page
    assert "Hoe de klok liep:" in page
    english = people["aad"].get(f"/tickets/{ticket['id']}?lang=en").text
    assert "Restore (platform)" in english and "Deadline" in english


def test_another_tenants_ticket_cannot_be_worked(people, client) -> None:
    elsewhere = Desk(client, make_tenant())
    ticket = elsewhere.report()
    aad = people["aad"]
    token = csrf_of(aad.get("/tickets").text)
    address = f"/tickets/{ticket['id']}"
    data = {"csrf": token, "version": "1", "body": "x", "kind": "functional", "reason": "x"}
    for action in ("messages", "escalations", "redactions"):
        assert aad.post(f"{address}/{action}", data=data).status_code == 404
    assert elsewhere.history(ticket)[-1]["kind"] == "created"


def test_classify_and_reject_an_incident(people, desk) -> None:
    ticket = desk.report()
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    hidden = form_of(aad.get(address).text, f"{address}/class-changes")
    same = {**hidden, "incidentClass": "platform", "reason": "x"}
    assert aad.post(f"{address}/class-changes", data=same).status_code == 400  # already so
    moved = {**hidden, "incidentClass": "application", "reason": "Fout in de applicatie"}
    assert aad.post(f"{address}/class-changes", data=moved).status_code == 303
    assert desk.get(ticket)["incidentClass"] == "application"
    assert "Klasse gewijzigd" in aad.get(address).text

    hidden = form_of(aad.get(address).text, f"{address}/rejections")
    data = {**hidden, "reason": "Eigen netwerkstoring", "convertToServiceRequest": "1"}
    assert aad.post(f"{address}/rejections", data=data).status_code == 303
    after = desk.get(ticket)
    assert after["status"] == "rejected" and after["convertedToId"] is not None


def test_the_clocks_timeline_says_why_in_the_pages_language(people, desk) -> None:
    ticket = by_rita(people)
    moved = desk.act(
        ticket, "transitions", {"status": "waiting-reporter", "reason": "Schermafdruk?"}
    )
    assert moved.status_code == 200, moved.text
    dutch = people["aad"].get(f"/tickets/{ticket['id']}").text
    english = people["aad"].get(f"/tickets/{ticket['id']}?lang=en").text
    assert "Gepauzeerd: Wacht op melder" in dutch and "paused: waiting-reporter" not in dutch
    assert "Paused: Waiting for the reporter" in english
