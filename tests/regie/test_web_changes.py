"""The change pages: a change manager raises a change, writes and tests its rollback plan,
submits and assesses it; the client's product owner approves it from the browser; stale
forms and one's own change are refused with a page that says why; another tenant's change
stays unknown; the calendar marks a conflict."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from changes import permissions as p
from core.db import unit_of_work
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from regie.web import AMSTERDAM
from tests.changes.helpers import Desk, plan, window
from tests.core.test_web_signin import csrf_of, web_tenant
from tests.factories import auth, make_tenant, make_token
from tests.regie.test_web_tickets import form_of
from tests.services.test_dap import MANAGER as DAP_MANAGER
from tests.services.test_dap import body as dap_body
from tests.support.web_people import directories, signed_in


@pytest.fixture(scope="module")
def idp():
    """The client's directory: a change manager, the product owner and a reporter."""
    provider = directories(
        {
            "carla": ("Carla Smit", ["change-manager"]),
            "paul": ("Paul de Wit", ["product-owner"]),
            "rita": ("Rita Jansen", ["reporter"]),
        }
    )
    yield provider
    provider.stop()


@pytest.fixture
def tenant(idp, monkeypatch):
    return web_tenant(idp, monkeypatch)


@pytest.fixture
def desk(client, tenant) -> Desk:
    """The same tenant through the API: services, and a rule that the product owner approves
    normal low-risk changes alone."""
    found = Desk(client, tenant)
    rule = {"changeType": "normal", "riskClass": "low", "approvers": [{"role": "product-owner"}]}
    token = make_token(tenant, [p.READ, p.CONFIGURE])
    r = client.post("/api/v1/change-approval-rules", headers=auth(token), json=rule)
    assert r.status_code == 201, r.text
    return found


@pytest.fixture
def people(app, idp, tenant) -> dict[str, TestClient]:
    return signed_in(app, idp, tenant, "carla", "paul", "rita")


def local(days: int, hour: int) -> str:
    moment = datetime.now(AMSTERDAM) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0).strftime("%Y-%m-%dT%H:%M")


def post(browser: TestClient, path: str, page: str, fields: dict) -> object:
    return browser.post(path, data={**form_of(page, path), **fields})


def raise_change(carla: TestClient, desk: Desk) -> str:
    """Carla raises a draft through the form; the answer is the change's address."""
    form = carla.get("/changes/new?lang=en")
    assert form.status_code == 200 and "Raise a change" in form.text
    answer = carla.post(
        "/changes",
        data={
            "csrf": csrf_of(form.text),
            "type": "normal",
            "title": "Upgrade the case system",
            "description": "New release 4.3.",
            "reason": "4.2 is out of support.",
            "serviceIds": desk.services[:1],
            "plannedStart": local(3, 1),
            "plannedEnd": local(3, 3),
            "implementerId": my_id(form.text),
        },
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


def my_id(page: str) -> str:
    """The implementer option that names the signed-in person."""
    found = re.search(r'<option value="([^"]+)"[^>]*>(?:Me|Ik) \(', page)
    assert found, "no implementer option for the signed-in person"
    return found.group(1)


def fields_of(page: str) -> dict[str, str]:
    """The session's form token and the version the page shows."""
    hidden = dict(re.findall(r'type="hidden" name="(csrf|version)" value="([^"]*)"', page))
    return {"csrf": hidden["csrf"], "version": hidden["version"]}


def plan_and_submit(carla: TestClient, at: str) -> None:
    page = carla.get(at).text
    saved = post(
        carla,
        f"{at}/rollback-plan",
        page,
        {
            "steps": "Stop the release\nDeploy 4.2 again",
            "expectedMinutes": "30",
            "executor": "Operations",
            "trigger": "Errors above 2 %",
        },
    )
    assert saved.status_code == 303, saved.text
    page = carla.get(at).text
    assert "<li>Stop the release</li><li>Deploy 4.2 again</li>" in page
    tested = post(
        carla,
        f"{at}/rollback-tests",
        page,
        {
            "environment": "acceptance",
            "testedAt": local(-2, 10),
            "testedBy": "J. de Vries",
            "evidenceUrl": "https://wiki.example.nl/test-42",
        },
    )
    assert tested.status_code == 303, tested.text
    hidden = fields_of(carla.get(at).text)
    submitted = carla.post(f"{at}/transitions", data={**hidden, "status": "submitted"})
    assert submitted.status_code == 303, submitted.text
    page = carla.get(at).text
    answers = {"answer-downtime": "none", "answer-reversible": "easily"}
    assessed = post(
        carla, f"{at}/risk-assessments", page, {**answers, "answer-experience": "often"}
    )
    assert assessed.status_code == 303, assessed.text


def test_a_change_is_raised_planned_and_approved_by_the_product_owner(people, desk) -> None:
    carla, paul = people["carla"], people["paul"]
    at = raise_change(carla, desk)
    draft = carla.get(at)
    assert "Concept" in draft.text and "Nog geen terugdraaiplan" in draft.text
    plan_and_submit(carla, at)
    own = carla.get(f"{at}?lang=en").text
    assert (
        "nobody approves their own change" in own
        and 'action="/changes/' not in (own.split('id="approval"')[1].split('id="life-cycle"')[0])
    )
    hidden = fields_of(carla.get(at).text)
    refused = carla.post(f"{at}/votes", data={**hidden, "decision": "approve", "reason": "x"})
    assert refused.status_code == 403
    assert "Nobody approves a change they requested or implement." in refused.text

    page = paul.get(f"{at}?lang=en").text
    assert "Your vote" in page and "Low" in page
    approved = post(
        paul, f"{at}/votes", paul.get(at).text, {"decision": "approve", "reason": "Fine by us."}
    )
    assert approved.status_code == 303, approved.text
    after = paul.get(f"{at}?lang=en").text
    assert '<dd class="status">Approved</dd>' in after and "Fine by us." in after
    assert "You voted" in after


def test_a_stale_vote_changes_nothing_and_says_so(people, desk) -> None:
    carla, paul = people["carla"], people["paul"]
    at = raise_change(carla, desk)
    plan_and_submit(carla, at)
    page = paul.get(at).text
    stale = form_of(page, f"{at}/votes") | {"version": "1", "decision": "reject", "reason": "No"}
    answer = paul.post(f"{at}/votes", data=stale)
    assert answer.status_code == 412
    assert "Iemand anders heeft deze wijziging gewijzigd" in answer.text
    assert '<dd class="status">Beoordeeld</dd>' in paul.get(at).text


def test_a_reporter_cannot_open_changes(people, desk) -> None:
    rita = people["rita"]
    assert 'href="/changes"' not in rita.get("/tickets").text
    assert rita.get("/changes").status_code == 403


def test_another_tenants_change_is_not_found(people, client) -> None:
    elsewhere = Desk(client, make_tenant())
    theirs = elsewhere.create()
    answer = people["carla"].get(f"/changes/{theirs['id']}", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and theirs["number"] not in answer.text
    assert people["carla"].get("/changes/not-an-id").status_code == 404


def test_the_calendar_marks_a_conflict(people, desk) -> None:
    first, second = desk.create(), desk.create(title="Patch the database")
    for change in (first, second):
        desk.move(change, "submitted")
    start = datetime.fromisoformat(window()["plannedStart"]).astimezone(AMSTERDAM).date()
    month = people["carla"].get(f"/change-calendar?date={start.isoformat()}&lang=en").text
    assert "Changes with a conflict in this period: 2" in month
    assert f"Same service as {second['number']}" in month
    week = people["carla"].get(f"/change-calendar?view=week&date={start.isoformat()}").text
    assert "Conflict:" in week and "Volgende week" in week
    bad = people["carla"].get("/change-calendar?date=31-12-2026")
    assert bad.status_code == 400


def test_the_week_shows_freezes_and_maintenance_windows(people, desk, client) -> None:
    made = client.post(
        "/api/v1/dap/versions", headers=auth(make_token(desk.tenant, DAP_MANAGER)), json=dap_body()
    )
    assert made.status_code == 201, made.text  # weekly on Tuesday 18:00-22:00
    tuesday = next_tuesday()
    freeze = {
        "name": "Jaarafsluiting",
        "startsAt": tuesday.replace(hour=8).isoformat(),
        "endsAt": tuesday.replace(hour=12).isoformat(),
    }
    token = make_token(desk.tenant, [p.READ, p.CONFIGURE])
    r = client.post("/api/v1/change-freezes", headers=auth(token), json=freeze)
    assert r.status_code == 201, r.text
    week = people["carla"].get(f"/change-calendar?view=week&date={tuesday.date()}&lang=en").text
    day = week.split(f'id="day-{tuesday.date()}"')[1].split("</section>")[0]
    assert "Maintenance window 18:00\u201322:00" in day and "Freeze: Jaarafsluiting" in day
    assert "Freeze periods" in week


def next_tuesday() -> datetime:
    day = datetime.now(AMSTERDAM) + timedelta(days=1)
    day += timedelta(days=(1 - day.weekday()) % 7)
    return day.replace(hour=0, minute=0, second=0, microsecond=0)


def test_a_standard_change_is_approved_by_its_template(people, desk, client) -> None:
    token = make_token(desk.tenant, [p.READ, p.CONFIGURE])
    template = {
        "name": "Restart the application server",
        "description": "Monthly restart.",
        "rollbackPlan": plan(),
    }
    r = client.post("/api/v1/change-templates", headers=auth(token), json=template)
    assert r.status_code == 201, r.text
    carla = people["carla"]
    form = carla.get("/changes/new")
    assert "Restart the application server" in form.text
    fields = {
        "csrf": csrf_of(form.text),
        "type": "standard",
        "templateId": r.json()["id"],
        "title": "Restart in May",
        "description": "As every month.",
        "reason": "Memory leak.",
        "serviceIds": desk.services[:1],
        "plannedStart": local(2, 1),
        "plannedEnd": local(2, 2),
        "implementerId": my_id(form.text),
    }
    made = carla.post("/changes", data=fields)
    assert made.status_code == 303, made.text
    at = made.headers["location"]
    submitted = carla.post(
        f"{at}/transitions", data={**fields_of(carla.get(at).text), "status": "submitted"}
    )
    assert submitted.status_code == 303, submitted.text
    page = carla.get(f"{at}?lang=en").text
    assert '<dd class="status">Approved</dd>' in page
    assert "Approved in advance by its template." in page


def test_a_wrong_form_names_every_field(people, desk) -> None:
    carla = people["carla"]
    form = carla.get("/changes/new?lang=en")
    answer = carla.post(
        "/changes?lang=en",
        data={
            "csrf": csrf_of(form.text),
            "type": "standard",
            "title": "",
            "description": "x",
            "reason": "y",
            "plannedStart": local(2, 3),
            "plannedEnd": local(2, 1),
        },
    )
    assert answer.status_code == 400
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Title: This field is required." in summary
    answer = carla.post(
        "/changes?lang=en",
        data={
            "csrf": csrf_of(form.text),
            "type": "standard",
            "title": "Something",
            "description": "x",
            "reason": "y",
            "plannedStart": local(2, 3),
            "plannedEnd": local(2, 1),
        },
    )
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Template: Choose the template of the standard change." in summary
    assert "Planned end: The end must lie after the start." in summary


def test_supplier_staff_work_a_clients_changes_where_granted(people, idp, client) -> None:
    other = make_tenant()
    theirs = Desk(client, other).create()
    carla = people["carla"]
    assert carla.get(f"/changes?tenant={other.slug}").status_code == 404
    with unit_of_work(other.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.dir,
                subject_oid=idp.ids["carla"],
                role=Role.change_manager,
                granted_by="test",
            )
        )
    listed = carla.get(f"/changes?tenant={other.slug}").text
    assert f'href="/changes/{theirs["id"]}?tenant={other.slug}"' in listed
    page = carla.get(f"/changes/{theirs['id']}?tenant={other.slug}").text
    assert f'action="/changes/{theirs["id"]}/transitions?tenant={other.slug}"' in page


def step(browser: TestClient, at: str, status: str, **extra: str) -> object:
    return browser.post(
        f"{at}/transitions", data={**fields_of(browser.get(at).text), "status": status, **extra}
    )


def test_a_change_is_run_rolled_back_reviewed_and_closed(people, desk) -> None:
    carla, paul = people["carla"], people["paul"]
    at = raise_change(carla, desk)
    plan_and_submit(carla, at)
    voted = post(paul, f"{at}/votes", paul.get(at).text, {"decision": "approve", "reason": "OK"})
    assert voted.status_code == 303, voted.text
    for status in ("scheduled", "implementing"):
        assert step(carla, at, status).status_code == 303
    page = carla.get(at).text
    rolled = post(
        carla,
        f"{at}/rollbacks",
        page,
        {"startedAt": local(0, 1), "endedAt": local(0, 2), "outcome": "restored", "notes": "Ok"},
    )
    assert rolled.status_code == 303, rolled.text
    early = step(carla, at, "closed")
    assert early.status_code == 422
    assert "De wijziging is niet volledig genoeg voor deze stap." in early.text
    page = carla.get(at).text
    assert "Teruggedraaid" in page and "Hersteld zoals het was" in page
    reviewed = post(
        carla, f"{at}/review", page, {"outcome": "rolled-back", "lessons": "Test the migration."}
    )
    assert reviewed.status_code == 303, reviewed.text
    assert step(carla, at, "closed").status_code == 303
    closed = carla.get(f"{at}?lang=en").text
    assert '<dd class="status">Closed</dd>' in closed and "Test the migration." in closed
    assert "/transitions" not in closed  # a closed change takes no further step
    hidden = {"csrf": csrf_of(closed), "version": "99"}
    late = carla.post(f"{at}/transitions", data={**hidden, "status": "cancelled", "reason": "x"})
    assert late.status_code == 412  # a version that was never shown is stale
