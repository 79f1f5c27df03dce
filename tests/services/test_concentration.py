"""The concentration report: critical services per supplier (directly, through the CI graph,
through a main supplier), data outside the EU, per tenant and across the clients one serves,
as JSON, CSV and ODS."""

from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import pytest

from cmdb import permissions as cmdb
from core.identity.roles import Role
from services.catalogue import permissions as catalogue
from services.sourcing import permissions as sp
from tests.cmdb.helpers import APPLICATION, SERVER, builtin_id
from tests.factories import auth, grant_staff, make_tenant, make_token

URL = "/api/v1/sourcing/concentration"
SERVICE, SAAS = builtin_id("business-service"), builtin_id("saas-service")
ALL = [cmdb.READ, cmdb.WRITE, sp.READ, sp.MANAGE, catalogue.READ, catalogue.WRITE]


class Client:
    """One client tenant with a small CMDB and register, through the API."""

    def __init__(self, client: Any) -> None:
        self.client, self.tenant = client, make_tenant()
        self.token = make_token(self.tenant, ALL)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.client.post(f"/api/v1{path}", headers=auth(self.token), json=body)
        assert r.status_code == 201, r.text
        return dict(r.json())

    def ci(self, name: str, class_id: str, **attributes: Any) -> dict[str, Any]:
        body = {"classId": class_id, "name": name, "naturalKey": name, "attributes": attributes}
        return self.post("/cis", body)

    def relate(self, source: dict[str, Any], type_: str, target: dict[str, Any]) -> None:
        self.post(
            "/ci-relations", {"sourceId": source["id"], "targetId": target["id"], "type": type_}
        )

    def get(self, path: str = URL, **params: Any) -> Any:
        return self.client.get(path, headers=auth(self.token), params=params)


@pytest.fixture
def landscape(client) -> dict[str, Any]:
    """Payroll (vital) -> HR app -> server -> provided by Cloud X; Portal (high) provided by
    Cloud X directly; Intranet (low) on the HR app too; Hosting is Cloud X's sub-supplier."""
    c = Client(client)
    payroll = c.ci("Payroll", SERVICE, criticality="vital")
    portal = c.ci("Portal", SERVICE, criticality="high")
    intranet = c.ci("Intranet", SERVICE, criticality="low")
    app, server = c.ci("HR app", APPLICATION), c.ci("Server 1", SERVER)
    cloud_ci = c.ci("Cloud X", SAAS)
    c.relate(payroll, "depends-on", app)
    c.relate(intranet, "depends-on", app)
    c.relate(app, "runs-on", server)
    c.relate(server, "provided-by", cloud_ci)
    c.relate(portal, "provided-by", cloud_ci)
    entry = {"code": "S-PAY", "name": "Salarissen", "domain": "A", "subdomain": 1}
    c.post("/services", {**entry, "ciId": payroll["id"]})
    cloud = c.post(
        "/suppliers",
        {"name": "Cloud X", "ciId": cloud_ci["id"], "processingCountries": ["NL", "US"]},
    )
    hosting = c.post(
        "/suppliers", {"name": "Hosting", "parentId": cloud["id"], "processingCountries": ["DE"]}
    )
    other = c.post("/suppliers", {"name": "=Other", "processingCountries": ["CH"]})
    return {
        "c": c,
        "payroll": payroll,
        "portal": portal,
        "cloud": cloud,
        "hosting": hosting,
        "other": other,
    }


def test_critical_services_are_found_directly_through_the_graph_and_the_main_supplier(
    landscape,
) -> None:
    c, payroll, portal = landscape["c"], landscape["payroll"], landscape["portal"]
    r = c.get()
    assert r.status_code == 200, r.text
    body = r.json()
    by_name = {s["name"]: s for s in body["suppliers"]}
    assert [s["name"] for s in body["suppliers"]][:2] == ["Cloud X", "Hosting"]
    cloud = by_name["Cloud X"]
    assert cloud["criticalServiceCount"] == 2
    via = {d["name"]: d["via"] for d in cloud["criticalServices"]}
    assert via == {"Payroll": "graph", "Portal": "direct"}
    [pay] = [d for d in cloud["criticalServices"] if d["ciId"] == payroll["id"]]
    assert pay["criticality"] == "vital"
    assert [s["code"] for s in pay["catalogueServices"]] == ["S-PAY"]
    assert (cloud["outsideEu"], cloud["dataOutsideEu"]) == (["US"], True)
    hosting = by_name["Hosting"]
    assert {d["ciId"] for d in hosting["criticalServices"]} == {payroll["id"], portal["id"]}
    assert all(d["via"] == "sub-supplier" for d in hosting["criticalServices"])
    assert {d["throughSupplierId"] for d in hosting["criticalServices"]} == {cloud["supplierId"]}
    assert hosting["dataOutsideEu"] is False
    assert by_name["=Other"]["criticalServiceCount"] == 0
    assert by_name["=Other"]["outsideEu"] == ["CH"]
    # At depth 1 only what rests on the supplier's CI itself counts.
    shallow = {s["name"]: s for s in c.get(depth=1).json()["suppliers"]}
    assert [d["name"] for d in shallow["Cloud X"]["criticalServices"]] == ["Portal"]


def test_the_report_downloads_as_csv_and_ods(landscape) -> None:
    c = landscape["c"]
    r = c.get(format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    cloud = [(x["criticalService"], x["via"]) for x in rows if x["supplier"] == "Cloud X"]
    assert sorted(cloud) == [("Payroll", "graph"), ("Portal", "direct")]
    [other] = [x for x in rows if x["supplierId"] == landscape["other"]["id"]]
    assert other["supplier"] == "'=Other" and other["criticalService"] == ""
    by_accept = c.client.get(URL, headers=auth(c.token, Accept="text/csv"))
    assert by_accept.content == r.content
    ods = c.get(format="ods")
    assert ods.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    content = zipfile.ZipFile(io.BytesIO(ods.content)).read("content.xml").decode()
    assert "Payroll" in content and "Cloud X" in content


def test_another_tenant_sees_none_of_it_and_cannot_name_its_ci(client, landscape) -> None:
    c, theirs = landscape["c"], Client(client)
    assert theirs.get().json()["suppliers"] == []
    r = theirs.client.post(
        "/api/v1/suppliers",
        headers=auth(theirs.token),
        json={"name": "Sneaky", "ciId": landscape["portal"]["id"]},
    )
    assert r.status_code == 400 and [p["name"] for p in r.json()["invalidParams"]] == ["ciId"]
    csv_text = theirs.get(format="csv").text
    assert "Cloud X" not in csv_text and "Payroll" not in csv_text
    assert c.get().json()["suppliers"][0]["name"] == "Cloud X"


def test_reading_the_report_needs_the_register_permission(landscape) -> None:
    c = landscape["c"]
    token = make_token(c.tenant, [cmdb.READ, catalogue.READ])
    assert c.client.get(URL, headers=auth(token)).status_code == 403
    bad = c.get(depth=0)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


def test_the_overview_covers_the_clients_one_may_read_the_register_of(
    client, idp, supplier, landscape
) -> None:
    a = landscape["c"]
    b, hidden = Client(client), Client(client)
    b.post("/suppliers", {"name": "Cloud X", "processingCountries": ["IE"]})
    hidden.post("/suppliers", {"name": "Cloud X"})
    grant_staff(a.tenant, idp, Role.service_level_manager)
    grant_staff(b.tenant, idp, Role.agent_line_2)
    grant_staff(hidden.tenant, idp, Role.kpi_viewer)  # reads figures, not the register
    manager = idp.token(idp.supplier_dir, idp.agent)
    r = client.get(f"{URL}/overview", headers=auth(manager, **{"Regie-Tenant": a.tenant.slug}))
    assert r.status_code == 200, r.text
    rows = [(x["supplier"], x["tenant"]) for x in r.json()["items"] if x["supplier"] == "Cloud X"]
    assert sorted(rows) == sorted([("Cloud X", a.tenant.slug), ("Cloud X", b.tenant.slug)])
    [ours] = [
        x for x in r.json()["items"] if x["tenant"] == a.tenant.slug and x["supplier"] == "Cloud X"
    ]
    assert (ours["criticalServiceCount"], ours["directCount"]) == (2, 1)
    assert hidden.tenant.slug not in r.text
    sheet = client.get(
        f"{URL}/overview",
        params={"format": "csv"},
        headers=auth(manager, **{"Regie-Tenant": a.tenant.slug}),
    )
    tenants = {x["tenant"] for x in csv.DictReader(io.StringIO(sheet.text))}
    assert tenants == {a.tenant.slug, b.tenant.slug}
    # A client's own reader sees their own tenant only.
    own = b.get(f"{URL}/overview").json()["items"]
    assert {x["tenant"] for x in own} == {b.tenant.slug}
