"""A draft change's details edited in Chromium, and the review of an implemented change that
names the incident it caused; each page within axe, the CSP and a phone's width."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Site
from tests.browser.test_releases import WRITER, approved_change
from tests.factories import auth, make_token
from tests.tickets.helpers import REPORTER, incident

pytestmark = pytest.mark.browser


def test_a_draft_is_edited_and_a_review_names_the_incident(site: Site) -> None:
    api, base = site.page.request, f"{site.base}/api/v1"
    writer = auth(make_token(site.tenant, WRITER))
    body = {"type": "normal", "title": "Move the file share", "description": "To the new NAS."}
    draft = api.post(f"{base}/changes", headers=writer, data={**body, "reason": "Old NAS."})
    assert draft.status == 201, draft.text()
    done = approved_change(site)
    for status in ("scheduled", "implementing", "implemented"):
        now = api.get(f"{base}/changes/{done['id']}", headers=writer)
        moved = api.post(
            f"{base}/changes/{done['id']}/transitions",
            headers={**writer, "If-Match": now.headers["etag"]},
            data={"status": status},
        )
        assert moved.status == 200, moved.text()
    caused = api.post(
        f"{base}/tickets",
        headers=auth(make_token(site.tenant, REPORTER)),
        data=incident(title="Cases do not open since 4.3"),
    )
    assert caused.status == 201, caused.text()

    page = site.page
    site.sign_in("carla")
    site.goto(f"/changes/{draft.json()['id']}")
    page.locator(f"main a[href^='/changes/{draft.json()['id']}/edit']").click()
    page.wait_for_url("**/edit*")
    site.check("change-edit")
    page.fill("#title", "Move the file share to the new NAS")
    page.locator("form.ticket button[type=submit]").click()
    page.wait_for_url(f"**/changes/{draft.json()['id']}*")
    assert "Move the file share to the new NAS" in page.locator("h2").inner_text()

    site.goto(f"/changes/{done['id']}")
    page.select_option("#review-outcome", "successful-with-issues")
    page.check(f"#incident-{caused.json()['id']}")
    page.fill("#review-lessons", "Rebuild the search index after a release.")
    site.check("change-review")
    page.locator("form[action*='/review'] button").click()
    page.locator("dd.caused a").wait_for()
    assert caused.json()["number"] in page.locator("dd.caused").inner_text()
    site.check("change-reviewed")
