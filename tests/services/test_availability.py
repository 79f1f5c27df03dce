"""Outages and the monthly availability over the API: records, validation, isolation, audit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, Role
from regie import roles
from services.availability import permissions as availability
from services.catalogue import permissions as catalogue
from services.dap.models import DapVersion
from services.kpi import permissions as kpi
from services.sla.models import Agreement
from services.sla.terms import DAYS, default_agreement
from tests.audit.helpers import records
from tests.factories import auth, make_tenant, make_token

URL = "/api/v1/outages"
AMS = ZoneInfo("Europe/Amsterdam")
TABLE = "services_availability_outage"


def ams(day: int, hour: int, minute: int = 0, month: int = 11) -> str:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS).isoformat()


def body(**overrides) -> dict:
    return {
        "start": ams(3, 16),
        "end": ams(4, 10),
        "scope": "application",
        "description": "Case overview unreachable",
        **overrides,
    }


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def manager(tenant) -> str:
    return make_token(tenant, [availability.READ, availability.MANAGE, catalogue.WRITE])


@pytest.fixture
def reader(tenant) -> str:
    return make_token(tenant, [availability.READ])


def record(client, token: str, **overrides) -> dict:
    r = client.post(URL, headers=auth(token), json=body(**overrides))
    assert r.status_code == 201, r.text
    return r.json()


def test_an_outage_is_recorded_read_ended_and_removed(client, manager, reader) -> None:
    r = client.post(URL, headers=auth(manager), json=body(end=None))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["number"] == 1 and created["ongoing"] is True and created["end"] is None
    assert created["attributable"] is True and created["cause"] == "unknown"
    assert created["planned"] is False and created["incidentId"] is None
    assert created["start"] == "2026-11-03T15:00:00Z"
    assert r.headers["location"] == f"{URL}/{created['id']}" and r.headers["etag"] == '"1"'

    got = client.get(f"{URL}/{created['id']}", headers=auth(reader))
    assert got.status_code == 200 and got.json() == created and got.headers["etag"] == '"1"'

    ended = client.patch(
        f"{URL}/{created['id']}",
        headers=auth(manager, **{"If-Match": '"1"'}),
        json={"end": ams(4, 10)},
    )
    assert ended.status_code == 200, ended.text
    assert ended.json()["ongoing"] is False and ended.json()["end"] == "2026-11-04T09:00:00Z"
    assert ended.headers["etag"] == '"2"'

    gone = client.delete(f"{URL}/{created['id']}", headers=auth(manager, **{"If-Match": '"2"'}))
    assert gone.status_code == 204
    assert client.get(f"{URL}/{created['id']}", headers=auth(reader)).status_code == 404


def test_a_reader_cannot_record_or_change(client, manager, reader) -> None:
    assert client.post(URL, headers=auth(reader), json=body()).status_code == 403
    outage = record(client, manager)
    r = client.patch(
        f"{URL}/{outage['id']}", headers=auth(reader, **{"If-Match": '"1"'}), json={"planned": True}
    )
    assert r.status_code == 403


def test_invalid_outages_are_400_naming_every_bad_field(client, manager, reader) -> None:
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = client.post(
        URL,
        headers=auth(manager),
        json=body(start=future, end=future, scope="service", cause="supplier", attributable=False),
    )
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    names = {p["name"] for p in r.json()["invalidParams"]}
    assert names == {"start", "end", "serviceId", "attributable"}

    r = client.post(URL, headers=auth(manager), json=body(start=ams(4, 10), end=ams(4, 9)))
    assert r.status_code == 400
    assert r.json()["invalidParams"] == [
        {"name": "end", "pointer": "/end", "reason": "must lie after the start"}
    ]
    r = client.post(URL, headers=auth(manager), json=body(start="2026-11-03T16:00:00"))
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "start"
    unknown = "01890000-0000-7000-8000-000000000000"
    r = client.post(URL, headers=auth(manager), json=body(scope="platform", serviceId=unknown))
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "serviceId"
    r = client.post(URL, headers=auth(manager), json=body(scope="service", serviceId=unknown))
    assert r.json()["invalidParams"][0]["reason"] == "no such service in the catalogue"
    assert client.get(URL, headers=auth(reader)).json()["items"] == []


def test_an_outage_of_a_catalogue_service(client, manager) -> None:
    service = client.post(
        "/api/v1/services",
        headers=auth(manager),
        json={"code": "D11-CASE", "name": "Case system", "domain": "D", "subdomain": 11},
    ).json()
    outage = record(client, manager, scope="service", serviceId=service["id"])
    assert outage["scope"] == "service" and outage["serviceId"] == service["id"]
    # Leaving the service scope leaves the service.
    r = client.patch(
        f"{URL}/{outage['id']}",
        headers=auth(manager, **{"If-Match": '"1"'}),
        json={"scope": "platform"},
    )
    assert r.status_code == 200 and r.json()["serviceId"] is None


def test_a_correction_is_checked_as_a_whole(client, manager) -> None:
    outage = record(client, manager)
    headers = auth(manager, **{"If-Match": '"1"'})
    r = client.patch(f"{URL}/{outage['id']}", headers=headers, json={"start": ams(5, 9)})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "end"
    r = client.patch(f"{URL}/{outage['id']}", headers=headers, json={"description": None})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "description"
    assert client.get(f"{URL}/{outage['id']}", headers=auth(manager)).json() == outage


def test_changes_need_if_match_and_refuse_a_stale_one(client, manager) -> None:
    outage = record(client, manager)
    path = f"{URL}/{outage['id']}"
    assert client.patch(path, headers=auth(manager), json={"planned": True}).status_code == 428
    assert client.delete(path, headers=auth(manager)).status_code == 428
    stale = auth(manager, **{"If-Match": '"7"'})
    assert client.patch(path, headers=stale, json={"planned": True}).status_code == 412
    assert client.delete(path, headers=stale).status_code == 412
    assert client.get(path, headers=auth(manager)).json()["planned"] is False


def test_every_change_is_audited(client, manager, tenant) -> None:
    outage = record(client, manager)
    path = f"{URL}/{outage['id']}"
    client.patch(path, headers=auth(manager, **{"If-Match": '"1"'}), json={"planned": True})
    client.delete(path, headers=auth(manager, **{"If-Match": '"2"'}))
    audited = records(tenant.id, TABLE)
    assert [e["action"] for e in audited] == ["create", "update", "delete"]
    assert {e["entity"]["id"] for e in audited} == {outage["id"]}
    assert audited[1]["changes"]["planned"] == {"before": False, "after": True}


def test_another_tenants_user_learns_nothing(client, manager) -> None:
    outage = record(client, manager)
    stranger = make_token(make_tenant(), [availability.READ, availability.MANAGE])
    path = f"{URL}/{outage['id']}"
    assert client.get(path, headers=auth(stranger)).status_code == 404
    headers = auth(stranger, **{"If-Match": '"1"'})
    assert client.patch(path, headers=headers, json={"planned": True}).status_code == 404
    assert client.delete(path, headers=headers).status_code == 404
    assert client.get(URL, headers=auth(stranger)).json()["items"] == []
    r = client.get("/api/v1/availability?month=2026-11", headers=auth(stranger))
    assert r.json()["counted"] == [] and r.json()["availabilityPercent"] == 100.0


def test_lists_filter_and_page_in_a_stable_order(client, manager, reader) -> None:
    first = record(client, manager, start=ams(2, 9), end=ams(2, 10))
    second = record(client, manager, start=ams(9, 9), end=ams(9, 10), attributable=False)
    third = record(client, manager, start=ams(16, 9), end=None, scope="platform")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(URL, headers=auth(reader), params=query).json()
        seen += [o["id"] for o in page["items"]]
        if not (cursor := page["nextCursor"]):
            break
    assert seen == [third["id"], second["id"], first["id"]]  # latest start first

    def ids(**query) -> list[str]:
        r = client.get(URL, headers=auth(reader), params=query)
        assert r.status_code == 200, r.text
        return [o["id"] for o in r.json()["items"]]

    assert ids(sort="number") == [first["id"], second["id"], third["id"]]
    assert ids(attributable="false") == [second["id"]]
    assert ids(scope="platform") == [third["id"]]
    # Going on at some moment in [since, until): the ongoing one overlaps every later span.
    assert ids(since=ams(9, 9, 30), until=ams(20, 0)) == [third["id"], second["id"]]
    assert (
        client.get(URL, headers=auth(reader), params={"since": "2026-11-01T00:00"}).status_code
        == 400
    )
    assert client.get(URL, headers=auth(reader), params={"scope": "x" * 36}).status_code == 400


def test_idempotency_key_replays_the_first_answer(client, manager, reader) -> None:
    headers = auth(manager, **{"Idempotency-Key": "outage-1"})
    first = client.post(URL, headers=headers, json=body())
    again = client.post(URL, headers=headers, json=body())
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert len(client.get(URL, headers=auth(reader)).json()["items"]) == 1


def test_the_monthly_figure_counts_attributable_unplanned_service_hours(
    client, manager, reader
) -> None:
    # November 2026: 21 working days of 8.5 h = 178.5 h = 642,600 s (default agreement).
    night = record(client, manager)  # Tue 3 Nov 16:00 - Wed 4 Nov 10:00: 1 h + 1.5 h
    overlap = record(client, manager, start=ams(4, 9), end=ams(4, 11))  # adds 10:00-11:00
    planned = record(client, manager, start=ams(5, 9), end=ams(5, 12), planned=True)
    landscape = record(
        client,
        manager,
        start=ams(6, 9),
        end=ams(6, 12),
        attributable=False,
        cause="client-landscape",
    )
    weekend = record(client, manager, start=ams(7, 10), end=ams(7, 12))  # a Saturday
    r = client.get("/api/v1/availability", headers=auth(reader), params={"month": "2026-11"})
    assert r.status_code == 200, r.text
    month = r.json()
    assert month["month"] == "2026-11" and month["agreementId"] is None
    assert month["periodStart"] == "2026-10-31T23:00:00Z"
    assert month["serviceSeconds"] == 642600 and month["downtimeSeconds"] == 3.5 * 3600
    # (178.5 - 3.5) / 178.5 = 98.0392...%
    assert month["availabilityPercent"] == 98.039
    assert month["norm"] == 99.4 and month["meetsNorm"] is False
    assert [(o["id"], o["countedSeconds"]) for o in month["counted"]] == [
        (night["id"], 2.5 * 3600),
        (overlap["id"], 2 * 3600),
    ]
    assert [(o["id"], o["reason"]) for o in month["excluded"]] == [
        (planned["id"], "planned maintenance"),
        (landscape["id"], "not attributable: client-landscape"),
        (weekend["id"], "outside service hours"),
    ]
    platform = client.get(
        "/api/v1/availability",
        headers=auth(reader),
        params={"month": "2026-11", "scope": "platform"},
    ).json()
    assert platform["counted"] == [] and platform["availabilityPercent"] == 100.0
    for bad in ({"month": "2026-13"}, {"month": "2026-11", "scope": "service"}, {}):
        assert (
            client.get("/api/v1/availability", headers=auth(reader), params=bad).status_code == 400
        )


def round_the_clock(tenant, number: int, effective_from: date, norm: float) -> Agreement:
    """A version open day and night, stored directly: through the API a version only takes
    effect after today."""
    terms = default_agreement()
    with unit_of_work(tenant.id) as session:
        agreement = Agreement(
            number=number,
            effective_from=effective_from,
            schedule={day: [["00:00", "24:00"]] for day in DAYS},
            country=None,
            extra_closed_days=[],
            yearly_closed_days=[],
            open_holidays=[],
            targets=terms.targets,
            availability_norm=norm,
            paused_statuses=terms.paused_statuses,
            counted_types=terms.counted_types,
        )
        session.add(agreement)
    return agreement


def test_the_agreement_in_effect_sets_hours_and_norm(client, manager, reader, tenant) -> None:
    agreement = round_the_clock(tenant, 1, date(2026, 10, 1), 99.9)
    record(client, manager, start=ams(7, 10), end=ams(7, 12))  # a Saturday, now in service
    month = client.get(
        "/api/v1/availability", headers=auth(reader), params={"month": "2026-11"}
    ).json()
    # Round the clock, November has 30 x 24 = 720 h; (720 - 2) / 720 = 99.7222...%
    assert month["agreementId"] == str(agreement.id) and month["norm"] == 99.9
    assert month["serviceSeconds"] == 720 * 3600 and month["downtimeSeconds"] == 2 * 3600
    assert month["availabilityPercent"] == 99.722 and month["meetsNorm"] is False


def test_the_month_is_judged_by_the_agreement_at_its_end_here_and_in_the_kpis(
    client, manager, tenant
) -> None:
    # Office hours (the default) until 16 November, then round the clock with a higher norm.
    later = round_the_clock(tenant, 1, date(2026, 11, 16), 99.9)
    record(client, manager, start=ams(7, 10), end=ams(7, 12))  # a Saturday: open under v1
    reader = make_token(tenant, [availability.READ, kpi.READ])
    month = client.get(
        "/api/v1/availability", headers=auth(reader), params={"month": "2026-11"}
    ).json()
    figures = client.get("/api/v1/kpis", headers=auth(reader), params={"period": "2026-11"})
    kpis = figures.json()
    # One rule: the version in effect at the month's end, for the hours and for the norm.
    assert month["agreementId"] == kpis["agreement"]["id"] == str(later.id)
    assert month["norm"] == kpis["availability"]["norm"] == 99.9
    assert month["serviceSeconds"] == kpis["availability"]["serviceSeconds"] == 720 * 3600
    assert month["downtimeSeconds"] == kpis["availability"]["downtimeSeconds"] == 2 * 3600


def test_roles_that_read_and_manage_outages() -> None:
    roles.wire()
    readers = {r for r in Role if availability.READ in ROLE_PERMISSIONS[r]}
    managers = {r for r in Role if availability.MANAGE in ROLE_PERMISSIONS[r]}
    assert {
        Role.service_level_manager,
        Role.kpi_viewer,
        Role.key_user,
        Role.product_owner,
        Role.auditor,
        Role.agent_line_1,
        Role.supplier_admin,
    } <= readers
    assert Role.reporter not in readers
    assert managers == {
        Role.service_level_manager,
        Role.agent_line_1,
        Role.agent_line_2,
        Role.agent_line_3,
    }


def test_the_dap_maintenance_windows_keep_their_downtime_out(client, tenant, manager) -> None:
    # A DAP that took effect on 1 November (stored directly: the API allows no past dates),
    # with a weekly release window on Tuesdays 16:00-22:00.
    window = {"day": "tuesday", "start": "16:00", "end": "22:00", "description": "Releases"}
    with unit_of_work(tenant.id) as session:
        session.add(
            DapVersion(
                number=1,
                effective_from=date(2026, 11, 1),
                report_recipients=[],
                escalation_contacts=[],
                weekly_windows=[window],
                one_off_windows=[],
                channels=[],
            )
        )
    # Tuesday 3 November 15:00-17:00: only 15:00-16:00 is downtime.
    record(client, manager, start=ams(3, 15), end=ams(3, 17))
    record(client, manager, start=ams(10, 16), end=ams(10, 17))  # wholly in the window
    month = client.get(
        "/api/v1/availability", params={"month": "2026-11"}, headers=auth(manager)
    ).json()
    assert month["downtimeSeconds"] == 3600
    assert [o["reason"] for o in month["excluded"]] == ["within maintenance windows"]
