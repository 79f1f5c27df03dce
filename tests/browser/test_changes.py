"""The change pages in Chromium: a change manager raises a change, writes and tests its
rollback plan, submits and assesses it; the client's product owner approves it from the
browser; the calendar marks its conflict with another change. Every page within axe, the CSP
and a phone's width; another tenant's change stays unknown."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from changes import permissions as p
from regie.web import AMSTERDAM
from tests.browser.helpers import Site
from tests.factories import auth, make_entries, make_tenant, make_token, make_worker
from tickets import permissions as tp

pytestmark = pytest.mark.browser
WRITER = [p.READ, p.WRITE, tp.READ]


def at(days: int, hour: int) -> datetime:
    moment = datetime.now(AMSTERDAM) + timedelta(days=days)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def set_the_scene(site: Site) -> tuple[str, dict[str, Any]]:
    """A service, the rule that the product owner alone approves normal low-risk changes, a
    submitted change on that service in the window of the change to come (its conflict), and
    a freeze later that day."""
    service = str(make_entries(site.tenant, 1)[0].id)
    api, base = site.page.request, f"{site.base}/api/v1"
    rule = {"changeType": "normal", "riskClass": "low", "approvers": [{"role": "product-owner"}]}
    made = api.post(
        f"{base}/change-approval-rules",
        headers=auth(make_token(site.tenant, [p.READ, p.CONFIGURE])),
        data=rule,
    )
    assert made.status == 201, made.text()
    writer = auth(make_token(site.tenant, WRITER))
    plan = {
        "steps": [{"action": "Restore the backup"}],
        "expectedMinutes": 20,
        "executor": "Operations",
        "trigger": "Backups fail",
    }
    body = {
        "type": "emergency",
        "title": "Replace the backup agent",
        "description": "The old agent crashes.",
        "reason": "Backups fail.",
        "serviceIds": [service],
        "plannedStart": at(3, 1).isoformat(),
        "plannedEnd": at(3, 3).isoformat(),
        "implementerId": make_worker(site.tenant, "Operations"),
        "rollbackPlan": plan,
    }
    other = api.post(f"{base}/changes", headers=writer, data=body)
    assert other.status == 201, other.text()
    submitted = api.post(
        f"{base}/changes/{other.json()['id']}/transitions",
        headers={**writer, "If-Match": other.headers["etag"]},
        data={"status": "submitted"},
    )
    assert submitted.status == 200, submitted.text()
    freeze = {
        "name": "Jaarafsluiting",
        "startsAt": at(3, 5).isoformat(),
        "endsAt": at(3, 6).isoformat(),
    }
    frozen = api.post(
        f"{base}/change-freezes",
        headers=auth(make_token(site.tenant, [p.READ, p.CONFIGURE])),
        data=freeze,
    )
    assert frozen.status == 201, frozen.text()
    return service, other.json()


def test_a_change_from_request_to_approval_and_on_the_calendar(site: Site) -> None:
    service, other = set_the_scene(site)
    page = site.page
    site.sign_in("carla")
    page.locator("section.user nav a[href^='/changes']").click()
    page.wait_for_url("**/changes*")
    site.check("changes")
    page.locator("main a[href^='/changes/new']").click()
    page.wait_for_url("**/changes/new*")
    site.check("change-new")

    page.check("#type-normal")
    page.fill("#title", "Upgrade the case system to 4.3")
    page.fill("#description", "Database migration and the new release.")
    page.fill("#reason", "Version 4.2 is out of support in January.")
    page.select_option("#serviceIds", [service])
    page.fill("#plannedStart", at(3, 2).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#plannedEnd", at(3, 4).strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#implementerId", index=1)  # the signed-in person, first after "nobody yet"
    page.locator("form.ticket button[type=submit]").click()
    page.wait_for_url("**/changes/*-*")
    assert page.locator("#conflicts ~ ul.conflicts").inner_text().count(other["number"]) == 1
    site.check("change-draft")
    page.locator("button[value=submitted]").click()  # no rollback plan yet: refused, said why
    page.locator(".error-summary").first.wait_for()
    assert page.locator("#plan-steps").input_value() == ""
    site.check("change-not-ready")

    page.fill("#plan-steps", "Stop the new release\nDeploy version 4.2 again")
    page.fill("#plan-expectedMinutes", "30")
    page.fill("#plan-executor", "Operations on duty")
    page.fill("#plan-trigger", "Error rate above 2 % for 5 minutes")
    page.locator("form[action*='/rollback-plan'] button").click()
    page.locator("ol.steps li").nth(1).wait_for()
    page.fill("#test-environment", "acceptance")
    page.fill("#test-testedAt", at(-2, 10).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#test-testedBy", "J. de Vries")
    page.fill("#test-evidenceUrl", "https://wiki.example.nl/rollback-test-42")
    page.locator("form[action*='/rollback-tests'] button").click()
    page.locator("a[href='https://wiki.example.nl/rollback-test-42']").wait_for()
    page.locator("button[value=submitted]").click()
    page.locator("#assess-heading").wait_for()
    for answer in ("downtime-none", "reversible-easily", "experience-often"):
        page.check(f"#assess-{answer}")
    page.locator("form[action*='/risk-assessments'] button").click()
    page.locator("p.own").wait_for()  # the requester is told why they cannot vote
    site.check("change-assessed")
    address = page.url.split("?")[0]

    site.context.clear_cookies()
    site.sign_in("paul")
    site.goto(address.removeprefix(site.base))
    assert page.locator("#vote-heading").is_visible()
    site.check("change-approval")
    page.check("#vote-approve")
    page.fill("#vote-reason", "Fine by the client: outside office hours.")
    page.locator("form[action*='/votes'] button").click()
    page.locator("table.votes td.decision").wait_for()
    assert "Fine by the client" in page.locator("table.votes").inner_text()
    status = page.locator("dd.status").inner_text()
    assert status == ("Goedgekeurd" if site.lang == "nl" else "Approved")
    site.check("change-approved")

    site.goto(f"/change-calendar?date={at(3, 2).date().isoformat()}")
    marked = page.locator("li.conflict .conflict-mark")
    assert (
        marked.count() >= 2
        and other["number"] in marked.first.inner_text() + marked.last.inner_text()
    )
    assert "Jaarafsluiting" in page.locator("table.calendar p.freeze").inner_text()
    site.check("change-calendar")
    page.locator("nav.periods a").nth(1).click()  # the week of that day
    page.wait_for_url("**view=week*")
    assert page.locator("li.conflict").count() >= 2
    site.check("change-calendar-week")
    site.forgive_document_status()


def test_another_tenants_change_is_not_found(site: Site) -> None:
    elsewhere = make_tenant()
    body = {
        "type": "normal",
        "title": "Their change",
        "description": "Not yours.",
        "reason": "Theirs.",
    }
    api = site.page.request
    theirs = api.post(
        f"{site.base}/api/v1/changes", headers=auth(make_token(elsewhere, WRITER)), data=body
    )
    assert theirs.status == 201, theirs.text()
    site.sign_in("carla")
    answer = site.goto(f"/changes/{theirs.json()['id']}")
    assert answer.status == 404
    assert theirs.json()["number"] not in site.page.content()
    site.check("change-not-found")
    site.forgive_document_status()
