"""Values are taken only in the form the OpenAPI document gives them: no lax coercion."""

from __future__ import annotations

from typing import Any

import pytest

from services.sla import permissions as sla
from tests.factories import ALL_CATALOGUE, auth, make_tenant, make_token
from tests.tickets.helpers import incident
from tickets import permissions as tp
from tickets.problems import permissions as pp

SERVICE = {"code": "E14-MAIL", "name": "E-mail", "domain": "E", "subdomain": 14}
ALL = [*ALL_CATALOGUE, tp.REPORT, tp.READ, tp.WORK, pp.READ, pp.MANAGE, sla.READ]


@pytest.fixture
def caller(client) -> Any:
    token = make_token(make_tenant(), ALL)

    def call(method: str, url: str, body: dict[str, Any] | None = None) -> Any:
        return client.request(method, url, headers=auth(token), json=body)

    return call


def invalid(r: Any) -> list[str]:
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return [p["name"] for p in r.json()["invalidParams"]]


@pytest.mark.parametrize(
    ("url", "good", "bad", "field"),
    [
        ("/api/v1/tickets", incident(), incident(reproducible="yes"), "reproducible"),
        ("/api/v1/tickets", incident(), incident(causeOutsideService=0), "causeOutsideService"),
        ("/api/v1/tickets", incident(), incident(occurredAt=1764000000), "occurredAt"),
        ("/api/v1/services", SERVICE, {**SERVICE, "subdomain": "14"}, "subdomain"),
        ("/api/v1/services", SERVICE, {**SERVICE, "subdomain": True}, "subdomain"),
    ],
)
def test_a_lax_body_value_is_refused_and_creates_nothing(caller, url, good, bad, field) -> None:
    assert invalid(caller("POST", url, bad)) == [field]
    listed = caller("GET", url).json()["items"]
    assert listed == []
    assert caller("POST", url, good).status_code == 201


@pytest.mark.parametrize(
    ("url", "bad", "good", "field"),
    [
        ("/api/v1/queue", "mine=yes", "mine=true", "mine"),
        ("/api/v1/queue", "mine=1", "mine=false", "mine"),
        ("/api/v1/problems", "knownError=on", "knownError=false", "knownError"),
        ("/api/v1/tickets", "createdFrom=12345", "createdFrom=2026-11-01T00:00:00Z", "createdFrom"),
        (
            "/api/v1/sla/agreements/current",
            "at=12345",
            "at=2026-11-01T00:00:00%2B01:00",
            "at",
        ),
    ],
)
def test_a_lax_query_value_is_refused(caller, url, bad, good, field) -> None:
    assert invalid(caller("GET", f"{url}?{bad}")) == [field]
    assert caller("GET", f"{url}?{good}").status_code in (200, 404)  # 404: no agreement yet
