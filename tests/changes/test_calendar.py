"""The change calendar: overlapping windows on a shared service and freeze periods are
warnings answered with the change; only an emergency is submitted into a freeze; the
tenant's iCalendar feed opens with a revocable token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from core.identity.roles import Role
from services.dap.windows import ZONE, today
from tests.changes.helpers import URL, Desk, grant, window
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_tenant, make_token
from tests.services.test_dap import MANAGER as DAP_MANAGER
from tests.services.test_dap import body as dap_body

CALENDAR = "/api/v1/change-calendar"
FREEZES = "/api/v1/change-freezes"
TOKENS = "/api/v1/change-calendar/feed-tokens"


def _period(days: int = 10) -> dict[str, str]:
    now = datetime.now(UTC)
    return {"from": now.isoformat(), "to": (now + timedelta(days=days)).isoformat()}


def test_two_changes_on_one_service_in_overlapping_windows_conflict(client) -> None:
    desk = Desk(client, make_tenant())
    times = window(days=3, hours=2)
    first = desk.move(desk.create(**times), "submitted")
    later = window(days=3, hours=4)  # starts together, ends later
    second = desk.move(desk.create(**later), "submitted")
    elsewhere = desk.move(desk.create(serviceIds=desk.services[1:], **times), "submitted")
    draft = desk.create(**times)  # a draft claims no window yet, but is warned
    got = desk.get(first)
    assert got["conflicts"] == [
        {
            "kind": "service",
            "changeId": second["id"],
            "number": second["number"],
            "serviceIds": desk.services[:1],
            "ciIds": None,
            "freezeId": None,
            "name": None,
        }
    ]
    assert desk.get(elsewhere)["conflicts"] == []
    warned = [c["number"] for c in desk.get(draft)["conflicts"]]
    assert warned == [first["number"], second["number"]]
    listed = client.get(URL, headers=auth(desk.reader)).json()["items"]
    assert {c["conflicts"] for c in listed} == {None}  # lists leave the warnings out
    r = client.get(CALENDAR, params=_period(), headers=auth(desk.reader))
    assert r.status_code == 200, r.text
    items = {i["number"]: i for i in r.json()["items"]}
    assert set(items) == {first["number"], second["number"], elsewhere["number"]}
    assert [c["number"] for c in items[second["number"]]["conflicts"]] == [first["number"]]
    assert items[elsewhere["number"]]["conflicts"] == []
    far = _period(1)
    assert client.get(CALENDAR, params=far, headers=auth(desk.reader)).json()["items"] == []


def test_a_freeze_warns_and_only_an_emergency_is_submitted_into_it(client) -> None:
    desk = Desk(client, make_tenant())
    start = datetime.now(UTC) + timedelta(days=2)
    freeze = {
        "name": "Year end",
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(days=5)).isoformat(),
    }
    bad = client.post(
        FREEZES, headers=auth(desk.configurer), json={**freeze, "endsAt": freeze["startsAt"]}
    )
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "endsAt"
    assert client.post(FREEZES, headers=auth(desk.writer), json=freeze).status_code == 403
    made = client.post(FREEZES, headers=auth(desk.configurer), json=freeze)
    assert made.status_code == 201, made.text
    normal = desk.create(**window(days=3))
    assert desk.get(normal)["conflicts"][0]["name"] == "Year end"
    refused = desk.act(normal, "transitions", {"status": "submitted"})
    assert refused.status_code == 409 and refused.json()["type"].endswith("frozen-window")
    emergency = desk.create(type="emergency", **window(days=3))
    assert desk.move(emergency, "submitted")["status"] == "submitted"
    r = client.get(CALENDAR, params=_period(), headers=auth(desk.reader)).json()
    assert [f["name"] for f in r["freezes"]] == ["Year end"]
    lifted = client.delete(f"{FREEZES}/{made.json()['id']}", headers=auth(desk.configurer))
    assert lifted.status_code == 204
    assert desk.move(normal, "submitted")["status"] == "submitted"


def test_the_calendar_period_is_checked(client) -> None:
    desk = Desk(client, make_tenant())
    now = datetime.now(UTC)
    backwards = {"from": now.isoformat(), "to": (now - timedelta(days=1)).isoformat()}
    r = client.get(CALENDAR, params=backwards, headers=auth(desk.reader))
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "to"
    naive = {"from": "2026-12-01T00:00:00", "to": "2026-12-31T00:00:00"}
    r = client.get(CALENDAR, params=naive, headers=auth(desk.reader))
    assert r.status_code == 400
    assert {p["name"] for p in r.json()["invalidParams"]} == {"from", "to"}
    assert client.get(CALENDAR, headers=auth(desk.reader)).status_code == 400


def test_another_tenant_sees_no_window_or_freeze(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    change = desk.move(desk.create(**window(days=3)), "submitted")
    start = datetime.now(UTC) + timedelta(days=1)
    freeze = client.post(
        FREEZES,
        headers=auth(desk.configurer),
        json={
            "name": "Migration weekend",
            "startsAt": start.isoformat(),
            "endsAt": (start + timedelta(days=1)).isoformat(),
        },
    ).json()
    theirs = client.get(CALENDAR, params=_period(), headers=auth(other.reader)).json()
    assert theirs == {"items": [], "freezes": []}
    assert client.get(FREEZES, headers=auth(other.reader)).json()["items"] == []
    gone = client.delete(f"{FREEZES}/{freeze['id']}", headers=auth(other.configurer))
    assert gone.status_code == 404
    # Their change on "the same" window conflicts with nothing of ours.
    mine = other.move(other.create(**window(days=3)), "submitted")
    assert other.get(mine)["conflicts"] == [] and desk.get(change)["conflicts"] == []


def test_the_ical_feed_opens_with_its_token_until_revoked(client) -> None:
    desk, other = Desk(client, make_tenant()), Desk(client, make_tenant())
    change = desk.move(desk.create(**window(days=3)), "submitted")
    desk.create(**window(days=4))  # a draft is not in the feed
    r = client.post(TOKENS, headers=auth(desk.configurer), json={"name": "CAB Outlook"})
    assert r.status_code == 201, r.text
    url = r.json()["feedUrl"]
    path = url[url.index("/calendar-feeds/") :]
    feed = client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == [f"{change['number']} {change['title']}"]
    planned = datetime.fromisoformat(change["plannedStart"]).replace(microsecond=0)
    assert events[0].decoded("DTSTART") == planned  # iCalendar counts whole seconds
    assert str(events[0]["STATUS"]) == "TENTATIVE"
    # Another tenant's tokens never open this feed, and a changed secret opens nothing.
    assert client.get(path[:-3] + "xyz").status_code == 404
    assert client.get(TOKENS, headers=auth(other.configurer)).json()["items"] == []
    token_id = r.json()["id"]
    theirs = client.delete(f"{TOKENS}/{token_id}", headers=auth(other.configurer))
    assert theirs.status_code == 404
    revoked = client.delete(f"{TOKENS}/{token_id}", headers=auth(desk.configurer))
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert client.get(path).status_code == 404
    assert client.get("/calendar-feeds/rgf_nothing").status_code == 404


def test_supplier_staff_see_the_calendars_of_the_clients_that_granted_them(client, cab) -> None:
    second, third = Desk(client, make_tenant()), Desk(client, make_tenant())
    grant(second.tenant, cab.idp, "cm", Role.change_manager)
    ours = cab.move(cab.create(**window(days=2)), "submitted")
    theirs = second.move(second.create(**window(days=1)), "submitted")
    third.move(third.create(**window(days=1)), "submitted")  # granted nothing: never shown
    headers = auth(cab.token("cm"), **{"Regie-Tenant": cab.tenant.slug})
    r = client.get(f"{CALENDAR}/overview", params=_period(), headers=headers)
    assert r.status_code == 200, r.text
    assert [(i["tenant"], i["number"]) for i in r.json()["items"]] == [
        (second.tenant.slug, theirs["number"]),
        (cab.tenant.slug, ours["number"]),
    ]
    # The client's own product owner sees the own calendar only.
    own = client.get(f"{CALENDAR}/overview", params=_period(), headers=auth(cab.token("po")))
    assert [i["tenant"] for i in own.json()["items"]] == [cab.tenant.slug]


def _next(weekday: int, hour: int) -> datetime:
    """The next such weekday (0 = Monday) at the hour, Amsterdam time, at least a day ahead."""
    day = today() + timedelta(days=1)
    day += timedelta(days=(weekday - day.weekday()) % 7)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE)


def test_downtime_outside_the_daps_maintenance_windows_is_a_conflict(client) -> None:
    desk = Desk(client, make_tenant())
    dap = client.post(
        "/api/v1/dap/versions", headers=auth(make_token(desk.tenant, DAP_MANAGER)), json=dap_body()
    )
    assert dap.status_code == 201, dap.text  # weekly on Tuesday 18:00-22:00
    tuesday, wednesday = _next(1, 19), _next(2, 10)
    inside = desk.create(
        causesDowntime=True,
        plannedStart=tuesday.isoformat(),
        plannedEnd=(tuesday + timedelta(hours=2)).isoformat(),
    )
    outside = desk.create(
        causesDowntime=True,
        plannedStart=wednesday.isoformat(),
        plannedEnd=(wednesday + timedelta(hours=1)).isoformat(),
    )
    quiet = desk.create(
        serviceIds=desk.services[1:],
        plannedStart=wednesday.isoformat(),
        plannedEnd=(wednesday + timedelta(hours=1)).isoformat(),
    )
    assert inside["causesDowntime"] is True and inside["conflicts"] == []
    assert [c["kind"] for c in outside["conflicts"]] == ["maintenance-window"]
    assert quiet["conflicts"] == []  # no downtime, no need for a maintenance window
    desk.move(outside, "submitted")  # a warning, not a refusal
    period = {
        "from": datetime.now(UTC).isoformat(),
        "to": (wednesday + timedelta(days=1)).isoformat(),
    }
    items = client.get(CALENDAR, params=period, headers=auth(desk.reader)).json()["items"]
    assert [[c["kind"] for c in i["conflicts"]] for i in items] == [["maintenance-window"]]


def _own(items: list[dict], slug: str) -> list[dict]:
    return [{k: v for k, v in i.items() if k != "tenant"} for i in items if i["tenant"] == slug]


def test_the_overview_answers_each_clients_calendar_with_its_conflicts(client, cab) -> None:
    second = Desk(client, make_tenant())
    grant(second.tenant, cab.idp, "cm", Role.change_manager)
    cmdb = Cmdb(client, cab.tenant)
    host, app = cmdb.ci("host"), cmdb.ci("app")
    assert cmdb.relate(app, "runs-on", host).status_code == 201
    times = window(days=2, hours=3)
    on_host = cab.move(cab.create(ciIds=[host["id"]], **times), "submitted")
    on_app = cab.move(
        cab.create(ciIds=[app["id"]], serviceIds=cab.services[1:], **times), "submitted"
    )
    same_service = cab.move(cab.create(**window(days=2, hours=1)), "submitted")
    start = datetime.now(UTC) + timedelta(days=1)
    freeze = {"name": "Release weekend", "startsAt": start.isoformat()}
    freeze["endsAt"] = (start + timedelta(days=2)).isoformat()
    assert client.post(FREEZES, headers=auth(cab.configurer), json=freeze).status_code == 201
    dap = client.post(
        "/api/v1/dap/versions",
        headers=auth(make_token(second.tenant, DAP_MANAGER)),
        json=dap_body(),
    )
    assert dap.status_code == 201, dap.text  # weekly on Tuesday 18:00-22:00
    wednesday = _next(2, 10)
    down = {"plannedStart": wednesday.isoformat()}
    down["plannedEnd"] = (wednesday + timedelta(hours=1)).isoformat()
    outside = second.move(second.create(causesDowntime=True, **down), "submitted")

    headers = auth(cab.token("cm"), **{"Regie-Tenant": cab.tenant.slug})
    period = {
        "from": datetime.now(UTC).isoformat(),
        "to": (wednesday + timedelta(days=1)).isoformat(),
    }
    r = client.get(f"{CALENDAR}/overview", params=period, headers=headers)
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    found = {i["number"]: {(c["kind"], c["number"]) for c in i["conflicts"]} for i in items}
    assert found[on_host["number"]] == {
        ("ci", on_app["number"]),
        ("service", same_service["number"]),
        ("freeze", None),
    }
    assert found[on_app["number"]] == {("ci", on_host["number"]), ("freeze", None)}
    assert found[outside["number"]] == {("maintenance-window", None)}
    # Each client's part is that client's own calendar, entry for entry.
    for desk in (cab, second):
        own = client.get(CALENDAR, params=period, headers=auth(desk.reader)).json()
        assert _own(items, desk.tenant.slug) == own["items"]
        assert _own(r.json()["freezes"], desk.tenant.slug) == own["freezes"]
