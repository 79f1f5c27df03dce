"""Impact analysis over a graph with a cycle: the same CIs, depths and paths on SQLite and
PostgreSQL (the suite runs on both), the depth limit, and what it touches above the CMDB."""

from __future__ import annotations

from typing import Any

import pytest

from cmdb import permissions as cp
from services.catalogue import permissions as catalogue
from tests.cmdb.helpers import DATABASE, SERVER, Cmdb, builtin_id
from tests.factories import auth, make_token
from tests.tickets.helpers import incident
from tickets import permissions as tp
from tickets.problems import permissions as pp

NETWORK, COMPONENT = builtin_id("network"), builtin_id("component")
# source rests on target; net -> portal closes the cycle portal, api, web, net.
EDGES = [
    ("portal", "depends-on", "api"),
    ("api", "runs-on", "web"),
    ("api", "depends-on", "db"),
    ("db", "runs-on", "dbhost"),
    ("web", "connects-to", "net"),
    ("dbhost", "connects-to", "net"),
    ("net", "depends-on", "portal"),
]


@pytest.fixture
def graph(cmdb: Cmdb) -> dict[str, dict[str, Any]]:
    classes = {"api": COMPONENT, "web": SERVER, "db": DATABASE, "dbhost": SERVER, "net": NETWORK}
    cis = {
        name: cmdb.ci(name, classes.get(name, builtin_id("application")))
        for name in ["portal", "api", "web", "db", "dbhost", "net"]
    }
    for source, type_, target in EDGES:
        assert cmdb.relate(cis[source], type_, cis[target]).status_code == 201
    return cis


def impact(cmdb: Cmdb, ci: dict[str, Any], token: str | None = None, **params: Any) -> Any:
    r = cmdb.get(f"/api/v1/cis/{ci['id']}/impact", token, **params)
    assert r.status_code == 200, r.text
    return r.json()


def shape(answer: dict[str, Any], cis: dict[str, dict[str, Any]]) -> dict[str, Any]:
    by_id = {c["id"]: n for n, c in cis.items()}
    return {
        by_id[a["id"]]: (a["depth"], [by_id[i] for i in a["path"]], a["via"]) for a in answer["cis"]
    }


def test_upwards_a_failure_reaches_whatever_rests_on_the_ci_through_the_cycle(cmdb, graph) -> None:
    answer = impact(cmdb, graph["net"])
    assert answer["direction"] == "up" and answer["depth"] == 5 and answer["truncated"] is False
    assert shape(answer, graph) == {
        "web": (1, ["net", "web"], "connects-to"),
        "dbhost": (1, ["net", "dbhost"], "connects-to"),
        "api": (2, ["net", "web", "api"], "runs-on"),
        "db": (2, ["net", "dbhost", "db"], "runs-on"),
        "portal": (3, ["net", "web", "api", "portal"], "depends-on"),
    }
    assert [a["depth"] for a in answer["cis"]] == sorted(a["depth"] for a in answer["cis"])


def test_downwards_it_follows_what_the_ci_rests_on_and_never_lists_itself(cmdb, graph) -> None:
    answer = impact(cmdb, graph["portal"], direction="down", depth=10)
    assert shape(answer, graph) == {
        "api": (1, ["portal", "api"], "depends-on"),
        "web": (2, ["portal", "api", "web"], "runs-on"),
        "db": (2, ["portal", "api", "db"], "depends-on"),
        "net": (3, ["portal", "api", "web", "net"], "connects-to"),
        "dbhost": (3, ["portal", "api", "db", "dbhost"], "runs-on"),
    }


def test_depth_limits_the_answer(cmdb, graph) -> None:
    assert set(shape(impact(cmdb, graph["net"], depth=1), graph)) == {"web", "dbhost"}
    assert set(shape(impact(cmdb, graph["net"], depth=2), graph)) == {"web", "dbhost", "api", "db"}
    for bad in (0, 11):
        r = cmdb.get(f"/api/v1/cis/{graph['net']['id']}/impact", depth=bad)
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "depth"


def test_a_removed_relation_no_longer_carries_impact(cmdb, graph) -> None:
    relation = next(
        e
        for e in cmdb.get(f"/api/v1/cis/{graph['web']['id']}").json()["relations"]
        if e["ciId"] == graph["api"]["id"]
    )
    r = cmdb.client.delete(f"/api/v1/ci-relations/{relation['id']}", headers=auth(cmdb.writer))
    assert r.status_code == 204
    assert shape(impact(cmdb, graph["net"]), graph)["api"] == (
        3,
        ["net", "dbhost", "db", "api"],
        "depends-on",
    )


def test_services_and_open_incidents_and_problems_on_affected_cis_are_named(cmdb, graph) -> None:
    client, tenant = cmdb.client, cmdb.tenant
    staff = make_token(
        tenant,
        [cp.READ, catalogue.READ, catalogue.WRITE, tp.REPORT, tp.READ, tp.WORK, pp.READ, pp.MANAGE],
    )
    service = client.post(
        "/api/v1/services",
        headers=auth(staff),
        json={
            "code": "PORTAL",
            "name": "Portal",
            "domain": "D",
            "subdomain": 1,
            "ciId": graph["api"]["id"],
        },
    )
    assert service.status_code == 201, service.text
    ticket = client.post(
        "/api/v1/tickets", headers=auth(staff), json=incident(ciId=graph["web"]["id"])
    )
    assert ticket.status_code == 201, ticket.text
    client.post(
        "/api/v1/tickets",
        headers=auth(staff),
        json=incident(ciId=graph["portal"]["id"], type="question"),
    )
    problem = client.post(
        "/api/v1/problems",
        headers=auth(staff),
        json={"title": "Slow disks", "description": "Latency", "ciId": graph["dbhost"]["id"]},
    )
    assert problem.status_code == 201, problem.text

    answer = impact(cmdb, graph["net"], staff)
    assert [(s["code"], s["ciId"]) for s in answer["services"]] == [("PORTAL", graph["api"]["id"])]
    assert [t["id"] for t in answer["incidents"]] == [ticket.json()["id"]]  # not the question
    assert [p["id"] for p in answer["problems"]] == [problem.json()["id"]]
    narrow = impact(cmdb, graph["web"], staff, depth=1)  # web itself, and api resting on it
    assert [t["id"] for t in narrow["incidents"]] == [ticket.json()["id"]]
    assert narrow["problems"] == [] and len(narrow["services"]) == 1
    reader_only = impact(cmdb, graph["net"], cmdb.reader)
    assert (reader_only["services"], reader_only["incidents"], reader_only["problems"]) == (
        None,
        None,
        None,
    )
    assert len(reader_only["cis"]) == 5


def test_impact_of_another_tenants_ci_is_not_found(cmdb, theirs, graph) -> None:
    r = theirs.get(f"/api/v1/cis/{graph['net']['id']}/impact")
    assert r.status_code == 404 and "net" not in r.text
    no_cmdb = make_token(cmdb.tenant, [tp.READ])
    assert cmdb.get(f"/api/v1/cis/{graph['net']['id']}/impact", no_cmdb).status_code == 403
