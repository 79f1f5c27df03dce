"""The CMDB and the sourcing register in Chromium: CIs browsed by class, a CI's page with its
impact drawn and listed with the path to each CI, its state at an earlier moment, and the
register with its warnings; each page passing axe, the CSP and a phone's width, and another
tenant's CI unknown."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from cmdb import permissions as cp
from core.db import unit_of_work
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.tenancy import Tenant
from services.sourcing import permissions as sp
from tests.browser.helpers import Site
from tests.cmdb.helpers import DATABASE, SERVER, builtin_id
from tests.factories import auth, make_tenant, make_token

pytestmark = pytest.mark.browser


class Api:
    """The same live Regie through its API, to set the scene."""

    def __init__(self, site: Site, tenant: Tenant, permissions: list[str]) -> None:
        self.site, self.headers = site, auth(make_token(tenant, permissions))

    def post(self, path: str, body: dict[str, Any], **headers: str) -> dict[str, Any]:
        made = self.site.page.request.post(
            f"{self.site.base}/api/v1{path}", headers={**self.headers, **headers}, data=body
        )
        assert made.status == 201, made.text()
        return dict(made.json())

    def ci(self, name: str, class_id: str, **extra: Any) -> dict[str, Any]:
        body = {"classId": class_id, "name": name, "naturalKey": name.lower(), **extra}
        return self.post("/cis", body)

    def relate(self, source: dict[str, Any], type_: str, target: dict[str, Any]) -> None:
        self.post(
            "/ci-relations", {"sourceId": source["id"], "targetId": target["id"], "type": type_}
        )


def seed_cmdb(site: Site) -> dict[str, dict[str, Any]]:
    """Zaaksysteem depends on Zaakdatabase, which runs on a server renamed since."""
    api = Api(site, site.tenant, [cp.READ, cp.WRITE])
    server = api.ci("srv-zaak-01", SERVER, attributes={"cpuCount": 1024, "hostname": "srv-zaak-01"})
    renamed = site.page.request.patch(
        f"{site.base}/api/v1/cis/{server['id']}",
        headers={**api.headers, "If-Match": f'"{server["version"]}"'},
        data={"name": "Zaakserver"},
    )
    assert renamed.status == 200, renamed.text()
    cis = {
        "server": server,
        "db": api.ci("Zaakdatabase", DATABASE),
        "app": api.ci("Zaaksysteem", builtin_id("application")),
    }
    api.relate(cis["app"], "depends-on", cis["db"])
    api.relate(cis["db"], "runs-on", cis["server"])
    return cis


def test_configuration_items_their_history_and_impact(site: Site) -> None:
    site.sign_in()
    cis = seed_cmdb(site)
    page = site.page
    page.locator("section.user nav a[href^='/cis']").click()
    page.wait_for_url("**/cis*")
    assert page.locator("table tbody tr").count() == 3
    site.check("cis")
    page.select_option("#cls", SERVER)
    page.locator("form.filters button[type=submit]").click()
    page.wait_for_url("**cls=*")
    assert page.locator("table tbody tr").count() == 1
    page.locator("table tbody a", has_text="Zaakserver").click()
    page.wait_for_url(f"**/cis/{cis['server']['id']}*")
    assert page.locator("svg.impact[role=img] title").count() == 1
    path = page.locator("table.impact td.path").last.inner_text()
    assert path == "Zaakserver → Zaakdatabase → Zaaksysteem"
    processors = "1.024" if site.lang == "nl" else "1,024"  # a number in the reader's language
    assert page.locator("dl.attributes dd", has_text=processors).count() == 1
    site.check("ci")

    # The first version in the history shows the server under its old name.
    page.locator("table.history tbody tr").last.locator("a").click()
    page.wait_for_url("**at=*")
    assert page.locator("main h2").inner_text() == "srv-zaak-01"
    assert page.locator("#at").input_value()  # the form holds the moment shown
    site.check("ci-at")

    page.check("#direction-down")
    page.select_option("#depth", "2")
    page.locator("#impact ~ form button[type=submit]").click()
    page.wait_for_url("**direction=down*")
    assert page.locator("table.impact").count() == 0  # a server rests on nothing here
    app = cis["app"]["id"]
    site.goto(f"/cis/{app}?direction=down&depth=2")
    assert page.locator("table.impact td.path").last.inner_text() == (
        "Zaaksysteem → Zaakdatabase → Zaakserver"
    )
    site.check("ci-down")


def test_another_tenants_ci_is_not_found(site: Site) -> None:
    site.sign_in()
    theirs = Api(site, make_tenant(), [cp.READ, cp.WRITE]).ci("Hun systeem", SERVER)
    answer = site.goto(f"/cis/{theirs['id']}")
    assert answer.status == 404
    assert "Hun systeem" not in site.page.content()
    site.forgive_document_status()


def seed_register(site: Site) -> dict[str, Any]:
    """A supplier with a sub-supplier, a contract whose notice deadline is near, a certificate
    about to expire and an exit plan never tested."""
    api = Api(site, site.tenant, [sp.READ, sp.MANAGE])
    today = date.today()
    cloud = api.post(
        "/suppliers",
        {"name": "Wolk BV", "deliveryCountries": ["NL"], "processingCountries": ["NL", "US"]},
    )
    api.post("/suppliers", {"name": "Rekencentrum", "parentId": cloud["id"]})
    contract = {
        "reference": "C-2024-7",
        "startsOn": "2024-01-01",
        "endsOn": (today + timedelta(days=100)).isoformat(),
        "noticeDays": 90,
        "deliveryForm": "saas",
        "regime": "strict",
    }
    api.post(f"/suppliers/{cloud['id']}/contracts", contract)
    certificate = {"kind": "ISO 27001", "expiresOn": (today + timedelta(days=20)).isoformat()}
    api.post(f"/suppliers/{cloud['id']}/certifications", certificate)
    api.post(
        f"/suppliers/{cloud['id']}/plans", {"kind": "exit", "title": "Terug naar eigen beheer"}
    )
    return cloud


def test_the_sourcing_register_and_its_warnings(site: Site) -> None:
    site.sign_in()
    seed_register(site)
    page = site.page
    page.locator("section.user nav a[href^='/suppliers']").click()
    page.wait_for_url("**/suppliers*")
    assert page.locator("table.warnings tbody tr").count() == 3
    warning = "Waarschuwing" if site.lang == "nl" else "Warning"
    assert page.locator("strong.warning", has_text=warning).count() == 3  # in the records
    site.check("suppliers")
    page.locator("section.supplier h4 a", has_text="Wolk BV").click()
    page.wait_for_url("**/suppliers/*")
    assert page.locator("main li a", has_text="Rekencentrum").count() == 1
    site.check("supplier")


def test_recording_a_ci_in_a_client_tenant(site: Site, idp: Any) -> None:
    """Anna, granted line 2 in a client's tenant, records a server there through the form."""
    client = make_tenant()
    with unit_of_work(client.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.dir,
                subject_oid=idp.anna,
                role=Role.agent_line_2,
                granted_by="test",
            )
        )
    site.sign_in()
    page = site.page
    site.goto(f"/cis?tenant={client.slug}")
    page.locator("main a[href^='/cis/new']").click()
    page.select_option("#cls", SERVER)
    page.locator("main form.filters button[type=submit]").click()
    page.wait_for_url("**cls=*")
    site.check("ci-new")
    page.fill("#name", "Webserver 1")
    page.fill("#naturalKey", "web-01")
    page.fill("[id='attributes.cpuCount']", "veel")
    page.locator("form.ticket button[type=submit]").click()
    page.locator("[id='attributes.cpuCount-error']").wait_for()
    site.check("ci-new-errors")
    site.forgive_document_status()
    page.fill("[id='attributes.cpuCount']", "16")
    page.select_option("[id='attributes.environment']", "production")
    page.locator("form.ticket button[type=submit]").click()
    page.wait_for_url(f"**/cis/*-*?*tenant={client.slug}*")
    assert page.locator("main h2").inner_text() == "Webserver 1"
    Api(site, client, [cp.READ, cp.WRITE]).ci("Zaakdatabase", DATABASE)
    page.fill("#relate-other", "Onbekend")
    page.locator("form.relate button[type=submit]").click()
    page.locator("#relate-other-error").wait_for()
    site.check("ci-relate-error")
    site.forgive_document_status()
    page.select_option("#relate-relation", "incoming:runs-on")
    page.fill("#relate-other", "zaakdatabase")
    page.locator("form.relate button[type=submit]").click()
    page.wait_for_url("**#relations")
    assert page.locator("ul.relations li a", has_text="Zaakdatabase").count() == 1
    site.check("ci-write")
    page.locator("ul.relations li button.link").click()
    page.wait_for_url("**#relations")
    assert page.locator("ul.relations").count() == 0
