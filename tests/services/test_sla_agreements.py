"""Service level agreements over the API: versions, the default, validation, isolation."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import get_engine
from core.identity.roles import ROLE_PERMISSIONS, Role
from regie import roles
from services.sla import permissions as sla
from services.sla.service import today
from tests.audit.helpers import records
from tests.factories import auth, make_tenant, make_token

URL = "/api/v1/sla/agreements"
MANAGER = [sla.READ, sla.MANAGE]


def tomorrow() -> date:
    return today() + timedelta(days=1)


def version(**overrides) -> dict:
    return {"effectiveFrom": tomorrow().isoformat(), **overrides}


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def manager(tenant) -> str:
    return make_token(tenant, MANAGER)


@pytest.fixture
def reader(tenant) -> str:
    return make_token(tenant, [sla.READ])


def test_a_tenant_without_agreement_has_the_default(client, reader) -> None:
    r = client.get(f"{URL}/current", headers=auth(reader))
    assert r.status_code == 200, r.text
    terms = r.json()
    assert terms["isDefault"] is True and terms["id"] is None and terms["version"] is None
    # DOMAIN.md's SLA table; a month of application restore is 21 days of 8.5 hours.
    assert terms["targets"]["urgent"] == {
        "responseHours": 1.0,
        "restorePlatformHours": 2.0,
        "restoreApplicationHours": 4.0,
    }
    assert terms["targets"]["medium"]["restoreApplicationHours"] == 178.5
    assert terms["targets"]["low"]["restorePlatformHours"] == 16.0
    assert terms["serviceHours"]["monday"] == [{"start": "08:30", "end": "17:00"}]
    assert terms["serviceHours"]["saturday"] == [] and terms["serviceHours"]["sunday"] == []
    assert terms["serviceHours"]["timezone"] == "Europe/Amsterdam"
    assert terms["holidays"]["yearlyClosedDays"] == ["05-05"]
    assert terms["holidays"]["openHolidays"] == ["Good Friday"]
    assert terms["norms"] == {"response": 95.0, "restorePlatform": 95.0, "restoreApplication": 95.0}
    assert terms["availabilityNorm"] == 99.4 and terms["countedTypes"] == ["incident"]
    assert set(terms["pausedStatuses"]) == {
        "waiting-reporter",
        "waiting-third-party",
        "waiting-change",
        "needs-information",
    }
    assert client.get(URL, headers=auth(reader)).json()["items"] == []


def test_versions_are_added_listed_newest_first_and_take_effect_on_their_date(
    client, manager, reader
) -> None:
    first = client.post(URL, headers=auth(manager), json=version())
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["version"] == 1 and body["isDefault"] is False
    assert body["effectiveFrom"] == tomorrow().isoformat()
    assert first.headers["location"] == f"{URL}/{body['id']}"
    later = (tomorrow() + timedelta(days=30)).isoformat()
    urgent = {"responseHours": 0.5, "restorePlatformHours": 1, "restoreApplicationHours": 2}
    second = client.post(
        URL, headers=auth(manager), json=version(effectiveFrom=later, targets={"urgent": urgent})
    )
    assert second.status_code == 201 and second.json()["version"] == 2
    # Omitted priorities keep the default targets.
    assert second.json()["targets"]["high"]["responseHours"] == 2.0
    listed = client.get(URL, headers=auth(reader)).json()["items"]
    assert [v["version"] for v in listed] == [2, 1]
    assert client.get(f"{URL}/{body['id']}", headers=auth(reader)).json() == body
    # A version is never edited: a change of terms is a new version.
    assert client.patch(f"{URL}/{body['id']}", headers=auth(manager), json={}).status_code == 405
    # Today the default still applies; from tomorrow version 1, from `later` version 2.
    assert client.get(f"{URL}/current", headers=auth(reader)).json()["isDefault"] is True
    for day, expected in ((tomorrow().isoformat(), 1), (later, 2)):
        at = f"{day}T12:00:00+01:00"
        got = client.get(f"{URL}/current", headers=auth(reader), params={"at": at}).json()
        assert got["version"] == expected
        assert got["targets"]["urgent"]["responseHours"] == (0.5 if expected == 2 else 1.0)


def test_a_version_cannot_take_effect_today_or_in_the_past(client, manager) -> None:
    for day in (today(), today() - timedelta(days=3)):
        r = client.post(URL, headers=auth(manager), json=version(effectiveFrom=day.isoformat()))
        assert r.status_code == 400
        assert [p["name"] for p in r.json()["invalidParams"]] == ["effectiveFrom"]
    assert client.get(URL, headers=auth(manager)).json()["items"] == []


def test_every_bad_term_is_listed(client, manager) -> None:
    r = client.post(
        URL,
        headers=auth(manager),
        json=version(
            effectiveFrom="2020-01-01",
            serviceHours={
                "timezone": "Mars/Olympus",
                "monday": [{"start": "17:00", "end": "08:30"}],
            },
            pausedStatuses=["waiting-reporter", "resolved"],
            holidays={"country": "XX", "yearlyClosedDays": ["02-30"]},
        ),
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    names = {p["name"] for p in r.json()["invalidParams"]}
    assert names == {
        "effectiveFrom",
        "timezone",
        "monday",
        "pausedStatuses",
        "country",
        "yearlyClosedDays",
    }
    # Unknown statuses and non-positive targets are refused by the shape itself.
    r = client.post(
        URL,
        headers=auth(manager),
        json=version(
            pausedStatuses=["waiting_reporter"],
            targets={
                "low": {"responseHours": 0, "restorePlatformHours": 1, "restoreApplicationHours": 1}
            },
        ),
    )
    assert r.status_code == 400 and len(r.json()["invalidParams"]) == 2


def test_current_refuses_a_moment_without_zone(client, reader) -> None:
    r = client.get(f"{URL}/current", headers=auth(reader), params={"at": "2027-01-01T12:00:00"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "at"


def test_reading_is_not_managing(client, reader, tenant) -> None:
    assert client.post(URL, headers=auth(reader), json=version()).status_code == 403
    nothing = make_token(tenant, [])
    assert client.get(URL, headers=auth(nothing)).status_code == 403
    assert client.get(f"{URL}/current", headers=auth(nothing)).status_code == 403


def test_roles_hold_the_sla_permissions() -> None:
    roles.wire()
    readers = {
        Role.service_level_manager,
        Role.kpi_viewer,
        Role.key_user,
        Role.product_owner,
        Role.auditor,
        Role.agent_line_1,
        Role.agent_line_2,
        Role.agent_line_3,
        Role.problem_manager,
    }
    assert {r for r in Role if sla.READ in ROLE_PERMISSIONS[r]} == readers
    assert {r for r in Role if sla.MANAGE in ROLE_PERMISSIONS[r]} == {Role.service_level_manager}


def test_another_tenant_sees_nothing(client, manager) -> None:
    created = client.post(URL, headers=auth(manager), json=version()).json()
    other = make_token(make_tenant(), MANAGER)
    r = client.get(f"{URL}/{created['id']}", headers=auth(other))
    # The same answer as for an id that does not exist: nothing of the terms leaks.
    assert r.status_code == 404 and "targets" not in r.text
    assert client.get(URL, headers=auth(other)).json()["items"] == []
    at = {"at": f"{tomorrow().isoformat()}T12:00:00+01:00"}
    assert client.get(f"{URL}/current", headers=auth(other), params=at).json()["isDefault"]
    # The other tenant's first version is its own number 1.
    assert client.post(URL, headers=auth(other), json=version()).json()["version"] == 1


def test_a_retried_create_replays_and_adds_one_version(client, manager) -> None:
    headers = auth(manager, **{"Idempotency-Key": "sla-v1"})
    first = client.post(URL, headers=headers, json=version())
    again = client.post(URL, headers=headers, json=version())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len(client.get(URL, headers=auth(manager)).json()["items"]) == 1
    other_body = client.post(URL, headers=headers, json=version(availabilityNorm=99.0))
    assert other_body.status_code == 422


def test_a_new_version_is_audited(client, manager, tenant) -> None:
    created = client.post(URL, headers=auth(manager), json=version()).json()
    audited = records(tenant.id, "services_sla_agreement")
    assert len(audited) == 1
    entry = audited[0]
    assert entry["action"] == "create" and entry["entity"]["id"] == created["id"]
    assert entry["changes"]["effective_from"]["after"] == created["effectiveFrom"]


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE services_sla_agreement SET effective_from = '2020-01-01' WHERE id = :id",
        "DELETE FROM services_sla_agreement WHERE id = :id",
    ],
)
def test_the_application_cannot_change_or_remove_a_stored_version(
    client, manager, reader, tenant, statement
) -> None:
    # Versions read once are kept by their id in each process: the database holds them fixed.
    created = client.post(URL, headers=auth(manager), json=version()).json()
    with pytest.raises(DBAPIError, match="permission denied"), get_engine().begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant.id)})
        conn.execute(text(statement), {"id": created["id"]})
    assert client.get(f"{URL}/{created['id']}", headers=auth(reader)).json() == created
    at = {"at": f"{tomorrow().isoformat()}T12:00:00+01:00"}
    assert client.get(f"{URL}/current", headers=auth(reader), params=at).json() == created
