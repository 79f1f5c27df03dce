"""Availability in the KPI figures: outages count within service hours, and an outage that
client and supplier agree to exclude leaves the month's figure (and /availability) alone."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from services.availability import permissions as availability
from services.kpi import permissions as kpi
from tests.factories import auth, make_tenant, make_token

AMS = ZoneInfo("Europe/Amsterdam")
NOVEMBER_SECONDS = 21 * 8.5 * 3600  # 21 working days of 08:30-17:00, no holidays


def ams(day: int, hour: int) -> str:
    return datetime(2026, 11, day, hour, tzinfo=AMS).isoformat()


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def tokens(tenant) -> dict[str, str]:
    return {
        "desk": make_token(tenant, [availability.READ, availability.MANAGE, kpi.READ]),
        "manager": make_token(tenant, [kpi.READ, kpi.PROPOSE]),
        "owner": make_token(tenant, [kpi.READ, kpi.DECIDE]),
    }


def record_outage(client, token: str) -> dict:
    # Tuesday 3 November, 09:00-11:00: two hours within service hours.
    body = {"start": ams(3, 9), "end": ams(3, 11), "scope": "platform", "description": "Down"}
    r = client.post("/api/v1/outages", headers=auth(token), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def november(client, token: str) -> dict:
    r = client.get("/api/v1/kpis", params={"period": "2026-11"}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()["availability"]


def propose(client, token: str, subject_id: str) -> object:
    body = {"month": "2026-11", "subjectKind": "outage", "subjectId": subject_id, "reason": "x"}
    return client.post("/api/v1/kpis/exclusions", headers=auth(token), json=body)


def test_an_outage_within_service_hours_lowers_the_month(client, tokens) -> None:
    record_outage(client, tokens["desk"])
    figure = november(client, tokens["desk"])
    assert figure["serviceSeconds"] == NOVEMBER_SECONDS and figure["downtimeSeconds"] == 7200
    # 100 x (642,600 - 7,200) / 642,600 = 98.8796...
    assert figure["value"] == 98.88 and figure["meetsNorm"] is False
    listed = client.get(
        "/api/v1/availability", params={"month": "2026-11"}, headers=auth(tokens["desk"])
    )
    assert listed.json()["availabilityPercent"] == figure["value"]


def test_an_accepted_outage_exclusion_takes_it_out_of_the_month(client, tokens) -> None:
    outage = record_outage(client, tokens["desk"])
    proposed = propose(client, tokens["manager"], outage["id"])
    assert proposed.status_code == 201, proposed.text
    assert november(client, tokens["desk"])["value"] == 98.88  # proposed only: still counts
    decided = client.post(
        f"/api/v1/kpis/exclusions/{proposed.json()['id']}/decisions",
        headers=auth(tokens["owner"], **{"If-Match": proposed.headers["ETag"]}),
        json={"decision": "accepted", "reason": "The client's own network change"},
    )
    assert decided.status_code == 200, decided.text
    assert november(client, tokens["desk"]) | {"evidence": None} == {
        "value": 100.0,
        "serviceSeconds": NOVEMBER_SECONDS,
        "downtimeSeconds": 0.0,
        "norm": 99.4,
        "meetsNorm": True,
        "evidence": None,
    }
    month = client.get(
        "/api/v1/availability", params={"month": "2026-11"}, headers=auth(tokens["desk"])
    ).json()
    assert month["availabilityPercent"] == 100.0
    assert [o["reason"] for o in month["excluded"]] == ["excluded by agreement"]


def test_only_an_outage_of_the_tenant_can_be_proposed(client, tokens) -> None:
    other = make_tenant()
    theirs = record_outage(client, make_token(other, [availability.MANAGE, availability.READ]))
    for subject in (theirs["id"], str(uuid.uuid4())):
        r = propose(client, tokens["manager"], subject)
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "subjectId"
    assert november(client, make_token(other, [kpi.READ]))["value"] == 98.88
    assert november(client, tokens["desk"])["value"] == 100.0  # theirs is not ours
