"""The improvement register's items: proposing, validation, the life cycle and its refusals,
progress notes, history, lists, the audit log and the separation of tenants."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, Role
from services.improvement import permissions as p
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.services.improvements import URL, Register, proposal


@pytest.fixture
def reg(client, desk) -> Register:
    return Register(client, desk.tenant)


@pytest.fixture
def stranger(client, other) -> Register:
    return Register(client, other.tenant)


def test_the_roles(app) -> None:
    assert p.PRIORITISE in ROLE_PERMISSIONS[Role.product_owner]
    assert p.DECIDE in ROLE_PERMISSIONS[Role.product_owner]
    assert p.PROPOSE in ROLE_PERMISSIONS[Role.service_level_manager]
    assert p.PROPOSE in ROLE_PERMISSIONS[Role.supplier_admin]
    assert p.DECIDE not in ROLE_PERMISSIONS[Role.service_level_manager]
    assert p.PROPOSE not in ROLE_PERMISSIONS[Role.product_owner]
    assert p.READ in ROLE_PERMISSIONS[Role.reporter] and p.READ in ROLE_PERMISSIONS[Role.auditor]


def test_propose_read_and_the_backlog_gets_it_at_the_end(client, reg) -> None:
    first = reg.propose()
    r = client.post(URL, headers=auth(reg.supplier), json=proposal(title="Second"))
    assert r.status_code == 201 and r.headers["Location"] == f"{URL}/{r.json()['id']}"
    second = r.json()
    assert second["status"] == "proposed" and second["kpi"] == "first-line-resolution"
    assert (first["rank"], second["rank"]) == (1, 2)
    got = reg.get(first)
    assert got.status_code == 200 and got.headers["ETag"] == '"1"'
    assert got.json()["effortDays"] == 3.5 and got.json()["changeIds"] == []
    assert [i["id"] for i in reg.order().json()["items"]] == [first["id"], second["id"]]


def test_a_create_is_replayed_for_the_same_idempotency_key(client, reg) -> None:
    headers = auth(reg.supplier, **{"Idempotency-Key": "imp-1"})
    a = client.post(URL, headers=headers, json=proposal())
    b = client.post(URL, headers=headers, json=proposal())
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] == b.json()["id"]
    assert client.post(URL, headers=headers, json=proposal(title="Other")).status_code == 422
    assert len(reg.order().json()["items"]) == 1


def test_every_invalid_field_is_named(client, reg) -> None:
    body = proposal(sourceKind="problem", kpi="happiness", effortDays=-1, title="")
    r = client.post(URL, headers=auth(reg.supplier), json=body)
    assert r.status_code == 400
    named = {x["name"] for x in r.json()["invalidParams"]}
    assert {"kpi", "effortDays", "title"} <= named
    # Once the shapes are right, the rules between fields are named together.
    body = proposal(sourceKind="problem", kpi=None, sourceMonth="2026-11")
    r = client.post(URL, headers=auth(reg.supplier), json=body)
    assert r.status_code == 400
    named = {x["name"] for x in r.json()["invalidParams"]}
    assert named == {"sourceId", "sourceMonth", "baseline", "target"}
    trend = proposal(sourceKind="sla-breach-trend")
    r = client.post(URL, headers=auth(reg.supplier), json=trend)
    assert [x["name"] for x in r.json()["invalidParams"]] == ["sourceMonth"]
    unknown = proposal(sourceKind="problem", sourceId=str(uuid.uuid4()))
    r = client.post(URL, headers=auth(reg.supplier), json=unknown)
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "sourceId"
    audit = proposal(sourceKind="audit-finding", sourceId=str(uuid.uuid4()))
    assert client.post(URL, headers=auth(reg.supplier), json=audit).status_code == 400


def test_user_feedback_names_a_ticket_of_the_tenant(client, reg, desk, other) -> None:
    mine, theirs = desk.report(), other.report()
    ok = proposal(sourceKind="user-feedback", sourceId=mine["id"])
    assert client.post(URL, headers=auth(reg.supplier), json=ok).status_code == 201
    foreign = proposal(sourceKind="user-feedback", sourceId=theirs["id"])
    r = client.post(URL, headers=auth(reg.supplier), json=foreign)
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "sourceId"


def test_the_life_cycle_and_its_refusals(reg) -> None:
    item = reg.propose()
    assert reg.to(item, "planned").status_code == 409  # not accepted yet
    assert reg.to(item, "accepted").status_code == 409  # decisions have their own action
    assert reg.decide(item).json()["status"] == "accepted"
    assert reg.to(item, "realised").status_code == 409
    for status in ("planned", "in-progress", "realised"):
        r = reg.to(item, status)
        assert r.status_code == 200 and r.json()["status"] == status, r.text
    assert reg.to(item, "evaluated").status_code == 409  # the evaluation does that
    assert reg.get(item).json()["rank"] is None  # realised: off the backlog
    assert reg.to(item, "in-progress").json()["rank"] == 1  # back to work, back on it
    assert reg.to(item, "withdrawn").json()["status"] == "withdrawn"
    assert reg.to(item, "planned").status_code == 409
    kinds = [e["kind"] for e in reg.client.get(
        f"{URL}/{item['id']}/history", headers=auth(reg.viewer)
    ).json()["items"]]  # fmt: skip
    assert kinds == ["created", "decision", *["status"] * 5]


def test_who_may_do_what(client, reg) -> None:
    item = reg.propose()
    r = client.post(URL, headers=auth(reg.owner), json=proposal())
    assert r.status_code == 403  # the product owner orders and decides, the supplier proposes
    assert reg.act(item, "transitions", {"status": "withdrawn"}, reg.viewer).status_code == 403
    assert reg.act(item, "transitions", {"status": "withdrawn"}, reg.owner).status_code == 403
    assert client.get(URL, headers=auth(make_token(reg.tenant, []))).status_code == 403


def test_updates_need_the_current_etag(client, reg) -> None:
    item = reg.propose()
    url = f"{URL}/{item['id']}"
    assert client.patch(url, headers=auth(reg.supplier), json={"owner": "X"}).status_code == 428
    stale = auth(reg.supplier, **{"If-Match": '"9"'})
    assert client.patch(url, headers=stale, json={"owner": "X"}).status_code == 412
    fresh = auth(reg.supplier, **{"If-Match": '"1"'})
    r = client.patch(url, headers=fresh, json={"owner": "Team B", "target": 80.0})
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    assert (r.json()["owner"], r.json()["target"]) == ("Team B", 80.0)
    again = auth(reg.supplier, **{"If-Match": '"2"'})
    r = client.patch(url, headers=again, json={"kpi": None, "title": None})
    assert r.status_code == 400
    assert {x["name"] for x in r.json()["invalidParams"]} == {"title", "baseline", "target"}


def test_progress_notes(client, reg) -> None:
    item = reg.propose()
    url = f"{URL}/{item['id']}/notes"
    r = client.post(url, headers=auth(reg.supplier), json={"text": "Script drafted"})
    assert r.status_code == 201 and r.json()["kind"] == "note"
    assert client.post(url, headers=auth(reg.viewer), json={"text": "Hi"}).status_code == 403
    notes = client.get(url, headers=auth(reg.viewer)).json()["items"]
    assert [n["text"] for n in notes] == ["Script drafted"]
    reg.to(item, "withdrawn")
    assert client.post(url, headers=auth(reg.supplier), json={"text": "Late"}).status_code == 409


def test_lists_page_and_filter(client, reg) -> None:
    made = [reg.propose(title=f"Item {n}") for n in range(3)]
    reg.decide(made[0], "rejected")
    page = client.get(URL, params={"limit": 2, "sort": "createdAt"}, headers=auth(reg.viewer))
    body = page.json()
    assert [i["id"] for i in body["items"]] == [made[0]["id"], made[1]["id"]]
    rest = client.get(
        URL, params={"limit": 2, "sort": "createdAt", "cursor": body["nextCursor"]},
        headers=auth(reg.viewer),
    ).json()  # fmt: skip
    assert [i["id"] for i in rest["items"]] == [made[2]["id"]] and rest["nextCursor"] is None
    proposed = client.get(URL, params={"status": "proposed"}, headers=auth(reg.viewer)).json()
    assert {i["id"] for i in proposed["items"]} == {made[1]["id"], made[2]["id"]}
    by_kpi = client.get(URL, params={"kpi": "availability"}, headers=auth(reg.viewer)).json()
    assert by_kpi["items"] == []
    assert client.get(URL, params={"kpi": "mood"}, headers=auth(reg.viewer)).status_code == 400


def test_every_write_is_in_the_audit_log(reg) -> None:
    item = reg.propose()
    reg.decide(item)
    audited = records(reg.tenant.id, "services_improvement_item")
    assert [e["action"] for e in audited] == ["create", "update"]
    assert audited[1]["changes"]["status"] == {"before": "proposed", "after": "accepted"}
    assert "Answer password" not in str(audited)  # free text only as digests
    assert len(records(reg.tenant.id, "services_improvement_event")) == 2
    assert records(reg.tenant.id, "services_improvement_backlog")


def test_another_tenant_gets_404_everywhere_and_learns_nothing(client, reg, stranger) -> None:
    item = reg.propose()
    url = f"{URL}/{item['id']}"
    for token in (stranger.viewer, stranger.supplier):
        assert client.get(url, headers=auth(token)).status_code == 404
        assert client.get(f"{url}/history", headers=auth(token)).status_code == 404
        assert client.get(f"{url}/notes", headers=auth(token)).status_code == 404
        assert client.get(f"{url}/evaluation", headers=auth(token)).status_code == 404
    tag = auth(stranger.supplier, **{"If-Match": '"1"'})
    owner = auth(stranger.owner, **{"If-Match": '"1"'})
    assert client.patch(url, headers=tag, json={"owner": "Me"}).status_code == 404
    assert (
        client.post(f"{url}/transitions", headers=tag, json={"status": "withdrawn"}).status_code
        == 404
    )
    decision = {"decision": "rejected", "reason": "No"}
    assert client.post(f"{url}/decisions", headers=owner, json=decision).status_code == 404
    assert client.post(f"{url}/notes", headers=tag, json={"text": "x"}).status_code == 404
    assert (
        client.post(f"{url}/moves", headers=owner, json={"before": item["id"]}).status_code == 404
    )
    period = {"before": "2026-10", "after": "2026-11"}
    assert client.post(f"{url}/evaluation", headers=owner, json=period).status_code == 404
    for path in ("", "/order", "/review?since=2000-01-01"):
        r = client.get(URL + path, headers=auth(stranger.viewer))
        assert r.status_code == 200 and item["id"] not in r.text
    assert reg.get(item).json()["version"] == 1


@pytest.mark.postgres
def test_the_database_keeps_the_register_to_its_tenant(reg, stranger) -> None:
    reg.propose()
    tables = ("item", "event", "backlog")
    with unit_of_work(stranger.tenant.id) as session:
        counts = [
            session.execute(text(f"SELECT count(*) FROM services_improvement_{t}")).scalar()
            for t in tables
        ]
    assert counts == [0, 0, 0]
    with unit_of_work(reg.tenant.id) as session:
        mine = session.execute(text("SELECT count(*) FROM services_improvement_item")).scalar()
    assert mine == 1
