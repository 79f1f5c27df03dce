"""The problem pages: agents read problems and link incidents to them, reporters search the
known errors for a workaround, and another tenant's problem stays unknown."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.core.test_web_signin import csrf_of, sign_in
from tests.factories import make_tenant
from tests.regie import test_web_queue as shared
from tests.regie.test_web_tickets import form_of
from tests.tickets.test_problems import Problems

# The same directory and people as the queue's tests (Aad works tickets, Rita reports).
idp, tenant, people = shared.idp, shared.tenant, shared.people


@pytest.fixture
def team(client, tenant) -> Problems:
    return Problems(client, tenant)


def known_error(team: Problems) -> dict:
    problem = team.problem(title="Zaakoverzicht traag", description="Trage query.")
    r = team.patch(problem, {"rootCause": "Ontbrekende index", "workaround": "Filter op jaar"})
    assert r.status_code == 200 and r.json()["knownError"] is True, r.text
    return problem


def test_an_agent_reads_problems_and_their_incidents(people, team) -> None:
    problem = known_error(team)
    aad = people["aad"]
    listed = aad.get("/problems").text
    assert problem["number"] in listed and "Bekende fout" in listed
    assert problem["number"] not in aad.get("/problems?status=closed").text
    page = aad.get(f"/problems/{problem['id']}?lang=en")
    assert page.status_code == 200
    assert "Ontbrekende index" in page.text and "No incidents are linked yet." in page.text


def test_an_agent_links_an_incident_from_its_page(people, team) -> None:
    problem = team.problem(title="Koppeling valt weg")
    ticket = team.report()
    address = f"/tickets/{ticket['id']}"
    aad = people["aad"]
    page = aad.get(address).text
    assert "Aan een probleem koppelen" in page and problem["number"] in page
    hidden = form_of(page, f"{address}/problem")

    wrong = aad.post(f"{address}/problem?lang=en", data={**hidden, "problemId": "nonsense"})
    assert wrong.status_code == 400 and 'id="problem-problemId-error"' in wrong.text
    linked = aad.post(f"{address}/problem", data={**hidden, "problemId": problem["id"]})

    assert linked.status_code == 303
    assert team.get(ticket)["problemId"] == problem["id"]
    after = aad.get(address).text
    assert f'href="/problems/{problem["id"]}"' in after
    assert ticket["number"] in aad.get(f"/problems/{problem['id']}").text


def test_a_reporter_searches_known_errors_but_reads_no_problems(people, team) -> None:
    known_error(team)
    team.problem(title="Nog in onderzoek")
    rita = people["rita"]
    found = rita.get("/known-errors?q=zaakoverzicht")
    assert found.status_code == 200
    assert "Filter op jaar" in found.text and "Nog in onderzoek" not in found.text
    assert "Filter op jaar" not in rita.get("/known-errors?q=printer").text
    refused = rita.get("/problems")
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert 'href="/known-errors"' in rita.get("/").text
    assert 'href="/problems"' not in rita.get("/").text


def test_another_tenants_problem_is_not_found(people, client) -> None:
    elsewhere = Problems(client, make_tenant())
    problem = known_error(elsewhere)
    aad = people["aad"]
    r = aad.get(f"/problems/{problem['id']}")
    assert r.status_code == 404 and problem["title"] not in r.text
    assert aad.get("/problems/not-an-id").status_code == 404
    assert problem["title"] not in aad.get("/known-errors").text


def test_an_incident_cannot_be_linked_to_another_tenants_problem(people, team, client) -> None:
    team.problem(title="Eigen probleem")
    theirs = Problems(client, make_tenant()).problem(title="Hun probleem")
    ticket = team.report()
    address = f"/tickets/{ticket['id']}"
    page = people["aad"].get(address).text
    assert "Eigen probleem" in page and "Hun probleem" not in page
    hidden = form_of(page, f"{address}/problem")

    r = people["aad"].post(f"{address}/problem", data={**hidden, "problemId": theirs["id"]})

    assert r.status_code == 400 and 'id="problem-problemId-error"' in r.text
    assert "Hun probleem" not in r.text and team.get(ticket)["problemId"] is None


@pytest.fixture
def pia(app, idp, tenant) -> TestClient:
    """The problem manager's browser."""
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    sign_in(browser, idp, tenant, login="pia")
    return browser


def test_resolving_a_problem_resolves_its_open_incidents(pia, team) -> None:
    problem = team.problem(title="Koppeling valt weg")
    ticket = team.report()
    assert team.link(problem, ticket).status_code in (200, 201)
    address = f"/problems/{problem['id']}"
    hidden = form_of(pia.get(address).text, f"{address}/resolutions")
    data = {**hidden, "resolution": "Certificaat vernieuwd", "resolveIncidents": "1"}

    assert pia.post(f"{address}/resolutions", data=data).status_code == 303

    assert team.fetch(problem)["status"] == "resolved"
    assert team.get(ticket)["status"] == "resolved"
    assert team.get(ticket)["resolution"] == "Certificaat vernieuwd"


def test_a_problem_manager_records_a_problem_and_makes_it_a_known_error(pia, people, team) -> None:
    form = pia.get("/problems/new")
    assert form.status_code == 200
    data = {"csrf": csrf_of(form.text), "title": "", "description": "Traag", "priority": "high"}
    refused = pia.post("/problems?lang=en", data=data)
    assert refused.status_code == 400 and 'id="title-error"' in refused.text

    made = pia.post("/problems", data={**data, "title": "Zaakoverzicht traag"})

    assert made.status_code == 303
    address = made.headers["location"]
    page = pia.get(address).text
    details = {**form_of(page, f"{address}/details"), "rootCause": "Index", "workaround": "Jaar"}
    assert pia.post(f"{address}/details", data=details).status_code == 303
    assert "Bekende fout" in pia.get(address).text
    stale = pia.post(f"{address}/details", data={**details, "workaround": "Anders"})
    assert stale.status_code == 412
    page = pia.get(address).text
    published = pia.post(
        f"{address}/workaround-publications",
        data=form_of(page, f"{address}/workaround-publications"),
    )
    assert published.status_code == 303
    page = pia.get(address).text
    closing = {**form_of(page, f"{address}/transitions"), "status": "closed"}
    early = pia.post(f"{address}/transitions?lang=en", data=closing)
    assert early.status_code == 400 and 'id="problem-reason-error"' in early.text
    done = pia.post(f"{address}/transitions", data={**closing, "reason": "Opgelost elders"})
    assert done.status_code == 303 and "Gesloten" in pia.get(address).text
    assert people["aad"].get("/problems/new").status_code == 403  # agents do not record them
