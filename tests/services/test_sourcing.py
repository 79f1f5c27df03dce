"""The sourcing register: suppliers and sub-suppliers, contracts, certifications, exit and
continuity plans; tenants apart; warnings ahead of their dates, once each, through the outbox."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from sqlmodel import select

from core.db import unit_of_work
from core.outbox.models import OutboxMessage
from services.dap import permissions as dap
from services.sourcing import permissions as sp
from services.sourcing import warnings
from services.sourcing.models import Plan
from tests.audit.helpers import records
from tests.factories import auth, make_tenant, make_token
from tests.services.test_dap import body as dap_body

TODAY = date(2027, 3, 1)


class Register:
    def __init__(self, client: Any) -> None:
        self.client, self.tenant = client, make_tenant()
        self.manager = make_token(self.tenant, [sp.READ, sp.MANAGE, dap.READ, dap.MANAGE])
        self.reader = make_token(self.tenant, [sp.READ])

    def post(self, path: str, body: dict[str, Any], **headers: str) -> Any:
        return self.client.post(f"/api/v1{path}", headers=auth(self.manager, **headers), json=body)

    def supplier(self, name: str, **extra: Any) -> dict[str, Any]:
        r = self.post("/suppliers", {"name": name, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    def add(self, supplier: dict[str, Any], kind: str, body: dict[str, Any]) -> dict[str, Any]:
        r = self.post(f"/suppliers/{supplier['id']}/{kind}", body)
        assert r.status_code == 201, r.text
        return r.json()


@pytest.fixture
def reg(client) -> Register:
    return Register(client)


@pytest.fixture
def theirs(client) -> Register:
    return Register(client)


def contract(ends: date | None, notice: int = 0, **extra: Any) -> dict[str, Any]:
    body = {
        "reference": "C-1",
        "startsOn": "2024-01-01",
        "noticeDays": notice,
        "deliveryForm": "saas",
        "regime": "strict",
        **extra,
    }
    return {**body, "endsOn": ends.isoformat() if ends else None}


def test_a_supplier_with_a_sub_supplier_and_where_they_deliver_and_process(reg) -> None:
    cloud = reg.supplier(
        "Cloud BV",
        deliveryCountries=["NL"],
        processingCountries=["NL", "IE"],
        lastRiskAnalysisOn="2026-10-01",
    )
    dc = reg.supplier("Datacenter GmbH", parentId=cloud["id"], processingCountries=["DE"])
    assert dc["parentId"] == cloud["id"] and cloud["processingCountries"] == ["NL", "IE"]
    listed = reg.client.get("/api/v1/suppliers", headers=auth(reg.reader)).json()["items"]
    assert [s["name"] for s in listed] == ["Cloud BV", "Datacenter GmbH"]
    bad = reg.post("/suppliers", {"name": "X", "processingCountries": ["Netherlands"]})
    assert bad.status_code == 400
    assert bad.json()["invalidParams"][0]["pointer"] == "/processingCountries/0"
    assert reg.post("/suppliers", {"name": "Cloud BV"}).status_code == 409


def test_a_parent_is_a_supplier_of_the_tenant_and_never_below_the_supplier(reg, theirs) -> None:
    foreign = theirs.supplier("Theirs")
    for parent in (foreign["id"], str(uuid.uuid4())):
        r = reg.post("/suppliers", {"name": "Mine", "parentId": parent})
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "parentId"
    top = reg.supplier("Top")
    sub = reg.supplier("Sub", parentId=top["id"])
    headers = auth(reg.manager, **{"If-Match": '"1"'})
    r = reg.client.patch(
        f"/api/v1/suppliers/{top['id']}", headers=headers, json={"parentId": sub["id"]}
    )
    assert r.status_code == 400 and r.json()["invalidParams"][0]["reason"] == "would make a cycle"


def test_changes_need_if_match_and_creates_take_an_idempotency_key(reg) -> None:
    supplier = reg.supplier("Cloud BV")
    path = f"/api/v1/suppliers/{supplier['id']}"
    change = {"lastRiskAnalysisOn": "2026-11-30"}
    assert reg.client.patch(path, headers=auth(reg.manager), json=change).status_code == 428
    stale = auth(reg.manager, **{"If-Match": '"5"'})
    assert reg.client.patch(path, headers=stale, json=change).status_code == 412
    r = reg.client.patch(path, headers=auth(reg.manager, **{"If-Match": '"1"'}), json=change)
    assert r.status_code == 200 and r.json()["lastRiskAnalysisOn"] == "2026-11-30"
    assert r.headers["ETag"] == '"2"'
    made = reg.add(supplier, "contracts", contract(date(2027, 12, 31), 90))
    cpath = f"{path}/contracts/{made['id']}"
    r = reg.client.patch(
        cpath, headers=auth(reg.manager, **{"If-Match": '"1"'}), json={"endsOn": "2023-12-31"}
    )
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "endsOn"
    r = reg.client.patch(
        cpath, headers=auth(reg.manager, **{"If-Match": '"1"'}), json={"endsOn": None}
    )
    assert r.status_code == 200 and r.json()["endsOn"] is None
    first = reg.post("/suppliers", {"name": "Once"}, **{"Idempotency-Key": "s-1"})
    again = reg.post("/suppliers", {"name": "Once"}, **{"Idempotency-Key": "s-1"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()


def test_contracts_certifications_and_plans_are_kept_per_supplier(reg) -> None:
    supplier = reg.supplier("Cloud BV")
    reg.add(supplier, "contracts", contract(date(2027, 12, 31), 90))
    reg.add(supplier, "certifications", {"kind": "ISO 27001", "expiresOn": "2027-06-30"})
    reg.add(supplier, "certifications", {"kind": "ISAE 3402 type II", "expiresOn": "2027-09-30"})
    reg.add(
        supplier,
        "plans",
        {"kind": "exit", "title": "Exit to on-premise", "lastTestedOn": "2026-05-01"},
    )
    base = f"/api/v1/suppliers/{supplier['id']}"
    got = {
        k: reg.client.get(f"{base}/{k}", headers=auth(reg.reader)).json()["items"]
        for k in ("contracts", "certifications", "plans")
    }
    assert [c["regime"] for c in got["contracts"]] == ["strict"]
    assert [c["kind"] for c in got["certifications"]] == ["ISO 27001", "ISAE 3402 type II"]
    assert got["plans"][0]["lastTestedOn"] == "2026-05-01"
    assert reg.post(f"/suppliers/{supplier['id']}/plans", {"kind": "exit"}).status_code == 400
    denied = reg.client.post(
        f"{base}/plans", headers=auth(reg.reader), json={"kind": "exit", "title": "x"}
    )
    assert denied.status_code == 403
    assert [e["action"] for e in records(reg.tenant.id, "services_supplier")] == ["create"]


def test_another_tenant_learns_nothing_on_any_route(reg, theirs) -> None:
    supplier = theirs.supplier("Secret supplier")
    made = theirs.add(supplier, "contracts", contract(date(2027, 4, 1)))
    base = f"/api/v1/suppliers/{supplier['id']}"
    for path in (base, f"{base}/contracts", f"{base}/certifications", f"{base}/plans"):
        r = reg.client.get(path, headers=auth(reg.manager))
        assert r.status_code == 404 and "Secret" not in r.text, path
    headers = auth(reg.manager, **{"If-Match": '"1"'})
    assert reg.client.patch(base, headers=headers, json={"name": "x"}).status_code == 404
    r = reg.client.patch(f"{base}/contracts/{made['id']}", headers=headers, json={"noticeDays": 1})
    assert r.status_code == 404
    assert (
        reg.post(f"/suppliers/{supplier['id']}/plans", {"kind": "exit", "title": "x"}).status_code
        == 404
    )
    mine = reg.supplier("Mine")
    r = reg.client.patch(
        f"/api/v1/suppliers/{mine['id']}/contracts/{made['id']}",
        headers=headers,
        json={"noticeDays": 1},
    )
    assert r.status_code == 404  # a record of another supplier is not this one's
    warnings.sweep_all(TODAY)
    assert (
        reg.client.get("/api/v1/sourcing-warnings", headers=auth(reg.reader)).json()["items"] == []
    )
    assert reg.client.get("/api/v1/suppliers", headers=auth(reg.reader)).json()["items"] == [mine]


def test_warnings_go_once_through_the_outbox_ahead_of_every_date(reg) -> None:
    recipient = dap_body()["reportRecipients"][0]
    dap_version = dap_body(reportRecipients=[{**recipient, "reports": ["sourcing-warnings"]}])
    assert reg.post("/dap/versions", dap_version).status_code == 201
    supplier = reg.supplier("Cloud BV")
    ending = reg.add(supplier, "contracts", contract(TODAY + timedelta(days=60), notice=50))
    reg.add(supplier, "contracts", contract(TODAY + timedelta(days=400), notice=30))  # not yet
    cert = reg.add(
        supplier,
        "certifications",
        {"kind": "ISO 27001", "expiresOn": (TODAY + timedelta(days=20)).isoformat()},
    )
    reg.add(supplier, "certifications", {"kind": "NEN 7510", "expiresOn": "2028-01-01"})
    stale = reg.add(
        supplier,
        "plans",
        {
            "kind": "exit",
            "title": "Exit",
            "lastTestedOn": (TODAY - timedelta(days=400)).isoformat(),
        },
    )
    reg.add(supplier, "plans", {"kind": "exit", "title": "Fresh", "lastTestedOn": "2026-12-01"})
    reg.add(supplier, "plans", {"kind": "continuity", "title": "BCP"})

    assert warnings.sweep_all(TODAY) == 4
    assert warnings.sweep_all(TODAY) == 0  # once
    listed = reg.client.get("/api/v1/sourcing-warnings", headers=auth(reg.reader)).json()["items"]
    got = {(w["kind"], w["subjectId"], w["dueOn"]) for w in listed}
    assert got == {
        ("contract-end", ending["id"], (TODAY + timedelta(days=60)).isoformat()),
        ("notice-deadline", ending["id"], (TODAY + timedelta(days=10)).isoformat()),
        ("certification-expiry", cert["id"], (TODAY + timedelta(days=20)).isoformat()),
        ("exit-plan-untested", stale["id"], (TODAY - timedelta(days=35)).isoformat()),
    }
    assert all("Cloud BV" in w["detail"] for w in listed)
    with unit_of_work(reg.tenant.id, read_only=True) as session:
        sent = list(
            session.exec(select(OutboxMessage).where(OutboxMessage.topic == warnings.TOPIC))
        )
    assert len(sent) == 4 and {m.payload["email"] for m in sent} == {recipient["email"]}
    # Tested again: its next test falls due a year on, not now.
    headers = auth(reg.manager, **{"If-Match": '"1"'})
    reg.client.patch(
        f"/api/v1/suppliers/{supplier['id']}/plans/{stale['id']}",
        headers=headers,
        json={"lastTestedOn": TODAY.isoformat()},
    )
    assert warnings.sweep_all(TODAY + timedelta(days=1)) == 0


def test_an_exit_plan_never_tested_is_due_at_once(reg) -> None:
    supplier = reg.supplier("Cloud BV")
    plan = reg.add(supplier, "plans", {"kind": "exit", "title": "Exit"})
    with unit_of_work(reg.tenant.id, read_only=True) as session:
        recorded = session.get(Plan, (reg.tenant.id, uuid.UUID(plan["id"])))
        assert recorded is not None
        created = recorded.created_at.date()
    assert warnings.sweep_all(created) == 1


def test_forwarding_a_ticket_picks_a_supplier_of_the_register(reg, theirs) -> None:
    from tests.tickets.helpers import Desk

    desk = Desk(reg.client, reg.tenant)
    ticket = desk.report()
    supplier = reg.supplier("Hosting BV")
    foreign = theirs.supplier("Their hosting")
    for bad in (foreign["id"], str(uuid.uuid4())):
        r = desk.act(ticket, "forwardings", {"supplierId": bad, "externalReference": "HB-1"})
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "supplierId"
        assert "Their" not in r.text
    r = desk.act(ticket, "forwardings", {"externalReference": "HB-1"})
    assert r.status_code == 400
    r = desk.act(ticket, "forwardings", {"supplierId": supplier["id"], "externalReference": "HB-1"})
    assert r.status_code == 200, r.text
    assert (r.json()["thirdParty"], r.json()["status"]) == ("Hosting BV", "waiting-third-party")
    forwarded = [e for e in desk.history(ticket) if e["kind"] == "forwarded"]
    assert forwarded[0]["data"]["supplierId"] == supplier["id"]
