"""What feeds the register: a KPI month under its norm proposes once per figure, a known
error proposes in one step (linked both ways), a change is linked to the item it realises;
and the consultation's review of what changed since a date."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from core.db import unit_of_work
from core.errors import NotFound
from core.types import utcnow
from regie.worker import celery_app
from services.improvement import feeds, public, tasks
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.services.improvements import SUPPLIER, URL, Register
from tests.services.kpi_month import build_november
from tickets.problems import permissions as pp

PROBLEM_MANAGER = [pp.MANAGE, pp.READ, *SUPPLIER]


@pytest.fixture
def reg(client, desk) -> Register:
    return Register(client, desk.tenant)


def _items(reg: Register, **params) -> list[dict]:
    r = reg.client.get(URL, params=params, headers=auth(reg.viewer))
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_a_month_under_its_norm_proposes_once_per_figure(client, desk, reg) -> None:
    build_november(desk)
    figures = client.get(
        "/api/v1/kpis", params={"period": "2026-11"}, headers=auth(reg.owner)
    ).json()
    missing = {
        name
        for name, key in [("response", "response"), ("restore-platform", "restorePlatform"),
                          ("restore-application", "restoreApplication")]
        if figures[key]["meetsNorm"] is False
    }  # fmt: skip
    assert missing == {"response", "restore-platform"}  # the month as built
    assert feeds.propose_all(today=date(2026, 12, 1)) == 2
    assert feeds.propose_all(today=date(2026, 12, 2)) == 0  # the next day's run: nothing new
    made = _items(reg, sourceKind="sla-breach-trend")
    assert {i["kpi"] for i in made} == missing
    response = next(i for i in made if i["kpi"] == "response")
    assert response["baseline"] == figures["response"]["value"]
    assert response["target"] == figures["response"]["norm"]
    assert (response["sourceMonth"], response["status"]) == ("2026-11", "proposed")
    assert response["proposedBy"] == "system:improvement-feed" and response["rank"] is not None
    # A month whose figures meet their norms, or count nothing, proposes nothing.
    assert feeds.propose_all(today=date(2026, 11, 3)) == 0


def test_a_month_under_its_norm_proposes_in_one_step_with_its_figure(client, desk, reg) -> None:
    build_november(desk)
    body = {
        "title": "Respond within the hour again",
        "description": "November missed the response norm.",
        "sourceKind": "sla-breach-trend",
        "sourceMonth": "2026-11",
        "kpi": "response",
        "target": 95.0,
    }
    r = client.post(URL, headers=auth(reg.supplier), json=body)
    assert r.status_code == 201, r.text
    served = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(reg.owner))
    assert r.json()["baseline"] == served.json()["response"]["value"] is not None
    given = client.post(URL, headers=auth(reg.supplier), json={**body, "baseline": 12.5})
    assert given.json()["baseline"] == 12.5


def test_the_scheduler_runs_the_feed_daily() -> None:
    schedule = celery_app.conf.beat_schedule["improvements-propose-from-kpis"]
    assert schedule["task"] == tasks.PROPOSE_FROM_KPIS and schedule["schedule"] == 86400.0
    assert tasks.PROPOSE_FROM_KPIS in celery_app.tasks


def test_a_known_error_proposes_in_one_step_linked_both_ways(client, desk, reg) -> None:
    manager = make_token(desk.tenant, PROBLEM_MANAGER)
    body = {"title": "Search index stalls", "description": "Nightly job hangs.", "knownError": True}
    problem = client.post("/api/v1/problems", headers=auth(manager), json=body).json()
    url = f"/api/v1/problems/{problem['id']}/improvements"
    r = client.post(url, headers=auth(manager), json={"kpi": "restore-platform", "target": 95.0})
    assert r.status_code == 201, r.text
    item = r.json()
    assert (item["sourceKind"], item["sourceId"]) == ("problem", problem["id"])
    assert (item["title"], item["status"], item["target"]) == (
        "Search index stalls",
        "proposed",
        95.0,
    )
    assert r.headers["Location"] == f"{URL}/{item['id']}"
    assert client.get(url, headers=auth(reg.viewer)).status_code == 403  # no problems:read
    back = client.get(url, headers=auth(manager))
    assert back.status_code == 200 and [i["id"] for i in back.json()["items"]] == [item["id"]]
    assert [i["id"] for i in _items(reg, sourceId=problem["id"])] == [item["id"]]
    # The same by the register's own route, naming the problem.
    plain = {"title": "T", "description": "D", "sourceKind": "problem", "sourceId": problem["id"]}
    assert client.post(URL, headers=auth(reg.supplier), json=plain).status_code == 201


def test_only_a_known_error_proposes_and_only_in_its_tenant(client, desk, other, reg) -> None:
    manager = make_token(desk.tenant, PROBLEM_MANAGER)
    body = {"title": "Slow login", "description": "Unknown cause."}
    problem = client.post("/api/v1/problems", headers=auth(manager), json=body).json()
    url = f"/api/v1/problems/{problem['id']}/improvements"
    assert client.post(url, headers=auth(manager), json={}).status_code == 409
    assert client.post(url, headers=auth(reg.viewer), json={}).status_code == 403
    stranger = make_token(other.tenant, PROBLEM_MANAGER)
    assert client.post(url, headers=auth(stranger), json={}).status_code == 404
    assert client.get(url, headers=auth(stranger)).status_code == 404
    theirs = {"title": "T", "description": "D", "sourceKind": "problem", "sourceId": problem["id"]}
    r = client.post(URL, headers=auth(make_token(other.tenant, SUPPLIER)), json=theirs)
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "sourceId"


def test_changes_that_realise_an_item_are_linked_once(reg, other) -> None:
    item = reg.propose()
    change_id = uuid.uuid4()
    for _ in range(2):
        with unit_of_work(reg.tenant.id) as session:
            public.link_change(session, item_id=uuid.UUID(item["id"]), change_id=change_id)
    got = reg.get(item).json()
    assert got["changeIds"] == [str(change_id)]
    history = reg.client.get(f"{URL}/{item['id']}/history", headers=auth(reg.viewer)).json()
    assert [e["kind"] for e in history["items"]][-1] == "change-linked"
    assert len(records(reg.tenant.id, "services_improvement_change")) == 1
    with pytest.raises(NotFound), unit_of_work(other.tenant.id) as session:
        public.link_change(session, item_id=uuid.UUID(item["id"]), change_id=uuid.uuid4())


def test_the_review_lists_what_changed_since_a_date(client, reg) -> None:
    today = utcnow().date()
    first, second = reg.propose(title="First"), reg.propose(title="Second")
    reg.decide(first, "accepted")
    note = {"text": "Started the script"}
    client.post(f"{URL}/{first['id']}/notes", headers=auth(reg.supplier), json=note)
    tag = reg.get(second).headers["ETag"]
    headers = auth(reg.supplier, **{"If-Match": tag})
    client.patch(f"{URL}/{second['id']}", headers=headers, json={"owner": "Someone"})
    since = (today - timedelta(days=1)).isoformat()
    r = client.get(f"{URL}/review", params={"since": since}, headers=auth(reg.viewer))
    assert r.status_code == 200, r.text
    rows = r.json()["items"]
    assert [(row["title"], row["event"]["kind"]) for row in rows] == [
        ("First", "created"), ("Second", "created"), ("First", "decision"), ("First", "note"),
    ]  # fmt: skip
    assert rows[2]["status"] == "accepted" and rows[3]["event"]["text"] == "Started the script"
    page = client.get(
        f"{URL}/review", params={"since": since, "limit": 3}, headers=auth(reg.viewer)
    ).json()
    rest = client.get(
        f"{URL}/review",
        params={"since": since, "limit": 3, "cursor": page["nextCursor"]},
        headers=auth(reg.viewer),
    ).json()
    assert [row["event"]["id"] for row in page["items"] + rest["items"]] == [
        row["event"]["id"] for row in rows
    ]
    later = (today + timedelta(days=2)).isoformat()
    assert (
        client.get(f"{URL}/review", params={"since": later}, headers=auth(reg.viewer)).json()[
            "items"
        ]
        == []
    )
    bad = client.get(f"{URL}/review", params={"since": "last week"}, headers=auth(reg.viewer))
    assert bad.status_code == 400
