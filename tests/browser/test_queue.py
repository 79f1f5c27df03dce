"""The agents' work queue and the dashboard per line in Chromium: filtered, saved as a view,
worked in bulk, and each page passing axe, the CSP and a phone's width."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Site
from tests.browser.test_pages import report_incident

pytestmark = pytest.mark.browser


def test_the_work_queue_and_a_bulk_close(site: Site) -> None:
    site.sign_in()
    report_incident(site)
    page = site.page
    page.locator("section.user nav a[href^='/queue']").click()
    page.wait_for_url("**/queue*")
    assert page.locator("table tbody tr").count() == 1
    site.check("queue")
    page.select_option("#filter-type", "incident")
    page.locator("form.filters button[type=submit]").first.click()
    page.wait_for_url("**type=incident*")
    page.fill("#view-name", "Incidenten")
    page.locator("section.views button[type=submit]").last.click()
    page.wait_for_url("**/queue?*type=incident*")
    assert page.locator("section.views ul a").inner_text() == "Incidenten"
    page.locator("form.bulk button[type=submit]").click()  # nothing chosen yet
    assert page.locator("#bulk-tickets-error").is_visible()
    site.check("queue-errors")
    page.locator("table tbody input[type=checkbox]").check()
    page.check("#action-close")
    page.fill("#bulk-resolution", "Opnieuw gestart.")
    page.locator("form.bulk button[type=submit]").click()
    page.locator("td.outcome.met").wait_for()
    site.check("queue-bulk-result")
    site.forgive_document_status()


def test_the_dashboard_per_line(site: Site) -> None:
    site.sign_in()
    report_incident(site)
    site.page.locator("section.user nav a[href^='/dashboard']").click()
    site.page.wait_for_url("**/dashboard*")
    assert site.page.locator("table.dashboard tfoot td").first.inner_text() == "1"
    site.check("dashboard")
