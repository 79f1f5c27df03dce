"""Signing in and out in Chromium: the whole redirect dance through the real provider, with
Regie's CSP enforced, and a sign-out that also ends the session at the provider."""

from __future__ import annotations

import pytest

from tests.browser.helpers import Site

pytestmark = pytest.mark.browser


def test_the_start_page_signs_in_through_the_provider(site: Site) -> None:
    site.goto("/")
    site.check("home-signed-out")
    site.sign_in()  # fails at the blocked redirect when form-action leaves out the provider
    name = site.page.locator("section.user span").first.inner_text()
    assert (
        name == {"nl": "Aangemeld als Anna de Vries", "en": "Signed in as Anna de Vries"}[site.lang]
    )
    site.check("home")


def test_sign_out_ends_the_session_here_and_at_the_provider(site: Site) -> None:
    site.sign_in()
    page = site.page
    page.locator("section.user form button").click()
    page.wait_for_url(f"{site.authority}/**")
    page.click("button[value=yes]")  # the provider asks whether to end its session too
    page.wait_for_url(f"{site.base}/")
    assert page.locator("section.user").count() == 0
    assert page.locator("#tenant").is_visible()
    site.check("signed-out")
    page.fill("#tenant", site.tenant.slug)
    page.locator("form.sign-in button").first.click()
    page.wait_for_url(f"{site.authority}/**")
    # Signing in again needs the password: nobody else at this workstation is let in.
    assert page.locator("input[name=password]").is_visible()
