"""The improvement register in Chromium: the client's product owner reorders the backlog with
the keyboard alone, accepts a proposal with a reason, reads an evaluated item's KPI chart, and
meets a clear page for a stale board and for another tenant's item; each page within axe, the
CSP and a phone's width, in Dutch and English."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.browser.helpers import Site
from tests.factories import auth, make_tenant, make_token
from tests.services.improvements import PRODUCT_OWNER, SUPPLIER, proposal
from tests.services.kpi_month import nov, rewrite
from tests.tickets.helpers import incident
from tickets import permissions as tickets

pytestmark = pytest.mark.browser
URL = "/api/v1/improvements"
OWNER = "olga"


class Api:
    """The supplier and a product owner's key of one tenant, through the live Regie's API."""

    def __init__(self, site: Site, tenant: Any = None) -> None:
        self.site, tenant = site, tenant or site.tenant
        self.tenant = tenant
        self.supplier = make_token(tenant, SUPPLIER)
        self.owner = make_token(tenant, PRODUCT_OWNER)

    def call(self, method: str, path: str, token: str, body: Any = None, **headers: str) -> Any:
        answer = self.site.page.request.fetch(
            self.site.base + URL + path,
            method=method,
            headers=auth(token, **headers),
            data=body,
        )
        assert answer.status < 300, answer.text()
        return answer

    def propose(self, **overrides: Any) -> dict[str, Any]:
        return dict(self.call("POST", "", self.supplier, proposal(**overrides)).json())

    def act(self, item: dict[str, Any], action: str, body: Any, token: str) -> None:
        etag = self.call("GET", f"/{item['id']}", self.supplier).headers["etag"]
        self.call("POST", f"/{item['id']}/{action}", token, body, **{"If-Match": etag})

    def opened(self, day: int, month: int) -> None:
        """An incident opened on that day of 2026, so the KPI counts it in that month."""
        answer = self.site.page.request.post(
            self.site.base + "/api/v1/tickets",
            headers=auth(make_token(self.tenant, [tickets.REPORT])),
            data=incident(),
        )
        assert answer.status == 201, answer.text()
        rewrite(SimpleNamespace(tenant=self.tenant), answer.json(), nov(day, 10, mo=month), [])

    def evaluated(self, **overrides: Any) -> dict[str, Any]:
        """An item decided, realised and evaluated over October and November 2026."""
        item = self.propose(**overrides)
        self.act(item, "decisions", {"decision": "accepted", "reason": "Goed idee"}, self.owner)
        for status in ("in-progress", "realised"):
            self.act(item, "transitions", {"status": status}, self.supplier)
        periods = {"before": "2026-10", "after": "2026-11"}
        self.call("POST", f"/{item['id']}/evaluation", self.owner, periods)
        return item

    def order(self) -> list[str]:
        items = self.call("GET", "/order", self.supplier).json()["items"]
        return [i["title"] for i in items]


def board_titles(site: Site) -> list[str]:
    return site.page.locator("ol.board > li h4 a").all_inner_texts()


def tab_to(site: Site, selector: str, most: int = 80) -> None:
    """Press Tab until the element of `selector` has the focus, as a keyboard user does."""
    page = site.page
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_product_owner_orders_and_decides_on_the_board(site: Site) -> None:
    api = Api(site)
    alpha, bravo, charlie = (api.propose(title=t) for t in ("Alpha", "Bravo", "Charlie"))
    site.sign_in(OWNER)
    page = site.page
    page.locator("section.user nav a[href^='/improvements']").click()
    page.wait_for_url("**/improvements*")
    assert board_titles(site) == ["Alpha", "Bravo", "Charlie"]
    site.check("improvements")

    tab_to(site, f"#item-{charlie['id']} button.move-up")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert board_titles(site) == ["Alpha", "Charlie", "Bravo"] == api.order()
    tab_to(site, f"#item-{bravo['id']} button.move-top")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert board_titles(site) == ["Bravo", "Alpha", "Charlie"] == api.order()

    card = page.locator(f"#item-{alpha['id']}")
    card.locator("input[value=accepted]").check()
    card.locator("textarea[name=reason]").fill("Scheelt de servicedesk tijd")
    with page.expect_navigation():
        card.locator("form.decision button[type=submit]").click()
    accepted = "Aangenomen" if site.lang == "nl" else "Accepted"
    assert accepted in page.locator(f"#item-{alpha['id']} .meta").inner_text()
    assert page.locator(f"#item-{alpha['id']} form.decision").count() == 0
    site.check("improvements-decided")


def test_a_stale_board_says_so_in_the_pages_language(site: Site) -> None:
    api = Api(site)
    _alpha, bravo = api.propose(title="Alpha"), api.propose(title="Bravo")
    site.sign_in(OWNER)
    site.goto("/improvements")
    page = site.page
    etag = api.call("GET", "/order", api.supplier).headers["etag"]
    ids = [i["id"] for i in api.call("GET", "/order", api.supplier).json()["items"]]
    api.call("PUT", "/order", api.owner, {"itemIds": ids[::-1]}, **{"If-Match": etag})
    assert page.locator(f"#item-{bravo['id']} button.move-down").count() == 0  # Bravo is last
    page.locator(f"#item-{bravo['id']} button.move-up").click()
    heading = "Door iemand anders gewijzigd" if site.lang == "nl" else "Changed by someone else"
    page.locator("h2", has_text=heading).wait_for()
    site.forgive_document_status()
    site.check("improvements-stale")
    assert api.order() == ["Bravo", "Alpha"]


def test_the_item_page_shows_the_kpi_before_and_after(site: Site) -> None:
    api = Api(site)
    for day, month in ((5, 10), (12, 10), (20, 10), (9, 11)):
        api.opened(day, month)
    item = api.evaluated(title="Minder meldingen", kpi="opened", baseline=3.0, target=2.0)
    site.sign_in(OWNER)
    site.goto(f"/improvements/{item['id']}")
    page = site.page
    chart = page.locator("svg[role=img]")
    assert chart.is_visible()
    assert "2026-10: 3; 2026-11: 1" in (chart.locator("desc").text_content() or "")
    rows = page.locator("table.evaluation tbody tr").all_inner_texts()
    assert len(rows) == 4 and "2026-10" in rows[0] and rows[0].endswith("3")
    assert "2026-11" in rows[1] and rows[1].endswith("1")
    site.check("improvement")


def test_another_tenants_item_is_not_found(site: Site) -> None:
    theirs = Api(site, make_tenant()).propose(title="Elders")
    site.sign_in(OWNER)
    answer = site.goto(f"/improvements/{theirs['id']}")
    assert answer.status == 404
    assert "Elders" not in site.page.content()
    site.forgive_document_status()
    site.check("improvement-not-found")
