"""Every page, signed in through the provider, in Dutch and English: 0 axe violations, no
console error or CSP violation, no wider than a phone, and a screenshot of each."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Site

pytestmark = pytest.mark.browser


def report_incident(site: Site) -> None:
    """Report an incident through the form, as a person would; ends on the ticket's page."""
    page = site.page
    site.goto("/tickets/new")
    site.check("ticket-new")
    page.check("#type-incident")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/tickets/new?*type=incident*")
    site.check("ticket-new-incident")
    page.fill("#title", "Zaakoverzicht laadt niet")
    page.fill("#description", "Het zaakoverzicht geeft een foutmelding na het aanmelden.")
    page.fill("#occurredAt", "2026-11-02T10:30")
    page.select_option("#impact", "high")
    page.fill("#precedingActions", "Aangemeld en het overzicht geopend.")
    page.check("#reproducible-yes")
    page.fill("#investigation", "Andere browser geprobeerd.")
    page.check("#causeOutsideService-no")
    page.locator("form.ticket button[type=submit]").click()
    page.wait_for_url("**/tickets/*-*")


def test_ticket_pages(site: Site) -> None:
    site.sign_in()
    report_incident(site)
    site.check("ticket")
    site.goto("/tickets")
    assert site.page.locator("table tbody tr").count() == 1
    site.check("tickets")


def test_sessions_and_service_levels(site: Site) -> None:
    site.sign_in()
    site.goto("/account/sessions")
    site.check("sessions")
    site.goto("/service-levels")
    site.check("service-levels")
    with site.page.expect_navigation() as followed:
        site.page.locator("table.figures a").first.click()  # the evidence, for this session
    assert followed.value is not None and followed.value.status == 200


def test_error_pages(site: Site) -> None:
    for path, name in (("/no-such-page", "error-404"), ("/sign-in?tenant=unknown", "error-org")):
        answer = site.goto(path)
        assert answer.status == 404
        correlation = site.page.locator("code.correlation").inner_text()
        assert correlation == answer.headers["x-request-id"]
        site.check(name)
    site.forgive_document_status()


def test_the_chosen_language_stays_on_the_header_links(site: Site) -> None:
    other = "en" if site.lang == "nl" else "nl"
    site.sign_in()
    site.goto(f"/?lang={other}")
    site.page.locator("section.user nav a").first.click()  # Tickets
    site.page.wait_for_url("**/tickets?lang=*")
    assert site.page.locator("html").get_attribute("lang") == other
