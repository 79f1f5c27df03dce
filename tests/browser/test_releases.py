"""The release pages in Chromium: a change manager plans a release of an approved change and
records its deployments through development, test and acceptance; production is refused
until the client's product owner signs the version off in the browser; then the change
manager deploys to production. Every page within axe, the CSP and a phone's width."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from changes import permissions as p
from regie.web import AMSTERDAM
from tests.browser.helpers import Site
from tests.factories import auth, make_entries, make_token, make_worker
from tickets import permissions as tp

pytestmark = pytest.mark.browser
WRITER = [p.READ, p.WRITE, tp.READ]


def approved_change(site: Site) -> dict[str, Any]:
    """A standard change from a pre-approved template, submitted and so approved."""
    api, base = site.page.request, f"{site.base}/api/v1"
    template = {
        "name": "Deploy a release of the case system",
        "description": "The monthly release.",
        "rollbackPlan": {
            "steps": [{"action": "Deploy the previous version again"}],
            "expectedMinutes": 20,
            "executor": "Operations",
            "trigger": "Smoke tests fail",
            "test": {
                "environment": "acceptance",
                "testedAt": (datetime.now(AMSTERDAM) - timedelta(days=2)).isoformat(),
                "testedBy": "J. de Vries",
                "evidenceUrl": "https://wiki.example.nl/rollback-test-42",
            },
        },
    }
    made = api.post(
        f"{base}/change-templates",
        headers=auth(make_token(site.tenant, [p.READ, p.CONFIGURE])),
        data=template,
    )
    assert made.status == 201, made.text()
    start = datetime.now(AMSTERDAM) + timedelta(days=2)
    body = {
        "type": "standard",
        "templateId": made.json()["id"],
        "title": "Case system 4.3 into production",
        "description": "The monthly release.",
        "reason": "New features for the case workers.",
        "serviceIds": [str(make_entries(site.tenant, 1)[0].id)],
        "plannedStart": start.isoformat(),
        "plannedEnd": (start + timedelta(hours=1)).isoformat(),
        "implementerId": make_worker(site.tenant, "Operations"),
    }
    writer = auth(make_token(site.tenant, WRITER))
    change = api.post(f"{base}/changes", headers=writer, data=body)
    assert change.status == 201, change.text()
    submitted = api.post(
        f"{base}/changes/{change.json()['id']}/transitions",
        headers={**writer, "If-Match": change.headers["etag"]},
        data={"status": "submitted"},
    )
    assert submitted.status == 200 and submitted.json()["status"] == "approved", submitted.text()
    return dict(change.json())


def deploy(site: Site, environment: str) -> None:
    page = site.page
    page.select_option("#deploy-environment", environment)
    page.fill("#deploy-releaseVersion", "4.3.0")
    page.check("#deploy-result-succeeded")
    page.fill("#deploy-logUrl", f"https://ci.example.nl/{environment}/17")
    page.locator("form[action*='/deployments'] button").click()
    page.wait_for_load_state()


def running(site: Site, environment: str) -> str:
    return site.page.locator(f"#stage-{environment} p.running").inner_text()


def test_a_release_through_dtap_with_the_clients_sign_off(site: Site) -> None:
    change = approved_change(site)
    page = site.page
    site.sign_in("carla")
    site.goto("/changes")
    page.locator("main a[href^='/releases']").click()
    page.wait_for_url("**/releases*")
    site.check("releases-empty")
    page.locator("main a[href^='/releases/new']").click()
    page.wait_for_url("**/releases/new*")
    site.check("release-new")
    page.fill("#title", "Case system 4.3")
    page.fill("#releaseVersion", "4.3.0")
    page.check(f"#change-{change['id']}")
    page.locator("form.ticket button[type=submit]").click()
    page.wait_for_url("**/releases/*-*")
    site.check("release-planned")

    for environment in ("development", "test", "acceptance"):
        deploy(site, environment)
        page.locator(f"#stage-{environment} p.running strong").wait_for()
        assert "4.3.0" in running(site, environment)
    site.check("release-accepted")
    deploy(site, "production")
    refused = page.locator(".error-summary ul.reasons").inner_text()
    assert ("afgetekend" if site.lang == "nl" else "signed off") in refused
    assert page.locator("#stage-production strong").count() == 0
    site.check("release-refused")
    address = page.url.split("?")[0].removesuffix("/deployments")

    site.context.clear_cookies()
    site.sign_in("paul")
    site.goto(address.removeprefix(site.base))
    assert page.locator("form[action*='/deployments']").count() == 0
    site.check("release-sign-off")
    page.fill("#sign-note", "Accepted by the case workers.")
    page.locator("form[action*='/sign-offs'] button").click()
    page.locator("ul.sign-offs li").wait_for()
    assert "Paul de Wit" in page.locator("ul.sign-offs").inner_text()
    site.check("release-signed")

    site.context.clear_cookies()
    site.sign_in("carla")
    site.goto(address.removeprefix(site.base))
    deploy(site, "production")
    page.locator("#stage-production p.running strong").wait_for()
    assert "4.3.0" in running(site, "production")
    assert page.locator(".error-summary").count() == 0
    site.check("release-production")
    site.goto(f"/changes/{change['id']}")
    assert page.locator("ul.releases a").inner_text().endswith("-R000001")
    site.forgive_document_status()
