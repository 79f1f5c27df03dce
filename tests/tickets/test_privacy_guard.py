"""The personal-data guard on tickets: warn or block per tenant, redaction that keeps the
original nowhere (ticket, search index, audit log, stored create answers)."""

from __future__ import annotations

from sqlmodel import select

from audit.models import AuditEntry
from core.api.idempotency import IdempotencyRecord
from core.db import unit_of_work
from tests.factories import auth
from tests.tickets.helpers import incident

BSN = "111222333"  # passes the 11-check
TEXT = f"Dossier van klant met BSN {BSN} en mail j.jansen@example.nl laadt niet."


def _set_mode(desk, mode: str) -> None:
    current = desk.client.get("/api/v1/ticket-settings", headers=auth(desk.admin))
    r = desk.client.patch(
        "/api/v1/ticket-settings",
        headers=auth(desk.admin, **{"If-Match": current.headers["etag"]}),
        json={"privacyMode": mode},
    )
    assert r.status_code == 200, r.text


def test_warn_mode_stores_the_ticket_and_shows_where(desk) -> None:
    ticket = desk.report(description=TEXT)
    found = {(f["field"], f["kind"]) for f in ticket["privacyFindings"]}
    assert found == {("description", "bsn"), ("description", "email")}
    bsn = next(f for f in ticket["privacyFindings"] if f["kind"] == "bsn")
    assert TEXT[bsn["start"] : bsn["end"]] == BSN


def test_block_mode_refuses_with_field_and_offset_and_stores_nothing(desk) -> None:
    _set_mode(desk, "block")
    r = desk.client.post(
        "/api/v1/tickets", headers=auth(desk.reporter), json=incident(description=TEXT)
    )
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    params = r.json()["invalidParams"]
    assert {p["pointer"] for p in params} == {"/description"}
    assert any(TEXT[p["start"] : p["end"]] == BSN for p in params)
    assert BSN not in r.text  # the answer points at it without repeating it
    assert desk.client.get("/api/v1/tickets", headers=auth(desk.agent)).json()["items"] == []
    clean = desk.report(description="Het dossieroverzicht laadt niet.")
    assert clean["number"].endswith("000001")  # the refused one took no number


def test_block_mode_also_guards_edits(desk) -> None:
    ticket = desk.report()
    _set_mode(desk, "block")
    r = desk.client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        headers=auth(desk.agent, **{"If-Match": '"1"'}),
        json={"title": f"Klant {BSN}"},
    )
    assert r.status_code == 422 and r.json()["invalidParams"][0]["pointer"] == "/title"
    assert desk.get(ticket)["title"] == ticket["title"]


def test_redaction_keeps_the_original_nowhere(desk) -> None:
    headers = auth(desk.reporter, **{"Idempotency-Key": "with-bsn"})
    created = desk.client.post("/api/v1/tickets", headers=headers, json=incident(description=TEXT))
    ticket = created.json()
    r = desk.act(ticket, "redactions", {})
    assert r.status_code == 200
    body = r.json()
    assert BSN not in body["description"] and "example.nl" not in body["description"]
    assert "[bsn removed]" in body["description"] and body["privacyFindings"] == []
    assert desk.history(ticket)[-1]["kind"] == "redacted"
    search = desk.client.get("/api/v1/tickets", params={"q": BSN}, headers=auth(desk.agent))
    assert search.json()["items"] == []
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        audit = " ".join(e.body for e in session.exec(select(AuditEntry)))
        stored = list(session.exec(select(IdempotencyRecord)))
    assert BSN not in audit and "jansen" not in audit
    assert stored == []
    again = desk.client.post("/api/v1/tickets", headers=headers, json=incident(description=TEXT))
    assert again.json()["id"] != ticket["id"]  # the old answer is gone; a retry is a new report


def test_only_agents_redact_and_only_in_their_tenant(desk, other) -> None:
    ticket = desk.report(description=TEXT)
    assert desk.act(ticket, "redactions", {}, token=desk.reporter).status_code == 403
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/redactions",
        headers=auth(other.agent, **{"If-Match": '"1"'}),
    )
    assert r.status_code == 404
    assert BSN in desk.get(ticket)["description"]


def test_messages_are_guarded_and_redacted_with_the_ticket(desk) -> None:
    ticket = desk.report()
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(desk.reporter),
        json={"body": f"Het gaat om klant {BSN}", "visibility": "public"},
    )
    assert r.status_code == 201
    findings = desk.get(ticket)["privacyFindings"]
    assert [f["field"] for f in findings] == [f"messages/{r.json()['id']}/body"]
    assert desk.act(ticket, "redactions", {}).status_code == 200
    listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/messages", headers=auth(desk.agent))
    assert BSN not in listed.text and "[bsn removed]" in listed.text
    assert desk.get(ticket)["privacyFindings"] == []
    _set_mode(desk, "block")
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(desk.agent),
        json={"body": f"IBAN NL91ABNA0417164300 van {BSN}", "visibility": "internal"},
    )
    assert r.status_code == 422 and r.json()["invalidParams"][0]["pointer"] == "/body"
    listed = desk.client.get(f"/api/v1/tickets/{ticket['id']}/messages", headers=auth(desk.agent))
    assert len(listed.json()["items"]) == 1
