"""The problem pages in Chromium: the problems list, one problem, and the known errors a
person searches for a workaround, each within axe, the CSP and a phone's width."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Site
from tests.factories import auth, make_token
from tests.tickets.test_problems import MANAGER

pytestmark = pytest.mark.browser


def record_known_error(site: Site) -> None:
    """A problem manager records a known error through the API of the same live Regie."""
    headers = auth(make_token(site.tenant, MANAGER))
    api = site.page.request
    body = {"title": "Zaakoverzicht traag", "description": "Trage query op het overzicht."}
    made = api.post(f"{site.base}/api/v1/problems", headers=headers, data=body)
    assert made.status == 201, made.text()
    problem = made.json()
    patch = {"rootCause": "Ontbrekende index", "workaround": "Filter eerst op jaar."}
    changed = api.patch(
        f"{site.base}/api/v1/problems/{problem['id']}",
        headers={**headers, "If-Match": made.headers["etag"]},
        data=patch,
    )
    assert changed.status == 200, changed.text()


def test_problems_and_known_errors(site: Site) -> None:
    site.sign_in()
    record_known_error(site)
    page = site.page
    page.locator("section.user nav a[href^='/problems']").click()
    page.wait_for_url("**/problems*")
    site.check("problems")
    page.locator("table tbody a").first.click()
    page.wait_for_url("**/problems/*")
    site.check("problem")
    page.fill("#problem-reason", "")
    page.select_option("#problem-status", "closed")
    page.locator("#problem-status-heading ~ form button[type=submit]").first.click()
    page.locator("#problem-reason-error").wait_for()
    site.check("problem-error")
    site.goto("/problems/new")
    site.check("problem-new")
    site.forgive_document_status()
    site.goto("/known-errors")
    page.fill("#q", "zaakoverzicht")
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**q=zaakoverzicht*")
    assert "Filter eerst op jaar." in page.locator("article.known-error").inner_text()
    site.check("known-errors")
