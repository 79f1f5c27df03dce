"""Values are taken only in the form the OpenAPI document gives them: no lax coercion."""

from __future__ import annotations

from typing import Any

import pytest

from changes import permissions as cp
from core.api.schemas import ApiModel
from services.sla import permissions as sla
from tests.factories import ALL_CATALOGUE, auth, make_tenant, make_token
from tests.tickets.helpers import incident
from tickets import permissions as tp
from tickets.problems import permissions as pp

SERVICE = {"code": "E14-MAIL", "name": "E-mail", "domain": "E", "subdomain": 14}
ALL = [
    *ALL_CATALOGUE,
    tp.REPORT,
    tp.READ,
    tp.WORK,
    pp.READ,
    pp.MANAGE,
    sla.READ,
    cp.READ,
    cp.CONFIGURE,
]
FREEZE = {
    "name": "Year end",
    "startsAt": "2026-12-20T00:00:00+01:00",
    "endsAt": "2027-01-04T00:00:00+01:00",
}


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
        ("/api/v1/change-freezes", FREEZE, {**FREEZE, "startsAt": 1877182}, "startsAt"),
        ("/api/v1/change-freezes", FREEZE, {**FREEZE, "endsAt": "1877182"}, "endsAt"),
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


def _api_models() -> list[type[ApiModel]]:
    found, todo = [], list(ApiModel.__subclasses__())
    while todo:
        model = todo.pop()
        found.append(model)
        todo.extend(model.__subclasses__())
    return found


def test_no_date_or_time_field_of_any_body_takes_a_number(client) -> None:
    """Every date-time in every request shape, today's and tomorrow's, refuses Unix time."""
    checked = []
    for model in _api_models():
        for name, field in model.model_fields.items():
            schema = str(field.annotation) + str(field.metadata)
            if "date" not in schema.lower() and "time" not in schema.lower():
                continue
            alias = field.alias or name
            refused = []
            for unix_time in (1764000000, "1764000000"):
                try:
                    model.model_validate({alias: unix_time})
                except ValueError as exc:
                    refused.append((alias,) in [e["loc"][:1] for e in exc.errors()])  # type: ignore[attr-defined]
            if refused == [True, True]:
                checked.append(f"{model.__name__}.{alias}")
            else:
                assert field.annotation in (str, int, float), (
                    f"{model.__name__}.{alias} took a number"
                )
    assert "FreezeCreate.startsAt" in checked and len(checked) > 20
