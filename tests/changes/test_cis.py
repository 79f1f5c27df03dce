"""A change names the configuration items it affects: only the tenant's own; two changes in
overlapping windows on the same CI or on CIs that rest on one another conflict; the impact
counts the CIs and what their failure reaches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.changes.helpers import URL, Desk, window
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_tenant

CALENDAR = "/api/v1/change-calendar"


def _reasons(r: Any) -> dict[str, str]:
    assert r.status_code == 400, r.text
    return {p["name"]: p["reason"] for p in r.json()["invalidParams"]}


def test_a_change_names_only_its_own_tenants_cis(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    mine = Cmdb(client, desk.tenant).ci("Case system")
    theirs = Cmdb(client, other.tenant).ci("Their portal")
    body = desk.change_body(ciIds=[mine["id"], theirs["id"], str(uuid.uuid4())])
    r = client.post(URL, headers=auth(desk.writer), json=body)
    # another tenant's CI and one that never existed get the same answer
    assert _reasons(r) == {
        "ciIds.1": "unknown configuration item",
        "ciIds.2": "unknown configuration item",
    }
    change = desk.create(ciIds=[mine["id"]])
    assert change["ciIds"] == [mine["id"]]
    tag = {"If-Match": f'"{change["version"]}"'}
    path = f"{URL}/{change['id']}"
    r = client.patch(path, headers=auth(desk.writer, **tag), json={"ciIds": [theirs["id"]]})
    assert _reasons(r) == {"ciIds.0": "unknown configuration item"}
    r = client.patch(path, headers=auth(desk.writer, **tag), json={"ciIds": None})
    assert _reasons(r) == {"ciIds": "may not be null"}
    r = client.patch(path, headers=auth(desk.writer, **tag), json={"ciIds": []})
    assert r.status_code == 200, r.text
    assert desk.get(change)["ciIds"] == []
    too_many = desk.change_body(ciIds=[mine["id"]] * 51)
    assert client.post(URL, headers=auth(desk.writer), json=too_many).status_code == 400


def _ci_conflicts(change: dict[str, Any]) -> dict[str, list[str]]:
    return {c["number"]: c["ciIds"] for c in change["conflicts"] if c["kind"] == "ci"}


def test_changes_on_the_same_ci_or_on_cis_resting_on_one_another_conflict(client) -> None:
    desk = Desk(client, make_tenant())
    cmdb = Cmdb(client, desk.tenant)
    host, app, portal, edge, lone, twin = (
        cmdb.ci(name) for name in ["host", "app", "portal", "edge", "lone", "twin"]
    )
    # portal rests on app, app on host, edge on portal: edge is three steps above host;
    # twin rests on host beside app
    related = {}
    for source, type_, target in [
        (app, "runs-on", host),
        (portal, "depends-on", app),
        (edge, "depends-on", portal),
        (twin, "runs-on", host),
    ]:
        r = cmdb.relate(source, type_, target)
        assert r.status_code == 201, r.text
        related[source["name"]] = r.json()
    times = window(days=3, hours=2)

    def submitted(ci: dict[str, Any], services: list[str], **extra: Any) -> dict[str, Any]:
        change = desk.create(ciIds=[ci["id"]], serviceIds=services, **extra)
        return desk.move(change, "submitted")

    first = submitted(host, desk.services[:1], **times)
    others = desk.services[1:]  # no service in common with the first
    same = submitted(host, others, **times)
    above = submitted(app, others, **times)
    two_up = submitted(portal, others, **times)
    far = submitted(edge, others, **times)
    unrelated = submitted(lone, others, **times)
    beside = submitted(twin, others, **times)
    later = submitted(host, others, **window(days=5, hours=2))
    expected = {
        same["number"]: [host["id"]],
        above["number"]: sorted([host["id"], app["id"]]),
        two_up["number"]: sorted([host["id"], portal["id"]]),
        beside["number"]: sorted([host["id"], twin["id"]]),
    }
    got = desk.get(first)
    assert _ci_conflicts(got) == expected
    assert {c["kind"] for c in got["conflicts"]} == {"ci"}
    assert far["number"] not in _ci_conflicts(got) and unrelated["number"] not in expected
    assert later["number"] not in _ci_conflicts(got)
    # the other way round: the dependent change is warned of the first too
    assert _ci_conflicts(desk.get(above))[first["number"]] == sorted([host["id"], app["id"]])
    assert _ci_conflicts(desk.get(unrelated)) == {}
    # two CIs that rest on the same one do not tie their changes together
    assert beside["number"] not in _ci_conflicts(desk.get(above))
    now = datetime.now(UTC)
    period = {"from": now.isoformat(), "to": (now + timedelta(days=10)).isoformat()}
    r = client.get(CALENDAR, params=period, headers=auth(desk.reader))
    assert r.status_code == 200, r.text
    items = {i["number"]: i for i in r.json()["items"]}
    assert items[first["number"]]["ciIds"] == [host["id"]]
    assert _ci_conflicts(items[first["number"]]) == expected
    # a removed relation ties nothing: portal no longer rests on app, so not on host
    gone = client.delete(
        f"/api/v1/ci-relations/{related['portal']['id']}", headers=auth(cmdb.writer)
    )
    assert gone.status_code == 204
    assert two_up["number"] not in _ci_conflicts(desk.get(first))
    r = client.get(CALENDAR, params=period, headers=auth(desk.reader))
    items = {i["number"]: i for i in r.json()["items"]}
    assert two_up["number"] not in _ci_conflicts(items[first["number"]])


def test_the_impact_counts_the_cis_and_what_rests_on_them(client) -> None:
    desk = Desk(client, make_tenant())
    cmdb = Cmdb(client, desk.tenant)
    host, app, portal, storage = (cmdb.ci(n) for n in ["host", "app", "portal", "storage"])
    for source, type_, target in [
        (app, "runs-on", host),
        (portal, "depends-on", app),
        (host, "depends-on", storage),  # what the host rests on is not reached by its failure
    ]:
        assert cmdb.relate(source, type_, target).status_code == 201
    change = desk.move(desk.create(ciIds=[host["id"]]), "submitted")
    assert change["impact"] == {
        "services": 1,
        "tenants": 1,
        "openIncidents": 0,
        "cis": 1,
        "reachedCis": 2,
    }
    both = desk.move(desk.create(ciIds=[host["id"], app["id"]]), "submitted")
    assert both["impact"]["cis"] == 2 and both["impact"]["reachedCis"] == 1  # the portal
