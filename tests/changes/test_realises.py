"""A change names the improvement it realises: the item then lists the change, once, and
neither side's ids reach across tenants."""

from __future__ import annotations

import uuid

from changes import permissions as changes
from tests.audit.helpers import records
from tests.changes.helpers import URL, Desk
from tests.factories import auth, make_tenant, make_token
from tests.services.improvements import Register

LINKER = [changes.READ, changes.WRITE]


def _realise(desk: Desk, change: dict, item_id: str, token: str) -> object:
    return desk.client.post(
        f"{URL}/{change['id']}/realises", headers=auth(token), json={"improvementId": item_id}
    )


def test_a_change_realises_an_improvement_once(client) -> None:
    desk = Desk(client, make_tenant())
    reg = Register(client, desk.tenant)
    item, change = reg.propose(), desk.create()
    linker = make_token(desk.tenant, LINKER)
    for _ in range(2):
        r = _realise(desk, change, item["id"], linker)
        assert r.status_code == 200, r.text
        assert r.json()["changeIds"] == [change["id"]]
    assert reg.get(item).json()["changeIds"] == [change["id"]]
    history = client.get(f"/api/v1/improvements/{item['id']}/history", headers=auth(reg.viewer))
    assert [e["kind"] for e in history.json()["items"]].count("change-linked") == 1
    assert len(records(desk.tenant.id, "services_improvement_change")) == 1


def test_only_who_runs_changes_links_them(client) -> None:
    desk = Desk(client, make_tenant())
    reg = Register(client, desk.tenant)
    item, change = reg.propose(), desk.create()
    r = _realise(desk, change, item["id"], desk.reader)
    assert r.status_code == 403
    assert reg.get(item).json()["changeIds"] == []


def test_a_closed_or_unknown_improvement_is_refused(client) -> None:
    desk = Desk(client, make_tenant())
    reg = Register(client, desk.tenant)
    change, linker = desk.create(), make_token(desk.tenant, LINKER)
    unknown = _realise(desk, change, str(uuid.uuid4()), linker)
    assert unknown.status_code == 400
    assert unknown.json()["invalidParams"][0]["name"] == "improvementId"
    withdrawn = reg.propose()
    assert reg.to(withdrawn, "withdrawn").status_code == 200
    closed = _realise(desk, change, withdrawn["id"], linker)
    assert closed.status_code == 409 and reg.get(withdrawn).json()["changeIds"] == []
    bad = client.post(f"{URL}/{change['id']}/realises", headers=auth(linker), json={})
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "improvementId"


def test_another_tenants_change_or_improvement_is_not_linked(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    reg, theirs = Register(client, desk.tenant), Register(client, other.tenant)
    mine, their_item = reg.propose(), theirs.propose()
    my_change, their_change = desk.create(), other.create()
    linker = make_token(desk.tenant, LINKER)
    r = _realise(desk, their_change, mine["id"], linker)
    assert r.status_code == 404 and their_change["number"] not in r.text
    r = _realise(desk, my_change, their_item["id"], linker)
    assert r.status_code == 400 and their_item["title"] not in r.text
    assert theirs.get(their_item).json()["changeIds"] == []
    assert reg.get(mine).json()["changeIds"] == []
