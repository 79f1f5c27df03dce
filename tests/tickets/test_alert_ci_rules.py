"""Alert CI rules: an alert's labels name the CI its incident concerns (the most specific
rule wins), the alert's history row names the rule, a person's choice of CI is kept, and
the rules are the tenant's own: checked CI, If-Match, Idempotency-Key, audit."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import select

from audit.models import AuditEntry
from core.db import unit_of_work
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_token
from tests.tickets.test_alerts import Monitoring, am_alert, folds
from tickets.alerts import permissions as ap

URL = "/api/v1/alert-ci-rules"


def add_rule(mon: Monitoring, ci: dict[str, Any], **match: str) -> dict[str, Any]:
    body = {"name": f"{ci['name']} by {sorted(match)}", "match": match, "ciId": ci["id"]}
    r = mon.client.post(URL, headers=auth(mon.manager), json=body)
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == '"1"' and r.headers["Location"] == f"{URL}/{r.json()['id']}"
    return r.json()


def alert_rows(mon: Monitoring, number: str) -> list[dict[str, Any]]:
    return [e["data"] for e in mon.desk.history(mon.ticket(number)) if e["kind"] == "alert"]


def test_the_most_specific_matching_rule_gives_the_incident_its_ci(desk) -> None:
    mon, cmdb = Monitoring(desk), Cmdb(desk.client, desk.tenant)
    db, app, case = cmdb.ci("zaak-db-01"), cmdb.ci("zaak-app"), cmdb.ci("Zaaksysteem")
    by_host = add_rule(mon, db, host="zaak-db-01")
    by_env = add_rule(mon, app, service="zaaksysteem", env="prod")
    by_service = add_rule(mon, case, service="zaaksysteem")
    answer = mon.post(
        am_alert("a-both", host="zaak-db-01", service="zaaksysteem", env="prod"),
        am_alert("b-test", service="zaaksysteem", env="test"),
        am_alert("c-host", host="zaak-db-01"),
        am_alert("d-none", host="other"),
    )
    both, test, host, none = answer["created"]  # applied in fingerprint order
    got = {n: mon.ticket(n)["ciId"] for n in (both, test, host, none)}
    assert got == {both: app["id"], test: case["id"], host: db["id"], none: None}
    assert alert_rows(mon, both)[0]["ciRuleId"] == by_env["id"]
    assert alert_rows(mon, both)[0]["ciId"] == app["id"]
    assert alert_rows(mon, test)[0]["ciRuleId"] == by_service["id"]
    assert alert_rows(mon, host)[0]["ciRuleId"] == by_host["id"]
    assert "ciRuleId" not in alert_rows(mon, none)[0]
    recorded = {f.fingerprint: f.ci_rule_id for f in folds(desk.tenant)}
    assert recorded == {
        "a-both": uuid.UUID(by_env["id"]),
        "b-test": uuid.UUID(by_service["id"]),
        "c-host": uuid.UUID(by_host["id"]),
        "d-none": None,
    }
    listed = desk.client.get(URL, headers=auth(mon.manager)).json()["items"]
    assert [r["id"] for r in listed] == [by_env["id"], by_host["id"], by_service["id"]]
    # Equally specific rules: the oldest wins, whatever the order of the labels.
    [tie] = mon.post(am_alert("tie", service="zaaksysteem", host="zaak-db-01"))["created"]
    assert mon.ticket(tie)["ciId"] == db["id"]


def test_updating_alerts_give_the_incident_the_ci_but_keep_a_persons_choice(desk) -> None:
    mon, cmdb = Monitoring(desk), Cmdb(desk.client, desk.tenant)
    db, chosen = cmdb.ci("zaak-db-01"), cmdb.ci("Chosen by a person")
    [number] = mon.post(am_alert("u1", host="zaak-db-01"))["created"]
    assert mon.ticket(number)["ciId"] is None  # no rule yet
    rule = add_rule(mon, db, host="zaak-db-01")
    assert mon.post(am_alert("u1", host="zaak-db-01"))["folded"] == [number]
    assert mon.ticket(number)["ciId"] == db["id"]
    assert [row.get("ciRuleId") for row in alert_rows(mon, number)] == [None, rule["id"]]
    # The rule now names another CI: the incident follows, since the alerts gave its CI.
    moved = cmdb.ci("zaak-db-02")
    r = desk.client.patch(
        f"{URL}/{rule['id']}",
        headers=auth(mon.manager, **{"If-Match": '"1"'}),
        json={"ciId": moved["id"]},
    )
    assert r.status_code == 200 and r.headers["ETag"] == '"2"', r.text
    mon.post(am_alert("u1", host="zaak-db-01"))
    ticket = mon.ticket(number)
    assert ticket["ciId"] == moved["id"]
    # An agent names the CI: later alerts record the rule but leave the agent's choice.
    r = desk.client.patch(
        f"/api/v1/tickets/{ticket['id']}",
        headers=auth(desk.agent, **{"If-Match": f'"{ticket["version"]}"'}),
        json={"ciId": chosen["id"]},
    )
    assert r.status_code == 200, r.text
    mon.post(am_alert("u1", host="zaak-db-01"))
    assert mon.ticket(number)["ciId"] == chosen["id"]
    assert alert_rows(mon, number)[-1]["ciRuleId"] == rule["id"]


def test_bad_rules_are_refused_naming_each_field(desk, other) -> None:
    mon, cmdb = Monitoring(desk), Cmdb(desk.client, desk.tenant)
    theirs = Cmdb(desk.client, other.tenant).ci("Their server")
    post = desk.client.post
    r = post(URL, headers=auth(mon.manager), json={"name": "", "match": {}, "ciId": "x"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert {p["name"] for p in r.json()["invalidParams"]} == {"name", "match", "ciId"}
    bad_label = {"name": "R", "match": {"bad label": "x", "ok": ""}, "ciId": theirs["id"]}
    r = post(URL, headers=auth(mon.manager), json=bad_label)
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"match.ok", "match.bad label.[key]"}
    # Another tenant's CI and one that does not exist get the same answer.
    for ci_id in (theirs["id"], str(uuid.uuid4())):
        body = {"name": "R", "match": {"host": "a"}, "ciId": ci_id}
        r = post(URL, headers=auth(mon.manager), json=body)
        assert r.status_code == 400 and "Their server" not in r.text
        assert r.json()["invalidParams"] == [
            {"name": "ciId", "pointer": "/ciId", "reason": "unknown configuration item"}
        ]
    db = cmdb.ci("db")
    rule = add_rule(mon, db, host="a", env="prod")
    same = {"name": "Same labels", "match": {"env": "prod", "host": "a"}, "ciId": db["id"]}
    assert post(URL, headers=auth(mon.manager), json=same).status_code == 409
    path, tag = f"{URL}/{rule['id']}", {"If-Match": '"1"'}
    patch = desk.client.patch
    assert patch(path, headers=auth(mon.manager), json={"name": "N"}).status_code == 428
    r = patch(path, headers=auth(mon.manager, **tag), json={"name": None, "ciId": None})
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"name", "ciId"}
    r = patch(path, headers=auth(mon.manager, **tag), json={"ciId": theirs["id"]})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "ciId"
    other_rule = add_rule(mon, db, host="b")
    r = patch(
        f"{URL}/{other_rule['id']}", headers=auth(mon.manager, **tag), json={"match": same["match"]}
    )
    assert r.status_code == 409
    assert desk.client.get(path, headers=auth(mon.manager)).json()["version"] == 1
    stale = desk.client.delete(path, headers=auth(mon.manager, **{"If-Match": '"7"'}))
    assert stale.status_code == 412
    assert desk.client.delete(path, headers=auth(mon.manager, **tag)).status_code == 204
    assert desk.client.get(path, headers=auth(mon.manager)).status_code == 404


def test_a_repeated_create_with_one_idempotency_key_makes_one_rule_and_is_audited(desk) -> None:
    mon, cmdb = Monitoring(desk), Cmdb(desk.client, desk.tenant)
    db = cmdb.ci("db")
    body = {"name": "Database", "match": {"host": "db"}, "ciId": db["id"]}
    headers = auth(mon.manager, **{"Idempotency-Key": "ci-rule-1"})
    first = desk.client.post(URL, headers=headers, json=body)
    again = desk.client.post(URL, headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert len(desk.client.get(URL, headers=auth(mon.manager)).json()["items"]) == 1
    rule_id = first.json()["id"]
    r = desk.client.patch(
        f"{URL}/{rule_id}", headers=auth(mon.manager, **{"If-Match": '"1"'}), json={"name": "DB"}
    )
    assert r.status_code == 200 and r.json()["name"] == "DB"
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity_id == rule_id))
        actions = sorted((e.entity_type, e.action) for e in entries)
    assert actions == [("tickets_alert_ci_rule", "create"), ("tickets_alert_ci_rule", "update")]


def test_another_tenant_neither_sees_nor_touches_rules_nor_gets_their_ci(desk, other) -> None:
    mon, theirs = Monitoring(desk), Monitoring(other)
    db = Cmdb(desk.client, desk.tenant).ci("zaak-db-01")
    rule = add_rule(mon, db, host="zaak-db-01")
    path, tag = f"{URL}/{rule['id']}", {"If-Match": '"1"'}
    client = desk.client
    r = client.get(path, headers=auth(theirs.manager))
    assert r.status_code == 404 and "zaak-db-01" not in r.text
    r = client.patch(path, headers=auth(theirs.manager, **tag), json={"name": "Mine now"})
    assert r.status_code == 404
    assert client.delete(path, headers=auth(theirs.manager, **tag)).status_code == 404
    assert client.get(URL, headers=auth(theirs.manager)).json()["items"] == []
    # Their monitoring with the same labels: their incident gets no CI of ours.
    [number] = theirs.post(am_alert("x", host="zaak-db-01"))["created"]
    assert theirs.ticket(number)["ciId"] is None
    assert client.get(path, headers=auth(mon.manager)).json()["name"] == rule["name"]
    # Managing alert rules takes alerts:manage: an agent or the monitoring key may not.
    for token in (desk.agent, mon.key, make_token(desk.tenant, [ap.INGEST])):
        assert client.get(URL, headers=auth(token)).status_code == 403
        body = {"name": "R", "match": {"a": "b"}, "ciId": db["id"]}
        assert client.post(URL, headers=auth(token), json=body).status_code == 403
