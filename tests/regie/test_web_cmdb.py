"""The CMDB and sourcing register pages read as a browser would: CIs by class and name, one
CI with its relations, history, state at a past moment and impact (drawn and listed with the
path), the register with its warnings; another tenant's CI and supplier stay unknown."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

import pytest

from core.identity.roles import Role
from core.types import utcnow
from regie.web import cmdb as web_cmdb
from services.sourcing import permissions as sp
from tests.changes.helpers import Desk as ChangeDesk
from tests.changes.helpers import plan
from tests.cmdb.helpers import DATABASE, SERVER, Cmdb
from tests.core.test_web_signin import csrf_of
from tests.factories import auth, make_tenant, make_token
from tests.regie import test_web_queue as shared
from tests.services.test_sourcing import Register
from tests.tickets.helpers import Desk
from tests.tickets.test_problems import Problems

idp, tenant, people = shared.idp, shared.tenant, shared.people


@pytest.fixture
def cmdb(client, tenant) -> Cmdb:
    return Cmdb(client, tenant)


def chain(cmdb: Cmdb) -> dict[str, dict]:
    """Zaaksysteem depends on Zaakdatabase, which runs on Server-01."""
    cis = {
        "app": cmdb.ci("Zaaksysteem"),
        "db": cmdb.ci("Zaakdatabase", DATABASE),
        "server": cmdb.ci("Server-01", SERVER),
    }
    assert cmdb.relate(cis["app"], "depends-on", cis["db"]).status_code == 201
    assert cmdb.relate(cis["db"], "runs-on", cis["server"]).status_code == 201
    return cis


def test_cis_are_browsed_by_class_and_name(people, cmdb) -> None:
    chain(cmdb)
    aad = people["aad"]
    listed = aad.get("/cis").text
    assert "Zaaksysteem" in listed and "Server-01" in listed
    only = aad.get(f"/cis?cls={SERVER}&lang=en").text
    assert "Server-01" in only and "Zaaksysteem" not in only
    assert "Zaakdatabase" in aad.get("/cis?q=database").text
    assert "Zaaksysteem" not in aad.get("/cis?q=database").text
    assert 'href="/cis"' in aad.get("/").text  # the header's link, for a CMDB reader


def test_a_ci_page_shows_relations_history_and_the_impact_with_its_path(people, cmdb) -> None:
    cis = chain(cmdb)
    aad = people["aad"]
    page = aad.get(f"/cis/{cis['server']['id']}?lang=en&direction=up&depth=3")
    assert page.status_code == 200
    text = page.text
    assert 'role="img"' in text and '<title id="impact-title">' in text
    assert "Server-01 → Zaakdatabase → Zaaksysteem" in text
    assert f'href="/cis/{cis["db"]["id"]}' in text and "runs" in text
    down = aad.get(f"/cis/{cis['server']['id']}?lang=en&direction=down").text
    assert "Nothing is reached in this direction." in down


def test_the_state_at_a_past_moment_shows_the_older_value(people, cmdb) -> None:
    ci = cmdb.ci("Zaaksysteem")
    before = utcnow()
    assert cmdb.patch(ci, {"name": "Zaaksysteem 2"}).status_code == 200
    aad = people["aad"]
    now = aad.get(f"/cis/{ci['id']}").text
    assert "<h2>Zaaksysteem 2</h2>" in now
    then = aad.get(f"/cis/{ci['id']}", params={"at": before.isoformat()}).text
    assert "<h2>Zaaksysteem</h2>" in then
    earlier = (before - timedelta(days=1)).isoformat()
    never = aad.get(f"/cis/{ci['id']}", params={"at": earlier, "lang": "en"}).text
    assert "did not exist at that moment" in never
    wrong = aad.get(f"/cis/{ci['id']}", params={"at": "soon", "lang": "en"})
    assert wrong.status_code == 200 and 'aria-invalid="true"' in wrong.text


def test_another_tenants_ci_and_supplier_are_not_found(client, people) -> None:
    theirs = Cmdb(client, make_tenant())
    ci = theirs.ci("Geheim systeem")
    register = Register(client)
    supplier = register.supplier("Geheime leverancier")
    aad = people["aad"]
    for path in (f"/cis/{ci['id']}", f"/suppliers/{supplier['id']}", "/cis/nonsense"):
        answer = aad.get(path)
        assert answer.status_code == 404
        assert "Geheim" not in answer.text
    assert "Geheim systeem" not in aad.get("/cis").text
    assert "Geheime leverancier" not in aad.get("/suppliers").text


def test_a_reporter_sees_no_cmdb(people, cmdb) -> None:
    ci = cmdb.ci("Zaaksysteem")
    rita = people["rita"]
    assert 'href="/cis"' not in rita.get("/").text
    assert rita.get(f"/cis/{ci['id']}").status_code == 403


def register(client: Any, tenant: Any) -> dict[str, Any]:
    """A supplier with a sub-supplier, a contract whose notice deadline is near, an expired
    certificate and an exit plan never tested."""
    token = make_token(tenant, [sp.READ, sp.MANAGE])

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = client.post(f"/api/v1{path}", headers=auth(token), json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    today = date.today()
    cloud = post(
        "/suppliers",
        {"name": "Wolk BV", "deliveryCountries": ["NL"], "processingCountries": ["NL", "US"]},
    )
    post("/suppliers", {"name": "Rekencentrum", "parentId": cloud["id"]})
    contract = {
        "reference": "C-2024-7",
        "startsOn": "2024-01-01",
        "endsOn": (today + timedelta(days=100)).isoformat(),
        "noticeDays": 90,
        "deliveryForm": "saas",
        "regime": "strict",
    }
    post(f"/suppliers/{cloud['id']}/contracts", contract)
    expired = {"kind": "ISO 27001", "expiresOn": (today - timedelta(days=1)).isoformat()}
    post(f"/suppliers/{cloud['id']}/certifications", expired)
    post(f"/suppliers/{cloud['id']}/plans", {"kind": "exit", "title": "Terug naar eigen beheer"})
    return cloud


def test_the_register_names_its_warnings_in_words(client, people, tenant) -> None:
    cloud = register(client, tenant)
    aad = people["aad"]
    listed = aad.get("/suppliers?lang=en").text
    for words in ("Notice deadline", "Certificate expires", "Exit plan not tested within a year"):
        assert words in listed
    assert "United States (US)" in listed and "Strict" in listed and "Never tested" in listed
    one = aad.get(f"/suppliers/{cloud['id']}").text
    assert "Rekencentrum" in one and "Opzegtermijn" in one
    assert 'href="/suppliers"' in aad.get("/").text


def test_a_ci_page_lists_the_tickets_problems_and_changes_that_name_it(
    client, people, cmdb, tenant
) -> None:
    cis = chain(cmdb)
    server, other = cis["server"]["id"], cis["app"]["id"]
    ticket = Desk(client, tenant).report(ciId=server, title="Server onbereikbaar")
    problem = Problems(client, tenant).problem(ciId=server, title="Server valt steeds uit")
    changes = ChangeDesk(client, tenant)
    change = changes.create(ciIds=[server], title="Geheugen van de server uitbreiden")
    elsewhere = changes.create(ciIds=[other], title="Nieuwe release van het zaaksysteem")
    page = people["aad"].get(f"/cis/{server}").text
    assert f'href="/tickets/{ticket["id"]}"' in page
    assert f'href="/problems/{problem["id"]}"' in page
    assert change["number"] in page and "Geheugen van de server uitbreiden" in page
    assert elsewhere["number"] not in page
    # The server's failure reaches the open incident on it and the application above it.
    assert "Server onbereikbaar" in page.split('id="impact"')[1]


def test_the_list_pages_on_and_keeps_its_filters(people, cmdb, monkeypatch) -> None:
    monkeypatch.setattr(web_cmdb, "PAGE_SIZE", 2)
    for name in ("Zaak-a", "Zaak-b", "Zaak-c", "Ander"):
        cmdb.ci(name)
    aad = people["aad"]
    first = aad.get("/cis?q=zaak").text
    assert "Zaak-a" in first and "Zaak-b" in first and "Zaak-c" not in first
    following = re.search(r'href="([^"]+)" rel="next"', first)
    assert following is not None and "q=zaak" in following.group(1)
    second = aad.get(html.unescape(following.group(1))).text
    assert "Zaak-c" in second and "Ander" not in second and 'rel="next"' not in second


def test_supplier_staff_read_a_clients_cmdb_where_granted(client, idp, people) -> None:
    granting = Cmdb(client, make_tenant())
    ci = granting.ci("Klantsysteem")
    aad, slug = people["aad"], granting.tenant.slug
    assert aad.get(f"/cis/{ci['id']}?tenant={slug}").status_code == 404
    shared.grant(granting.tenant, idp)
    page = aad.get(f"/cis/{ci['id']}?tenant={slug}")
    assert page.status_code == 200 and "Klantsysteem" in page.text
    assert f"/cis?tenant={slug}" in page.text  # the way back stays in the client's tenant
    assert "Klantsysteem" in aad.get(f"/cis?tenant={slug}").text


def test_a_ci_is_recorded_with_its_class_attributes_where_one_may_write(
    client, idp, people
) -> None:
    granting = Cmdb(client, make_tenant())
    shared.grant(granting.tenant, idp, Role.agent_line_2)  # line 2 writes the CMDB
    aad, slug = people["aad"], granting.tenant.slug
    assert people["rita"].get("/cis/new").status_code == 403
    assert 'href="/cis/new' in aad.get(f"/cis?tenant={slug}").text
    address = f"/cis/new?cls={SERVER}&tenant={slug}"
    form = aad.get(address).text
    assert 'name="attributes.cpuCount"' in form and 'name="attributes.environment"' in form
    hidden = {"csrf": csrf_of(form)}
    wrong = aad.post(
        f"{address}&lang=en",
        data={**hidden, "name": "", "naturalKey": "web-01", "attributes.cpuCount": "veel"},
    )
    assert wrong.status_code == 400
    assert 'id="name-error"' in wrong.text and 'id="attributes.cpuCount-error"' in wrong.text
    too_many = {**hidden, "name": "Web-01", "naturalKey": "web-01", "attributes.cpuCount": "4096"}
    refused = aad.post(address, data=too_many)
    assert refused.status_code == 400 and 'id="attributes.cpuCount-error"' in refused.text
    good = {**too_many, "attributes.cpuCount": "16", "attributes.environment": "production"}
    made = aad.post(address, data=good)
    assert made.status_code == 303
    shown = aad.get(made.headers["location"]).text
    assert "<h2>Web-01</h2>" in shown and "production" in shown
    again = aad.post(address, data=good)
    assert again.status_code == 409 and 'id="naturalKey-error"' in again.text


def test_relations_are_added_by_name_and_removed_from_the_ci_page(client, idp, people) -> None:
    granting = Cmdb(client, make_tenant())
    app, db = granting.ci("Zaaksysteem"), granting.ci("Zaakdatabase", DATABASE)
    shared.grant(granting.tenant, idp, Role.agent_line_2)
    aad, slug = people["aad"], granting.tenant.slug
    address = f"/cis/{app['id']}?tenant={slug}"
    hidden = {"csrf": csrf_of(aad.get(address).text)}
    add = f"/cis/{app['id']}/relations?tenant={slug}"
    unknown = aad.post(add, data={**hidden, "relation": "outgoing:depends-on", "other": "Niets"})
    assert unknown.status_code == 400 and 'id="relate-other-error"' in unknown.text
    made = aad.post(
        add, data={**hidden, "relation": "outgoing:depends-on", "other": "zaakdatabase"}
    )
    assert made.status_code == 303
    twice = aad.post(add, data={**hidden, "relation": "outgoing:depends-on", "other": db["id"]})
    assert twice.status_code == 400 and "Deze relatie bestaat al." in twice.text
    page = aad.get(address).text
    assert (
        "Zaakdatabase → Zaaksysteem" in aad.get(f"/cis/{db['id']}?tenant={slug}&direction=up").text
    )
    removal = re.search(r'action="(/cis/[^"]+/removal[^"]*)"', page)
    assert removal is not None
    assert aad.post(html.unescape(removal.group(1)), data=hidden).status_code == 303
    assert "Geen relaties." in aad.get(address).text
    history = aad.get(address).text
    assert "Relatie verwijderd" in history and "Relatie toegevoegd" in history


def test_a_reader_gets_no_relation_forms_and_may_not_post_them(people, cmdb) -> None:
    cis = chain(cmdb)
    aad = people["aad"]  # line 1 reads the CMDB of his own tenant, and does not write it
    page = aad.get(f"/cis/{cis['app']['id']}").text
    assert "relate-other" not in page and "/removal" not in page
    body = {"csrf": csrf_of(page), "relation": "outgoing:runs-on", "other": "Server-01"}
    assert aad.post(f"/cis/{cis['app']['id']}/relations", data=body).status_code == 403


def test_the_impact_names_the_scheduled_changes_on_what_fails(client, people, cmdb, tenant) -> None:
    cis = chain(cmdb)
    changes = ChangeDesk(client, tenant)
    r = client.post(
        "/api/v1/change-templates",
        headers=auth(changes.configurer),
        json={"name": "Patch", "description": "Monthly patches", "rollbackPlan": plan()},
    )
    assert r.status_code == 201, r.text
    on_db = changes.create(
        type="standard",
        templateId=r.json()["id"],
        ciIds=[cis["db"]["id"]],
        title="Database patchen",
    )
    for status in ("submitted", "scheduled"):
        on_db = changes.move(on_db, status)
    draft = changes.create(ciIds=[cis["db"]["id"]], title="Nog een idee")
    server = cis["server"]["id"]
    impact = (
        people["aad"]
        .get(f"/cis/{server}?lang=en&direction=up&depth=3")
        .text.split('id="impact"')[1]
    )
    assert "Scheduled changes affected" in impact
    assert f'href="/changes/{on_db["id"]}?lang=en"' in impact and "through Zaakdatabase" in impact
    assert draft["number"] not in impact
    dutch = people["aad"].get(f"/cis/{server}?lang=nl&direction=up&depth=3").text
    assert "Geplande wijzigingen die het raakt" in dutch and "via Zaakdatabase" in dutch
