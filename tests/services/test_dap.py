"""The DAP over the API: versions, the one in effect, validation, isolation, and the
functions the report sender and the availability figures use."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, Role
from regie import roles
from services.dap import permissions as dap
from services.dap import public
from services.dap.windows import ZONE, today
from tests.audit.helpers import records
from tests.factories import auth, make_tenant, make_token
from tickets import permissions as tickets

URL = "/api/v1/dap/versions"
CURRENT = "/api/v1/dap/current"
MANAGER = [dap.READ, dap.MANAGE]


def later(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


def noon(day: str) -> dict[str, str]:
    return {"at": f"{day}T12:00:00+01:00"}


def body(**overrides) -> dict:
    return {
        "effectiveFrom": today().isoformat(),
        "reportRecipients": [
            {
                "name": "Anna de Vries",
                "email": "anna@gemeente.example.nl",
                "role": "information manager",
                "organisation": "Gemeente Example",
                "reports": ["monthly-sla"],
            }
        ],
        "escalationContacts": [
            {
                "level": 2,
                "name": "Bram Jansen",
                "role": "service manager",
                "email": "bram@supplier.example",
                "phone": "+31 20 123 4567",
                "side": "supplier",
            },
            {
                "level": 1,
                "name": "Carla Smit",
                "email": "carla@gemeente.example.nl",
                "side": "client",
            },
        ],
        "maintenanceWindows": {
            "weekly": [
                {"day": "tuesday", "start": "18:00", "end": "22:00", "description": "Releases"}
            ],
            "oneOff": [
                {
                    "start": f"{later(60)}T08:00:00+01:00",
                    "end": f"{later(60)}T12:00:00+01:00",
                    "description": "Database upgrade",
                }
            ],
        },
        "channels": [
            {
                "kind": "e-mail",
                "address": "servicedesk@supplier.example",
                "purpose": "tickets and questions",
                "hours": "working days 08:30-17:00",
            },
            {"kind": "portal", "address": "https://regie.example.nl", "purpose": "tickets"},
        ],
        "notes": "Monthly consultation on the first Thursday.",
        **overrides,
    }


def weekly(*windows: tuple[str, str, str]) -> dict:
    return {
        "weekly": [
            {"day": d, "start": s, "end": e, "description": "patching"} for d, s, e in windows
        ]
    }


@pytest.fixture
def tenant():
    return make_tenant()


@pytest.fixture
def manager(tenant) -> str:
    return make_token(tenant, MANAGER)


@pytest.fixture
def reader(tenant) -> str:
    return make_token(tenant, [dap.READ])


def test_a_tenant_without_dap_has_none(client, reader) -> None:
    r = client.get(CURRENT, headers=auth(reader))
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"
    assert r.json()["title"] == "No DAP yet"
    assert client.get(URL, headers=auth(reader)).json()["items"] == []


def test_a_version_is_added_read_and_in_effect_from_today(client, manager, reader) -> None:
    r = client.post(URL, headers=auth(manager), json=body())
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["version"] == 1 and created["effectiveFrom"] == today().isoformat()
    assert r.headers["location"] == f"{URL}/{created['id']}"
    # Escalation contacts in order of level; one-off windows in UTC.
    assert [c["level"] for c in created["escalationContacts"]] == [1, 2]
    assert created["escalationContacts"][1]["phone"] == "+31 20 123 4567"
    assert created["maintenanceWindows"]["oneOff"][0]["start"] == f"{later(60)}T07:00:00Z"
    assert created["maintenanceWindows"]["weekly"][0]["end"] == "22:00"
    assert created["channels"][1]["hours"] is None
    assert created["notes"].startswith("Monthly consultation")
    assert client.get(f"{URL}/{created['id']}", headers=auth(reader)).json() == created
    assert client.get(CURRENT, headers=auth(reader)).json() == created
    assert client.get(URL, headers=auth(reader)).json()["items"] == [created]


def test_versions_take_effect_on_their_date_highest_number_first(client, manager, reader) -> None:
    first = client.post(URL, headers=auth(manager), json=body(notes="one")).json()
    second = client.post(
        URL, headers=auth(manager), json=body(effectiveFrom=later(30), notes="two")
    )
    third = client.post(URL, headers=auth(manager), json=body(effectiveFrom=later(30), notes="3"))
    assert (second.status_code, third.status_code) == (201, 201)
    listed = client.get(URL, headers=auth(reader)).json()["items"]
    assert [v["version"] for v in listed] == [3, 2, 1]
    for day, expected in ((later(0), 1), (later(29), 1), (later(30), 3), (later(400), 3)):
        got = client.get(CURRENT, headers=auth(reader), params=noon(day)).json()
        assert got["version"] == expected, day
    assert client.get(CURRENT, headers=auth(reader)).json()["id"] == first["id"]
    before = client.get(CURRENT, headers=auth(reader), params=noon(later(-1)))
    assert before.status_code == 404


def test_a_version_is_never_edited(client, manager) -> None:
    created = client.post(URL, headers=auth(manager), json=body()).json()
    for method in ("PUT", "PATCH", "DELETE"):
        r = client.request(method, f"{URL}/{created['id']}", headers=auth(manager), json=body())
        assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert client.get(f"{URL}/{created['id']}", headers=auth(manager)).json() == created


def test_every_bad_field_is_listed_and_nothing_is_stored(client, manager) -> None:
    bad = body(
        effectiveFrom=later(-1),
        reportRecipients=[{"name": "A", "email": "not-an-email", "reports": ["Monthly SLA"]}],
        escalationContacts=[
            {"level": 0, "name": "B", "email": "b@x.example", "phone": "12", "side": "vendor"}
        ],
        maintenanceWindows={
            "weekly": [
                {"day": "tuesday", "start": "22:00", "end": "18:00", "description": "x"},
                {"day": "someday", "start": "25:00", "end": "24:00", "description": "x"},
            ],
            "oneOff": [
                {
                    "start": "2027-01-02T10:00:00Z",
                    "end": "2027-01-02T09:00:00Z",
                    "description": "x",
                },
                {"start": "2027-01-02T10:00:00", "end": "2027-01-02T11:00:00Z", "description": ""},
            ],
        },
        channels=[
            {"kind": "e-mail", "address": "nope", "purpose": "tickets"},
            {"kind": "portal", "address": "http://portal.example", "purpose": "tickets"},
            {"kind": "pigeon", "address": "roof", "purpose": "tickets"},
        ],
        colour="blue",
    )
    r = client.post(URL, headers=auth(manager), json=bad)
    assert r.status_code == 400 and r.headers["content-type"] == "application/problem+json"
    names = {p["name"] for p in r.json()["invalidParams"]}
    assert names == {
        "effectiveFrom",
        "reportRecipients.0.email",
        "reportRecipients.0.reports.0",
        "escalationContacts.0.level",
        "escalationContacts.0.phone",
        "escalationContacts.0.side",
        "maintenanceWindows.weekly.0.end",
        "maintenanceWindows.weekly.1.day",
        "maintenanceWindows.weekly.1.start",
        "maintenanceWindows.oneOff.0.end",
        "maintenanceWindows.oneOff.1.start",
        "maintenanceWindows.oneOff.1.description",
        "channels.0.address",
        "channels.1.address",
        "channels.2.kind",
        "colour",
    }
    too_many = body(reportRecipients=[body()["reportRecipients"][0]] * 51)
    assert client.post(URL, headers=auth(manager), json=too_many).status_code == 400
    assert client.get(URL, headers=auth(manager)).json()["items"] == []


def test_a_one_off_window_must_end_after_the_version_takes_effect(client, manager) -> None:
    windows = {
        "oneOff": [
            {
                "start": f"{later(1)}T08:00:00+01:00",
                "end": f"{later(1)}T09:00:00+01:00",
                "description": "too early",
            }
        ]
    }
    r = client.post(
        URL, headers=auth(manager), json=body(effectiveFrom=later(10), maintenanceWindows=windows)
    )
    assert r.status_code == 400
    assert [p["name"] for p in r.json()["invalidParams"]] == ["maintenanceWindows.oneOff.0.end"]
    assert client.get(URL, headers=auth(manager)).json()["items"] == []


def test_current_refuses_a_moment_without_zone(client, reader) -> None:
    r = client.get(CURRENT, headers=auth(reader), params={"at": "2027-01-01T12:00:00"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "at"


def test_a_new_version_is_audited(client, manager, tenant) -> None:
    created = client.post(URL, headers=auth(manager), json=body()).json()
    audited = records(tenant.id, "services_dap_version")
    assert len(audited) == 1
    entry = audited[0]
    assert entry["action"] == "create" and entry["entity"]["id"] == created["id"]
    assert entry["changes"]["effective_from"]["after"] == created["effectiveFrom"]
    recipients = entry["changes"]["report_recipients"]["after"]
    assert recipients[0]["email"] == "anna@gemeente.example.nl"


def test_a_retried_create_replays_and_adds_one_version(client, manager) -> None:
    headers = auth(manager, **{"Idempotency-Key": "dap-v1"})
    first = client.post(URL, headers=headers, json=body())
    again = client.post(URL, headers=headers, json=body())
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert len(client.get(URL, headers=auth(manager)).json()["items"]) == 1
    assert client.post(URL, headers=headers, json=body(notes="other")).status_code == 422


def test_another_tenant_sees_nothing(client, manager) -> None:
    created = client.post(URL, headers=auth(manager), json=body()).json()
    other = make_token(make_tenant(), MANAGER)
    r = client.get(f"{URL}/{created['id']}", headers=auth(other))
    # The same answer as for an id that does not exist: nothing of the DAP leaks.
    assert r.status_code == 404 and "anna" not in r.text
    assert client.get(URL, headers=auth(other)).json()["items"] == []
    assert client.get(CURRENT, headers=auth(other)).status_code == 404
    assert client.post(URL, headers=auth(other), json=body()).json()["version"] == 1


def test_reading_needs_dap_read_and_adding_dap_manage(client, tenant, reader) -> None:
    reporter = make_token(tenant, [tickets.REPORT])
    for url in (URL, CURRENT):
        assert client.get(url, headers=auth(reporter)).status_code == 403
    assert client.post(URL, headers=auth(reader), json=body()).status_code == 403
    assert client.get(URL, headers=auth(reader)).json()["items"] == []


def test_roles_hold_the_dap_permissions() -> None:
    roles.wire()
    readers = {
        Role.service_level_manager,
        Role.kpi_viewer,
        Role.key_user,
        Role.product_owner,
        Role.client_admin,
        Role.auditor,
        Role.agent_line_1,
        Role.agent_line_2,
        Role.agent_line_3,
        Role.problem_manager,
    }
    assert {r for r in Role if dap.READ in ROLE_PERMISSIONS[r]} == readers
    managers = {Role.service_level_manager, Role.client_admin}
    assert {r for r in Role if dap.MANAGE in ROLE_PERMISSIONS[r]} == managers


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def windows_between(tenant, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    with unit_of_work(tenant.id, read_only=True) as session:
        return public.maintenance_windows(session, start=start, end=end)


def test_weekly_windows_follow_amsterdam_time_over_both_dst_switches(
    client, manager, tenant
) -> None:
    window = weekly(("sunday", "01:00", "04:00"), ("tuesday", "18:00", "22:00"))
    assert (
        client.post(URL, headers=auth(manager), json=body(maintenanceWindows=window)).status_code
        == 201
    )
    year = today().year + 1
    spring, autumn = last_sunday(year, 3), last_sunday(year, 10)
    got = windows_between(
        tenant, utc(spring, 0) - timedelta(days=6), utc(spring, 0) + timedelta(days=3)
    )
    before, after = spring - timedelta(days=5), spring + timedelta(days=2)
    assert got == [
        (utc(before, 17), utc(before, 21)),  # Tuesday 18:00-22:00 CET
        (utc(spring, 0), utc(spring, 2)),  # 01:00 CET to 04:00 CEST: two hours
        (utc(after, 16), utc(after, 20)),  # Tuesday 18:00-22:00 CEST
    ]
    got = windows_between(tenant, utc(autumn, 0) - timedelta(days=1), utc(autumn, 12))
    # 01:00 CEST (23:00 UTC the day before) to 04:00 CET (03:00 UTC): four hours.
    assert got == [(utc(autumn, 0) - timedelta(hours=1), utc(autumn, 3))]


def test_windows_are_clipped_merged_and_come_from_the_version_in_effect(
    client, manager, tenant
) -> None:
    start = today() + timedelta(days=(1 - today().weekday()) % 7 + 7)  # a Tuesday, 1-2 weeks on
    local = datetime.combine(start, datetime.min.time(), ZONE)
    one_off = {
        "start": (local + timedelta(hours=21)).isoformat(),
        "end": (local + timedelta(hours=23, minutes=30)).isoformat(),
        "description": "Overrun of the release",
    }
    first = {**weekly(("tuesday", "18:00", "22:00")), "oneOff": [one_off]}
    client.post(URL, headers=auth(manager), json=body(maintenanceWindows=first))
    switch = (start + timedelta(days=7)).isoformat()
    for day in ("thursday", "friday"):  # the same date twice: the highest number wins
        client.post(
            URL,
            headers=auth(manager),
            json=body(effectiveFrom=switch, maintenanceWindows=weekly((day, "06:00", "07:00"))),
        )
    got = windows_between(tenant, local + timedelta(hours=19), local + timedelta(days=14))
    weekdays = [b.astimezone(ZONE).strftime("%A") for b, _ in got]
    assert weekdays == ["Tuesday", "Friday"]
    tuesday, friday = got
    # Clipped at the start asked for, and merged with the overlapping one-off window.
    assert tuesday == (local + timedelta(hours=19), local + timedelta(hours=23, minutes=30))
    assert friday[1] - friday[0] == timedelta(hours=1)
    assert windows_between(tenant, local, local) == []
    with pytest.raises(ValueError):
        windows_between(tenant, datetime(2027, 1, 1), datetime(2027, 1, 2))


def test_report_recipients_come_from_the_version_in_effect(client, manager, tenant) -> None:
    people = [
        {"name": "Anna", "email": "anna@x.example", "reports": ["monthly-sla", "quarterly"]},
        {"name": "Bram", "email": "bram@x.example", "reports": ["monthly-sla"]},
        {"name": "Carla", "email": "carla@x.example", "reports": ["quarterly"]},
        {"name": "Anna again", "email": "ANNA@x.example", "reports": ["monthly-sla"]},
    ]
    client.post(URL, headers=auth(manager), json=body(reportRecipients=people))
    newer = [{"name": "Dirk", "email": "dirk@x.example", "reports": ["monthly-sla"]}]
    client.post(
        URL, headers=auth(manager), json=body(effectiveFrom=later(5), reportRecipients=newer)
    )
    with unit_of_work(tenant.id, read_only=True) as session:
        monthly = public.report_recipients(session, report="monthly-sla")
        assert monthly == [
            public.Recipient(name="Anna", email="anna@x.example"),
            public.Recipient(name="Bram", email="bram@x.example"),
        ]
        assert [r.name for r in public.report_recipients(session, report="quarterly")] == [
            "Anna",
            "Carla",
        ]
        assert public.report_recipients(session, report="weekly") == []
        on = today() + timedelta(days=5)
        assert [r.name for r in public.report_recipients(session, report="monthly-sla", on=on)] == [
            "Dirk"
        ]
    with unit_of_work(make_tenant().id, read_only=True) as session:
        assert public.report_recipients(session, report="monthly-sla") == []
