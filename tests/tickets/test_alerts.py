"""Alert intake: alerts fold into one open incident per fingerprint, resolved alerts annotate
or resolve per tenant setting, label rules route, and a bad payload changes nothing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from core.db import unit_of_work
from tests.factories import auth, make_token
from tickets import permissions as tp
from tickets.alerts import permissions as ap
from tickets.alerts.models import AlertFold

AM = "/api/v1/alerts/alertmanager"
STARTED = (datetime.now(UTC) - timedelta(minutes=10)).isoformat()


def am_alert(fingerprint: str, status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": "DiskFull", "instance": "app-01", **labels},
        "annotations": {"summary": "Disk almost full on app-01", "description": "5 % left"},
        "startsAt": STARTED,
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph?g0.expr=disk",
        "fingerprint": fingerprint,
    }


def am_payload(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
        "status": alerts[0]["status"],
        "receiver": "regie",
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": list(alerts),
    }


class Monitoring:
    """A tenant's monitoring (a service-account key) and its supplier admin."""

    def __init__(self, desk: Any) -> None:
        self.desk, self.client = desk, desk.client
        self.key = make_token(desk.tenant, [ap.INGEST])
        self.manager = make_token(desk.tenant, [ap.MANAGE, tp.CONFIGURE, tp.READ])

    def post(self, *alerts: dict[str, Any]) -> dict[str, Any]:
        r = self.client.post(AM, headers=auth(self.key), json=am_payload(*alerts))
        assert r.status_code == 200, r.text
        return r.json()

    def tickets(self) -> list[dict[str, Any]]:
        r = self.client.get("/api/v1/tickets", headers=auth(self.desk.agent))
        assert r.status_code == 200, r.text
        return r.json()["items"]

    def ticket(self, number: str) -> dict[str, Any]:
        """The full ticket (lists give summaries)."""
        return self.desk.get(next(t for t in self.tickets() if t["number"] == number))

    def on_resolved(self, mode: str) -> None:
        version = self.client.get("/api/v1/alert-settings", headers=auth(self.manager))
        r = self.client.patch(
            "/api/v1/alert-settings",
            headers=auth(self.manager, **{"If-Match": version.headers["ETag"]}),
            json={"onResolved": mode},
        )
        assert r.status_code == 200 and r.json()["onResolved"] == mode, r.text


def folds(tenant: Any) -> list[AlertFold]:
    with unit_of_work(tenant.id) as session:
        return list(session.exec(select(AlertFold)))


def test_the_same_fingerprint_folds_into_one_incident(desk) -> None:
    mon = Monitoring(desk)
    first = mon.post(am_alert("a1b2c3"))
    again = mon.post(am_alert("a1b2c3"))
    assert len(first["created"]) == 1 and again["folded"] == first["created"]
    [summary] = mon.tickets()
    ticket = desk.get(summary)  # lists show a summary; the full ticket has the report
    assert ticket["type"] == "incident" and ticket["title"] == "Disk almost full on app-01"
    assert ticket["precedingActions"] == "Raised by monitoring (alertmanager)"
    alerts = [e for e in desk.history(ticket) if e["kind"] == "alert"]
    assert [e["data"]["occurrences"] for e in alerts] == [1, 2]
    [fold] = folds(desk.tenant)
    assert fold.occurrences == 2 and fold.is_open


def test_different_fingerprints_open_different_incidents(desk) -> None:
    mon = Monitoring(desk)
    answer = mon.post(am_alert("aaaa"), am_alert("bbbb", instance="app-02"))
    assert len(answer["created"]) == 2 and answer["folded"] == []
    assert len(mon.tickets()) == 2


def test_a_resolved_alert_annotates_by_default(desk) -> None:
    mon = Monitoring(desk)
    [number] = mon.post(am_alert("f1"))["created"]
    answer = mon.post(am_alert("f1", status="resolved"))
    assert answer["annotated"] == [number] and answer["resolved"] == []
    ticket = mon.ticket(number)
    assert ticket["status"] == "new"
    assert [e["toValue"] for e in desk.history(ticket) if e["kind"] == "alert"] == [
        "firing",
        "resolved",
    ]
    # Still open: firing again folds into the same incident.
    assert mon.post(am_alert("f1"))["folded"] == [number]


def test_a_resolved_alert_resolves_when_the_tenant_says_so(desk) -> None:
    mon = Monitoring(desk)
    mon.on_resolved("resolve")
    [number] = mon.post(am_alert("f2"))["created"]
    assert mon.post(am_alert("f2", status="resolved"))["resolved"] == [number]
    ticket = mon.ticket(number)
    assert ticket["status"] == "resolved" and "monitoring" in ticket["resolution"]
    # A new firing after the resolution is a new incident.
    [second] = mon.post(am_alert("f2"))["created"]
    assert second != number and len(mon.tickets()) == 2


def test_firing_after_an_agent_closed_the_incident_opens_a_new_one(desk) -> None:
    mon = Monitoring(desk)
    [number] = mon.post(am_alert("f3"))["created"]
    ticket = mon.ticket(number)
    desk.act(ticket, "transitions", {"status": "in-progress"})
    r = desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Disk cleaned"})
    assert r.status_code == 200
    [second] = mon.post(am_alert("f3"))["created"]
    assert second != number
    assert sorted(f.is_open for f in folds(desk.tenant) if f.is_open) == [True]


def test_a_resolved_alert_without_incident_is_ignored(desk) -> None:
    mon = Monitoring(desk)
    answer = mon.post(am_alert("nothing", status="resolved"))
    assert answer["ignored"] == ["nothing"] and mon.tickets() == []


def test_a_label_rule_sets_priority_group_and_service(desk) -> None:
    mon = Monitoring(desk)
    group = desk.group("Platform", "2")
    rule = {
        "name": "Critical platform",
        "match": {"severity": "critical"},
        "matchRegex": {"instance": "app-0[0-9]"},
        "priority": "urgent",
        "groupId": group["id"],
    }
    r = desk.client.post("/api/v1/alert-rules", headers=auth(mon.manager), json=rule)
    assert r.status_code == 201, r.text
    answer = mon.post(am_alert("r1", severity="critical"), am_alert("r2", severity="info"))
    urgent, plain = (mon.ticket(n) for n in answer["created"])
    assert urgent["priority"] == "urgent" and urgent["groupId"] == group["id"]
    assert urgent["status"] == "assigned" and urgent["line"] == "2"
    assert plain["priority"] == "medium" and plain["groupId"] is None


def test_a_malformed_alert_refuses_the_whole_payload(desk) -> None:
    mon = Monitoring(desk)
    bad = {**am_alert("bad"), "startsAt": "yesterday", "status": "burning"}
    r = desk.client.post(AM, headers=auth(mon.key), json=am_payload(am_alert("good"), bad))
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    names = {p["name"] for p in r.json()["invalidParams"]}
    assert names == {"alerts.1.startsAt", "alerts.1.status"}
    assert mon.tickets() == [] and folds(desk.tenant) == []


def test_alertmanager_fields_regie_does_not_read_are_accepted(desk) -> None:
    mon = Monitoring(desk)
    extra = {**am_alert("x1"), "silencedBy": [], "newField": 1}
    r = desk.client.post(AM, headers=auth(mon.key), json={**am_payload(extra), "other": True})
    assert r.status_code == 200 and len(r.json()["created"]) == 1


def test_the_generic_event_folds_on_its_derived_fingerprint(desk) -> None:
    mon = Monitoring(desk)
    event = {
        "source": "zabbix",
        "status": "firing",
        "summary": "Disk /var almost full",
        "labels": {"host": "app-01"},
        "severity": "critical",
        "occurredAt": STARTED,
    }
    r = desk.client.post("/api/v1/alerts/events", headers=auth(mon.key), json=event)
    assert r.status_code == 200, r.text
    [number] = r.json()["created"]
    r = desk.client.post("/api/v1/alerts/events", headers=auth(mon.key), json=event)
    assert r.json()["folded"] == [number]
    assert mon.ticket(number)["precedingActions"] == "Raised by monitoring (zabbix)"
    r = desk.client.post(
        "/api/v1/alerts/events", headers=auth(mon.key), json={**event, "status": "resolved"}
    )
    assert r.json()["annotated"] == [number]
    r = desk.client.post("/api/v1/alerts/events", headers=auth(mon.key), json={"source": "x"})
    assert r.status_code == 400 and mon.tickets()[0]["number"] == number


def test_a_key_without_alerts_ingest_is_refused(desk) -> None:
    for token in (desk.agent, make_token(desk.tenant, [ap.MANAGE])):
        r = desk.client.post(AM, headers=auth(token), json=am_payload(am_alert("k1")))
        assert r.status_code == 403
    assert folds(desk.tenant) == []


def test_another_tenant_sees_nothing_and_cannot_touch_rules(desk, other) -> None:
    mon, theirs = Monitoring(desk), Monitoring(other)
    [number] = mon.post(am_alert("t1"))["created"]
    ticket = mon.ticket(number)
    r = desk.client.get(f"/api/v1/tickets/{ticket['id']}", headers=auth(other.agent))
    assert r.status_code == 404
    r = desk.client.post("/api/v1/alert-rules", headers=auth(mon.manager), json={"name": "All"})
    rule = r.json()
    path = f"/api/v1/alert-rules/{rule['id']}"
    tag = {"If-Match": r.headers["ETag"]}
    assert desk.client.get(path, headers=auth(theirs.manager)).status_code == 404
    patched = desk.client.patch(path, headers=auth(theirs.manager, **tag), json={"name": "X"})
    assert patched.status_code == 404
    assert desk.client.delete(path, headers=auth(theirs.manager, **tag)).status_code == 404
    r = desk.client.get("/api/v1/alert-rules", headers=auth(theirs.manager))
    assert r.json()["items"] == []
    # Their monitoring posting the same fingerprint opens their own incident.
    assert len(theirs.post(am_alert("t1"))["created"]) == 1
    assert [t["id"] for t in theirs.tickets()] != [ticket["id"]]
    assert [t["id"] for t in mon.tickets()] == [ticket["id"]]


def test_rules_change_and_go_only_with_if_match(desk) -> None:
    mon = Monitoring(desk)
    r = desk.client.post(
        "/api/v1/alert-rules", headers=auth(mon.manager), json={"name": "R", "priority": "low"}
    )
    path, tag = f"/api/v1/alert-rules/{r.json()['id']}", r.headers["ETag"]
    assert desk.client.patch(path, headers=auth(mon.manager), json={}).status_code == 428
    r = desk.client.patch(
        path, headers=auth(mon.manager, **{"If-Match": tag}), json={"priority": None}
    )
    assert r.status_code == 200 and r.json()["priority"] is None
    stale = desk.client.delete(path, headers=auth(mon.manager, **{"If-Match": tag}))
    assert stale.status_code == 412
    r = desk.client.delete(path, headers=auth(mon.manager, **{"If-Match": r.headers["ETag"]}))
    assert r.status_code == 204
    bad = {"name": "R", "matchRegex": {"host": "("}, "groupId": "00000000-0000-7000-8000-0"}
    r = desk.client.post("/api/v1/alert-rules", headers=auth(mon.manager), json=bad)
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"matchRegex", "groupId"}


def test_concurrent_identical_alerts_open_exactly_one_incident(desk) -> None:
    mon = Monitoring(desk)
    answers: list[int] = []

    def deliver() -> None:
        r = desk.client.post(AM, headers=auth(mon.key), json=am_payload(am_alert("same")))
        answers.append(r.status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers == [200] * 8
    assert len(mon.tickets()) == 1
    [fold] = folds(desk.tenant)
    assert fold.occurrences == 8
