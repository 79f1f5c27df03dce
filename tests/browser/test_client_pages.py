"""The client's pages in Chromium: the service levels' trend charts, the month's outages and
availability, the DAP and an access review decided by the client's admin, each within axe,
the CSP and a phone's width, in Dutch and English."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core.db import unit_of_work
from core.identity import reviews
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.types import utcnow
from services.availability import permissions as availability
from services.dap import permissions as dap
from services.reports.data import first_of, shift
from services.sla.service import today
from tests.browser.helpers import Site
from tests.factories import auth, make_token
from tests.regie.test_web_client_pages import dap_body
from tests.support.oidc_provider import OidcProvider

pytestmark = pytest.mark.browser


def test_the_service_levels_trend_is_drawn_and_tabled(site: Site) -> None:
    site.sign_in()
    page = site.page
    page.locator("section.user nav a[href^='/service-levels']").click()
    page.wait_for_url("**/service-levels*")
    charts = page.locator("svg[role=img]")
    assert charts.count() == 4
    assert page.locator("#chart-response-title").text_content()
    assert page.locator("svg polyline.norm").count() == 4
    assert page.locator("table.trend tbody tr").count() == 12
    site.check("service-levels-trend")
    with page.expect_navigation() as followed:
        page.locator("table.figures a").first.click()  # the evidence, for this session
    assert followed.value is not None and followed.value.status == 200


def test_the_outages_of_a_month(site: Site) -> None:
    month = shift(first_of(today()), -1)
    token = auth(make_token(site.tenant, [availability.READ, availability.MANAGE]))
    body = {
        "start": f"{month:%Y-%m}-03T10:00:00+01:00",
        "end": f"{month:%Y-%m}-03T12:00:00+01:00",
        "scope": "platform",
        "description": "Opslag viel uit",
    }
    made = site.page.request.post(f"{site.base}/api/v1/outages", headers=token, data=body)
    assert made.status == 201, made.text()
    site.sign_in()
    page = site.page
    page.locator("section.user nav a[href^='/outages']").click()
    page.wait_for_url("**/outages*")
    assert "Opslag viel uit" in page.locator("table.outages").inner_text()
    site.check("outages")


def test_the_dap(site: Site) -> None:
    token = auth(make_token(site.tenant, [dap.READ, dap.MANAGE]))
    made = site.page.request.post(
        f"{site.base}/api/v1/dap/versions", headers=token, data=dap_body()
    )
    assert made.status == 201, made.text()
    site.sign_in()
    page = site.page
    page.locator("section.user nav a[href^='/dap']").click()
    page.wait_for_url("**/dap*")
    assert "Sanne Servicedesk" in page.locator("table.contacts").inner_text()
    site.check("dap")
    page.locator("ul.versions strong, ul.versions a").first.wait_for()
    answer = site.goto(f"/dap/versions/{uuid.uuid4()}")
    assert answer.status == 404
    site.forgive_document_status()


def test_an_access_review_decided_by_the_clients_admin(site: Site, idp: OidcProvider) -> None:
    review = _start_review(site, idp)
    site.sign_in("cleo")
    page = site.page
    page.locator("section.user nav a[href^='/access-reviews']").click()
    page.wait_for_url("**/access-reviews*")
    site.check("access-reviews")
    page.locator("table.reviews a").first.click()
    page.wait_for_url(f"**/access-reviews/{review}*")
    site.check("access-review")
    first = page.locator("form.decision").first
    first.locator("button[type=submit]").click()  # no choice made
    page.locator(".error-summary").wait_for()
    site.check("access-review-error")
    site.forgive_document_status()
    page.locator("form.decision").first.locator("input[value=confirmed]").check()
    page.locator("form.decision").first.locator("button[type=submit]").click()
    page.wait_for_url("**decided=1*")
    page.locator("form.decision").first.locator("input[value=revoked]").check()
    page.locator("form.decision").first.locator("button[type=submit]").click()
    page.wait_for_url("**decided=1*")
    assert page.locator("form.decision").count() == 0
    assert page.locator("[data-decision=confirmed]").count() == 1
    assert page.locator("[data-decision=revoked]").count() == 1
    site.check("access-review-done")
    answer = site.goto(f"/access-reviews/{uuid.uuid4()}")
    assert answer.status == 404
    site.forgive_document_status()


def _start_review(site: Site, idp: OidcProvider) -> str:
    """Two grants of the tenant under review, with Cleo the named reviewer."""
    with unit_of_work(site.tenant.id) as session:
        for name, role in (("Kees", Role.key_user), ("Oud-collega", Role.reporter)):
            session.add(
                Grant(
                    subject_kind=SubjectKind.user,
                    subject_tid=idp.dir,  # type: ignore[attr-defined]
                    subject_oid=uuid.uuid4(),
                    subject_name=name,
                    role=role,
                    granted_by="test",
                )
            )
    body = {
        "name": "Q4 2026",
        "reviewerTid": str(idp.dir),  # type: ignore[attr-defined]
        "reviewerOid": str(idp.cleo),  # type: ignore[attr-defined]
        "reviewerName": "Cleo Bakker",
        "dueAt": (utcnow() + timedelta(days=14)).isoformat(),
    }
    token = auth(make_token(site.tenant, [reviews.MANAGE]))
    made = site.page.request.post(f"{site.base}/api/v1/access-reviews", headers=token, data=body)
    assert made.status == 201, made.text()
    return str(made.json()["id"])
