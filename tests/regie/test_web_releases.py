"""The release pages: a change manager plans a release of an approved change and records its
deployments through development, test and acceptance; production is refused with a page that
names the reasons until the client's product owner signs the version off from the browser;
a rollback names the version returned to; stale forms change nothing; another tenant's
release stays unknown and a reporter is refused."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.changes.helpers import Desk
from tests.core.test_web_signin import csrf_of
from tests.factories import auth, make_tenant, make_token
from tests.regie import test_web_changes as changes
from tests.regie.test_web_changes import fields_of, plan_and_submit, post, raise_change
from tests.regie.test_web_tickets import form_of

RELEASER = ["changes:read", "changes:release"]
# The fixtures of the change pages: the client's directory with carla, paul and rita.
idp, tenant, desk, people = changes.idp, changes.tenant, changes.desk, changes.people


def approved_change(people: dict[str, TestClient], desk: Desk) -> str:
    """A change carla raised and paul approved; the answer is its address."""
    carla, paul = people["carla"], people["paul"]
    at = raise_change(carla, desk)
    plan_and_submit(carla, at)
    voted = post(paul, f"{at}/votes", paul.get(at).text, {"decision": "approve", "reason": "OK"})
    assert voted.status_code == 303, voted.text
    return at


def plan_release(carla: TestClient, change_at: str) -> str:
    form = carla.get("/releases/new?lang=en")
    assert form.status_code == 200 and "Plan a release" in form.text
    change_id = change_at.rsplit("/", 1)[1]
    assert f'value="{change_id}"' in form.text
    made = carla.post(
        "/releases",
        data={
            "csrf": csrf_of(form.text),
            "title": "Case system 4.3",
            "releaseVersion": "4.3.0",
            "changeIds": [change_id],
        },
    )
    assert made.status_code == 303, made.text
    return made.headers["location"]


def deploy(
    browser: TestClient, at: str, environment: str, result: str = "succeeded", query: str = ""
) -> object:
    page = browser.get(at + query).text
    return post(
        browser,
        f"{at}/deployments{query}",
        page,
        {
            "environment": environment,
            "releaseVersion": "4.3.0",
            "result": result,
            "logUrl": f"https://ci.example.nl/{environment}/1",
        },
    )


def stage(page: str, environment: str) -> str:
    return page.split(f'id="stage-{environment}"')[1].split("</li>\n")[0]


def test_a_release_moves_through_the_lane_with_the_clients_sign_off(people, desk) -> None:
    carla, paul = people["carla"], people["paul"]
    change_at = approved_change(people, desk)
    at = plan_release(carla, change_at)
    assert "Nog niets uitgerold" in stage(carla.get(at).text, "production")

    early = deploy(carla, at, "acceptance")
    assert early.status_code == 409
    assert "Deze versie is nog niet geslaagd in test." in early.text

    for environment in ("development", "test", "acceptance"):
        answer = deploy(carla, at, environment)
        assert answer.status_code == 303, answer.text
    page = carla.get(f"{at}?lang=en").text
    accepted = stage(page, "acceptance")
    assert "Running: <strong>4.3.0</strong>" in accepted and "Succeeded" in accepted
    assert "Carla Smit" in accepted and 'href="https://ci.example.nl/acceptance/1"' in accepted
    assert "/sign-offs" not in page  # the supplier's change manager does not sign off

    unsigned = deploy(carla, at, "production")
    assert unsigned.status_code == 409
    assert "De product owner van de klant heeft deze versie niet afgetekend." in unsigned.text
    assert "Nog niets uitgerold" in stage(unsigned.text, "production")

    own = paul.get(f"{at}?lang=en").text
    assert "Sign off a version for production" in own and "/deployments" not in own
    fields = {"releaseVersion": "4.3.0", "note": "Akkoord"}
    signed = post(paul, f"{at}/sign-offs", paul.get(at).text, fields)
    assert signed.status_code == 303, signed.text
    again = post(paul, f"{at}/sign-offs", paul.get(at).text, {"releaseVersion": "4.3.0"})
    assert again.status_code == 409 and "niet mogelijk" in again.text

    live = deploy(carla, at, "production")
    assert live.status_code == 303, live.text
    page = carla.get(f"{at}?lang=en").text
    assert "Running: <strong>4.3.0</strong>" in stage(page, "production")
    assert "Paul de Wit" in page.split('id="sign-offs"')[1]

    rolled = post(
        carla,
        f"{at}/rollbacks",
        carla.get(at).text,
        {"environment": "test", "returnedToVersion": "4.2.0", "notes": "Test data broke"},
    )
    assert rolled.status_code == 303, rolled.text
    tested = stage(carla.get(f"{at}?lang=en").text, "test")
    assert "Returned to 4.2.0 (replaced 4.3.0)" in tested and "Test data broke" in tested
    assert "Running: <strong>4.2.0</strong>" in tested

    release_id = at.rsplit("/", 1)[1]
    assert f'href="/releases/{release_id}"' in carla.get(change_at).text
    listed = carla.get("/releases").text
    assert f'href="/releases/{release_id}"' in listed and "Case system 4.3" in listed
    assert 'href="/releases"' in carla.get("/changes").text


def test_production_names_every_reason_and_unapproved_changes(people, desk) -> None:
    carla = people["carla"]
    draft_at = raise_change(carla, desk)
    number = re.search(r"<h2>([A-Z]+-C\d+):", carla.get(draft_at).text)
    assert number
    at = plan_release(carla, draft_at)
    for environment in ("development", "test", "acceptance"):
        assert deploy(carla, at, environment).status_code == 303
    paul = people["paul"]
    signed = post(paul, f"{at}/sign-offs", paul.get(at).text, {"releaseVersion": "4.3.0"})
    assert signed.status_code == 303, signed.text
    refused = deploy(carla, at, "production", query="?lang=en")
    assert refused.status_code == 409
    assert "Not every bundled change is approved or scheduled:" in refused.text
    assert f"{number.group(1)} (Draft)" in refused.text


def test_a_stale_form_changes_nothing_and_says_so(people, desk) -> None:
    carla = people["carla"]
    at = plan_release(carla, approved_change(people, desk))
    page = carla.get(at).text
    assert deploy(carla, at, "development").status_code == 303
    stale = form_of(page, f"{at}/deployments") | {
        "environment": "development",
        "releaseVersion": "4.3.0",
        "result": "failed",
    }
    answer = carla.post(f"{at}/deployments", data=stale)
    assert answer.status_code == 412
    assert "Iemand anders heeft deze release gewijzigd" in answer.text
    assert "Mislukt" not in stage(answer.text, "development")


def test_a_wrong_form_names_every_field(people, desk) -> None:
    carla = people["carla"]
    form = carla.get("/releases/new?lang=en")
    answer = carla.post(
        "/releases?lang=en",
        data={"csrf": csrf_of(form.text), "title": "", "releaseVersion": "4.3 beta"},
    )
    assert answer.status_code == 400
    summary = answer.text.split('class="error-summary"')[1].split("</div>")[0]
    assert "Title: This field is required." in summary
    assert "Version: This value is not valid." in summary
    at = plan_release(carla, approved_change(people, desk))
    bad = carla.post(
        f"{at}/deployments?lang=en",
        data={**fields_of(carla.get(at).text), "environment": "staging", "logUrl": "ftp://x"},
    )
    assert bad.status_code == 400
    summary = bad.text.split('class="error-summary"')[1].split("</div>")[0]
    for field in ("Environment", "Result", "Log (link)"):
        assert f"{field}: " in summary


def test_a_reporter_cannot_open_releases(people, desk, client) -> None:
    rita = people["rita"]
    assert rita.get("/releases").status_code == 403
    made = client.post(
        "/api/v1/releases",
        headers=auth(make_token(desk.tenant, RELEASER)),
        json={"title": "Theirs", "releaseVersion": "1.0.0"},
    )
    assert made.status_code == 201, made.text
    answer = rita.get(f"/releases/{made.json()['id']}")
    assert answer.status_code == 403 and made.json()["number"] not in answer.text


def test_another_tenants_release_is_not_found(people, client) -> None:
    elsewhere = make_tenant()
    made = client.post(
        "/api/v1/releases",
        headers=auth(make_token(elsewhere, RELEASER)),
        json={"title": "Their release", "releaseVersion": "9.9.9"},
    )
    assert made.status_code == 201, made.text
    carla = people["carla"]
    theirs = made.json()
    answer = carla.get(f"/releases/{theirs['id']}", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and theirs["number"] not in answer.text
    csrf = csrf_of(carla.get("/releases/new").text)
    posted = carla.post(
        f"/releases/{theirs['id']}/deployments",
        data={"csrf": csrf, "version": "1", "environment": "development", "result": "succeeded"},
    )
    assert posted.status_code == 404 and theirs["number"] not in posted.text
    assert carla.get("/releases/not-an-id").status_code == 404
    assert "Their release" not in carla.get("/releases").text
