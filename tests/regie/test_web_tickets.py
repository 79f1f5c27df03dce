"""The ticket pages: people signed in through the real OpenID provider report, follow and work
tickets in the browser, in Dutch and English, and every write goes through the service."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from core.db import unit_of_work
from core.settings import get_settings
from tests.core.test_web_signin import csrf_of, web_tenant
from tests.factories import make_tenant
from tests.support.web_people import directories, signed_in
from tests.tickets.helpers import Desk
from tickets.models import Status, Ticket, TicketEvent


@pytest.fixture(scope="module")
def idp():
    """The client's directory: two reporters, two line-1 agents and a problem manager."""
    provider = directories(
        {
            "rita": ("Rita Jansen", ["reporter"]),
            "rob": ("Rob de Boer", ["reporter"]),
            "aad": ("Aad Visser", ["agent-line-1"]),
            "ben": ("Ben Smit", ["agent-line-1"]),
            "pia": ("Pia Bakker", ["problem-manager"]),
        }
    )
    yield provider
    provider.stop()


@pytest.fixture
def tenant(idp, monkeypatch):
    return web_tenant(idp, monkeypatch)


@pytest.fixture
def people(app, idp, tenant) -> dict[str, TestClient]:
    """A signed-in browser for each person."""
    return signed_in(app, idp, tenant, "rita", "rob", "aad")


def incident_form(**overrides: str) -> dict[str, str]:
    form = {
        "type": "incident",
        "title": "Zaakoverzicht laadt niet",
        "description": "Het zaakoverzicht geeft een foutmelding na het aanmelden.",
        "urgency": "high",
        "occurredAt": "2024-06-01T10:30",
        "impact": "high",
        "precedingActions": "Aangemeld en het overzicht geopend.",
        "reproducible": "yes",
        "investigation": "Andere browser geprobeerd; zelfde fout.",
        "causeOutsideService": "no",
    }
    return {**form, **overrides}


def report(browser: TestClient, **overrides: str) -> str:
    """Report through the form as a person would; returns the ticket page's address."""
    form = browser.get("/tickets/new?type=incident")
    r = browser.post("/tickets", data={"csrf": csrf_of(form.text), **incident_form(**overrides)})
    assert r.status_code == 303, r.text
    return r.headers["location"].split("?")[0]


def stored(tenant) -> list[Ticket]:
    with unit_of_work(tenant.id, read_only=True) as session:
        return list(session.exec(select(Ticket)))


def form_of(html: str, action: str) -> dict[str, str]:
    """The hidden fields of the form posting to `action`, as the browser would send them."""
    block = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    assert block, action
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', block[0]))


def test_an_incident_is_reported_through_the_form(people, tenant, idp) -> None:
    rita = people["rita"]
    start = rita.get("/tickets/new")
    assert "Wat wilt u melden?" in start.text and 'name="type"' in start.text
    form = rita.get("/tickets/new?type=incident")
    assert 'type="datetime-local" id="occurredAt"' in form.text
    data = {"csrf": csrf_of(form.text), **incident_form(investigation="")}

    refused = rita.post("/tickets", data=data)

    assert refused.status_code == 400
    assert 'id="investigation-error"' in refused.text and "Dit veld is verplicht." in refused.text
    assert 'aria-invalid="true" aria-describedby="investigation-error"' in refused.text
    assert 'value="Zaakoverzicht laadt niet"' in refused.text  # what was typed stays
    assert stored(tenant) == []

    done = rita.post("/tickets", data={**data, "investigation": "Cache geleegd."})

    assert done.status_code == 303
    page = rita.get(done.headers["location"])
    (ticket,) = stored(tenant)
    assert "geregistreerd onder nummer" in page.text and ticket.number in page.text
    # Typed in Amsterdam summer time, stored in UTC.
    assert ticket.occurred_at == datetime(2024, 6, 1, 8, 30, tzinfo=UTC)
    assert ticket.reporter_id == idp.ids["rita"] and ticket.reporter_name == "Rita Jansen"
    assert ticket.reproducible is True and ticket.cause_outside_service is False


def test_the_audit_trail_names_the_person_behind_a_form(people, tenant, idp) -> None:
    from tests.audit.helpers import records

    report(people["rita"])
    actors = {(r["actor"]["kind"], r["actor"]["id"]) for r in records(tenant.id, "tickets_ticket")}
    assert actors == {("user", str(idp.ids["rita"]))}


def test_a_future_occurrence_and_a_missing_title_are_shown_together(people, tenant) -> None:
    rita = people["rita"]
    form = rita.get("/tickets/new?type=incident&lang=en")
    data = {"csrf": csrf_of(form.text), **incident_form(title="", occurredAt="2999-01-01T09:00")}
    r = rita.post("/tickets?lang=en", data=data)
    assert r.status_code == 400
    assert 'id="title-error"' in r.text and "This moment lies in the future." in r.text
    assert stored(tenant) == []


def test_the_pages_speak_dutch_by_default_and_english_on_request(people) -> None:
    page = people["rita"].get("/tickets")
    assert page.headers["content-language"] == "nl"
    assert "<h2>Meldingen</h2>" in page.text and "Melding doen" in page.text
    english = people["rita"].get("/tickets?lang=en")
    assert english.headers["content-language"] == "en"
    assert "<h2>Tickets</h2>" in english.text and 'href="/tickets/new?lang=en"' in english.text
    by_header = people["rita"].get("/tickets", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert "<h2>Tickets</h2>" in by_header.text


def test_a_reporter_sees_only_their_own_tickets(people, client) -> None:
    address = report(people["rita"], title="Printer van Rita")
    report(people["rob"], title="Scanner van Rob")

    assert people["rob"].get(address).status_code == 404
    assert "Printer van Rita" not in people["rob"].get("/tickets").text
    assert "Printer van Rita" in people["rita"].get("/tickets").text
    everything = people["aad"].get("/tickets").text
    assert "Printer van Rita" in everything and "Scanner van Rob" in everything


def test_another_tenants_ticket_is_not_found(people, client) -> None:
    elsewhere = Desk(client, make_tenant()).report()
    r = people["aad"].get(f"/tickets/{elsewhere['id']}")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"]
    assert "niet zichtbaar" in r.text
    assert people["aad"].get("/tickets/not-an-id").status_code == 404


def test_search_status_filter_and_next_page(people, monkeypatch) -> None:
    from regie.web import tickets as pages

    rita = people["rita"]
    report(rita, title="Koppeling met het zaaksysteem faalt")
    report(rita, title="Wachtwoord vergeten")
    assert "Wachtwoord" not in rita.get("/tickets?q=zaaksysteem").text
    assert "Koppeling" in rita.get("/tickets?q=zaaksysteem").text
    assert "Koppeling" not in rita.get("/tickets?status=resolved").text
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    first = rita.get("/tickets?status=new&lang=en")
    assert "Wachtwoord" in first.text and "Koppeling" not in first.text  # newest first
    following = re.search(r'<a href="([^"]+)" rel="next">', first.text)[1].replace("&amp;", "&")
    assert "status=new" in following and "lang=en" in following
    second = rita.get(following)
    assert "Koppeling" in second.text and "Wachtwoord" not in second.text


def test_an_agent_changes_status_and_the_history_shows_it(people, tenant) -> None:
    address = report(people["rita"])
    assert "Status wijzigen" not in people["rita"].get(address).text  # reporters do not work
    page = people["aad"].get(address)
    action = f"{address}/status"
    hidden = form_of(page.text, action)

    waiting = people["aad"].post(action, data={**hidden, "status": "waiting-reporter"})
    assert waiting.status_code == 400 and 'id="status-reason-error"' in waiting.text
    assert "Geef de reden van deze wijziging." in waiting.text

    moved = people["aad"].post(action, data={**hidden, "status": "in-progress"})

    assert moved.status_code == 303
    (ticket,) = stored(tenant)
    assert ticket.status == Status.in_progress
    after = people["aad"].get(address).text
    assert "van Nieuw naar In behandeling" in after and "Aad Visser" in after
    assert "van Nieuw naar In behandeling" in people["rita"].get(address).text


def test_an_agent_changes_the_priority(people, tenant) -> None:
    address = report(people["rita"])
    page = people["aad"].get(address)
    action = f"{address}/priority"
    data = {**form_of(page.text, action), "priority": "low", "reason": "Workaround available"}
    assert people["aad"].post(action, data=data).status_code == 303
    assert "van Urgent naar Laag" in people["aad"].get(address).text


def test_a_stale_form_gets_the_conflict_message_and_changes_nothing(people, tenant) -> None:
    address = report(people["rita"])
    page = people["aad"].get(address)  # the agent reads version 1 ...
    stale = form_of(page.text, f"{address}/status")
    priority = {**form_of(page.text, f"{address}/priority"), "priority": "low", "reason": "x"}
    assert people["aad"].post(f"{address}/priority", data=priority).status_code == 303
    # ... and submits the status form of the page they read before the priority changed.
    r = people["aad"].post(
        f"{address}/status?lang=en", data={**stale, "status": "resolved", "resolution": "Done"}
    )

    assert r.status_code == 412
    assert "Someone else changed this ticket after you opened it" in r.text
    assert ">Done</textarea>" in r.text  # what the agent typed stays in the form
    (ticket,) = stored(tenant)
    assert ticket.status == Status.new and ticket.resolution is None


def test_a_post_without_csrf_is_refused(people, tenant) -> None:
    refused = people["rita"].post("/tickets", data=incident_form())
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert stored(tenant) == []
    address = report(people["rita"])
    forged = people["aad"].post(
        f"{address}/status", data={"csrf": "forged", "version": "1", "status": "in-progress"}
    )
    assert forged.status_code == 403
    with unit_of_work(tenant.id, read_only=True) as session:
        kinds = [e.kind for e in session.exec(select(TicketEvent))]
    assert kinds == ["created"]


def test_a_reporter_cannot_post_an_agents_form(people, tenant) -> None:
    address = report(people["rita"])
    page = people["rita"].get(address)
    data = {"csrf": csrf_of(page.text), "version": "1", "status": "resolved", "resolution": "x"}
    assert people["rita"].post(f"{address}/status", data=data).status_code == 403
    assert stored(tenant)[0].status == Status.new


def test_visitors_without_a_session_go_to_the_start_page(app) -> None:
    anonymous = TestClient(app, base_url="https://testserver", follow_redirects=False)
    for path in ("/tickets", "/tickets/new", f"/tickets/{uuid.uuid4()}"):
        r = anonymous.get(path)
        assert r.status_code == 303 and r.headers["location"] == "/"
    assert anonymous.post("/tickets", data={"csrf": "x"}).status_code == 303


def test_the_demo_user_reports_and_works_tickets(app, tenant, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "demo_sign_in", True)
    demo = TestClient(app, base_url="https://testserver", follow_redirects=False)
    assert demo.post("/sign-in/demo", data={"tenant": tenant.slug}).status_code == 303
    address = report(demo)
    page = demo.get(f"{address}?lang=en")
    assert "Change status" in page.text and "Demo user" in page.text
