"""What a person does in the browser, and what every page of Regie must pass there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Route

from core.tenancy import Tenant
from tests.fixtures import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LOGIN = "anna"


class Site:
    """One person's browser on Regie: a page, the console it writes to, and the checks."""

    def __init__(
        self,
        context: BrowserContext,
        base: str,
        authority: str,
        tenant: Tenant,
        lang: str,
        screenshots: Path,
    ) -> None:
        self.context, self.base, self.authority = context, base, authority
        self.tenant, self.lang, self.screenshots = tenant, lang, screenshots
        self.console: list[str] = []
        # axe-core is served from Regie's own origin, so the page's script-src 'self' admits it
        # and the CSP stays enforced.
        context.route(f"{base}/__axe/axe.min.js", lambda route: _fulfil_axe(route))
        self.page: Page = context.new_page()
        self.page.on("console", self._heard)
        self.page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))

    def _heard(self, message: ConsoleMessage) -> None:
        # The provider's own pages are not Regie's to judge; Regie's console must stay clean.
        source = message.location.get("url", "") or self.page.url
        if message.type == "error" and source.startswith(self.base):
            self.console.append(f"{source}: {message.text}")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base + path)

    def sign_in(self, login: str = LOGIN) -> None:
        """From the start page through the provider's login (and consent) back to Regie."""
        page = self.page
        self.goto("/")
        page.fill("#tenant", self.tenant.slug)
        page.locator("form.sign-in button").first.click()
        page.wait_for_url(f"{self.authority}/**")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", "secret")
        page.click("button[type=submit]")
        consent = page.locator("input[name=prompt][value=consent]")
        page.locator("section.user").or_(consent).first.wait_for(state="attached")
        if consent.count():
            page.click("button[type=submit]")  # the provider's consent
        page.wait_for_url(f"{self.base}/")
        assert page.locator("section.user").is_visible()

    def check(self, name: str) -> None:
        """The page as it stands: in its language, with a favicon, 0 WCAG 2.1 AA violations,
        no wider than a phone, and photographed on a desktop and a phone."""
        page = self.page
        assert page.locator("html").get_attribute("lang") == self.lang, page.url
        assert page.title(), page.url
        icon = page.locator("link[rel=icon]").get_attribute("href")
        assert icon and page.request.get(self.base + icon).ok, f"{page.url} has no favicon"
        assert self.axe_violations() == [], page.url
        page.screenshot(path=self.screenshots / f"{name}-{self.lang}.png", full_page=True)
        page.set_viewport_size(PHONE)
        try:
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{page.url} is {overflow}px wider than a phone: {self._wide()}"
            assert self.axe_violations() == [], page.url
            page.screenshot(path=self.screenshots / f"{name}-{self.lang}-390.png", full_page=True)
        finally:
            page.set_viewport_size(DESKTOP)

    def _wide(self) -> list[str]:
        """The elements that stick out on the right, to say what makes the page too wide."""
        return list(
            self.page.evaluate(
                """[...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth)
                .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""
            )
        )

    def forgive_document_status(self) -> None:
        """An error page answers its error status, which Chromium writes to the console."""
        self.console = [m for m in self.console if "the server responded with a status" not in m]

    def axe_violations(self) -> list[dict[str, Any]]:
        """axe-core's WCAG 2.1 A and AA violations, each with the elements concerned."""
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(url=f"{self.base}/__axe/axe.min.js")
        found = page.evaluate(
            """tags => axe.run(document, {runOnly: {type: 'tag', values: tags},
                                        resultTypes: ['violations']})
                .then(r => r.violations.map(v => ({id: v.id, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' '))})))""",
            AXE_TAGS,
        )
        return list(found)

    def assert_no_console_errors(self) -> None:
        assert self.console == [], "\n".join(self.console)


def _fulfil_axe(route: Route) -> None:
    route.fulfill(path=AXE, content_type="text/javascript")
