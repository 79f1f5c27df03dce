"""KPI figures over the API: a hand-built month with known outcomes, periods, evidence and
its paging, the same bytes for client and supplier, the overview and the yearly assessment,
and what another tenant gets to see."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity.roles import Role
from services.kpi import public
from services.kpi.figures import p90
from tests.factories import auth, grant_staff, make_tenant, make_token
from tests.services.kpi_month import VIEWER, build_november, exclude
from tests.support.statements import counted
from tests.tickets.helpers import Desk

URL = "/api/v1/kpis"
AMS = ZoneInfo("Europe/Amsterdam")


def figures(client, token: str, period: str = "2026-11", **headers: str) -> dict:
    r = client.get(URL, params={"period": period}, headers=auth(token, **headers))
    assert r.status_code == 200, r.text
    return r.json()


def evidence(client, token: str, kpi: str, **params) -> list[tuple[str, str, str | None]]:
    r = client.get(
        f"{URL}/evidence", params={"period": "2026-11", "kpi": kpi, **params}, headers=auth(token)
    )
    assert r.status_code == 200, r.text
    return [(i["number"], i["outcome"], i["reason"]) for i in r.json()["items"]]


# --- periods -----------------------------------------------------------------------------------


def test_periods_start_and_end_at_local_midnight() -> None:
    month = public.parse_period("2026-11")
    assert (month.kind, month.start, month.end) == (
        "month",
        datetime(2026, 10, 31, 23, tzinfo=UTC),  # CET: UTC+1
        datetime(2026, 11, 30, 23, tzinfo=UTC),
    )
    summer = public.parse_period("2026-07")
    assert summer.start == datetime(2026, 6, 30, 22, tzinfo=UTC)  # CEST: UTC+2
    quarter = public.parse_period("2026-Q4")
    assert quarter.kind == "quarter" and len(quarter.months) == 3
    assert (quarter.start, quarter.end) == (
        datetime(2026, 9, 30, 22, tzinfo=UTC),
        datetime(2026, 12, 31, 23, tzinfo=UTC),
    )
    year = public.parse_period("2026")
    assert year.kind == "year" and len(year.months) == 12
    assert year.end == datetime(2026, 12, 31, 23, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-13", "2026-Q5", "26", "2026-1", "november", "2026-11-01"])
def test_a_bad_period_is_refused(text) -> None:
    with pytest.raises(InvalidInput):
        public.parse_period(text)


def test_a_bad_period_is_400_naming_it(client) -> None:
    token = make_token(make_tenant(), VIEWER)
    r = client.get(URL, params={"period": "2026-13"}, headers=auth(token))
    assert r.status_code == 400
    assert r.headers["content-type"] == "application/problem+json"
    assert [p["name"] for p in r.json()["invalidParams"]] == ["period"]


def test_p90_is_the_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([3.0]) == 3.0
    assert p90([float(i) for i in range(1, 11)]) == 9.0  # ceil(9.0) = 9th of 10
    assert p90([float(i) for i in range(1, 12)]) == 10.0  # ceil(9.9) = 10th of 11


# --- the hand-built month ------------------------------------------------------------------------


def test_the_month_gives_exactly_its_figures(client, desk) -> None:
    month = build_november(desk)
    exclude(client, desk, month.tickets["G"])
    body = figures(client, make_token(desk.tenant, VIEWER))
    assert body["period"] == "2026-11"
    assert body["agreement"]["isDefault"] is True
    # Response: A, C and H met; B missed; D paused, E rejected, F a question, G excluded.
    assert _clock(body["response"]) == (75.0, 3, 1, 95.0, False)
    # Restore: A met and B missed on the platform; H, of the application, met there.
    assert _clock(body["restorePlatform"]) == (50.0, 1, 1, 95.0, False)
    assert _clock(body["restoreApplication"]) == (100.0, 1, 0, 95.0, True)
    assert body["response"]["evidence"] == f"{URL}/evidence?period=2026-11&kpi=response"
    # No outages: all 21 working days of 8.5 h were available.
    assert body["availability"] == {
        "value": 100.0,
        "serviceSeconds": 21 * 8.5 * 3600,
        "downtimeSeconds": 0.0,
        "norm": 99.4,
        "meetsNorm": True,
        "evidence": ["/api/v1/availability?month=2026-11"],
    }
    assert body["opened"] == {
        "evidence": f"{URL}/tickets?period=2026-11&set=opened",
        "total": 7,
        "byType": {
            "incident": 6,
            "service-request": 0,
            "question": 1,
            "change-request": 0,
            "onboarding": 0,
            "offboarding": 0,
        },
        "byPriority": {"urgent": 6, "high": 0, "medium": 0, "low": 1},
        "byLine": {"1": 1, "2": 1, "3": 0, "third-party": 0, "none": 5},
    }
    # Open at the end: C (8 h old), D (14 h) and the question F (26 days 14 h).
    assert body["backlog"] == {
        "evidence": f"{URL}/tickets?period=2026-11&set=backlog",
        "count": 3,
        "byPriority": {"urgent": 2, "high": 0, "medium": 0, "low": 1},
        "byAge": {"0-7": 2, "8-30": 1, "31-90": 0, ">90": 0},
        "meanAgeDays": 9.17,
    }
    # Platform restore in business hours: A 1, B 8.5 (H restores the application).
    assert {k: body["restoreTime"][k] for k in ("count", "meanHours", "p90Hours")} == {
        "count": 2,
        "meanHours": 4.75,
        "p90Hours": 8.5,
    }
    finished = f"{URL}/tickets?period=2026-11&set=finished"
    assert body["firstLineResolution"] == {
        "value": 33.33,
        "part": 1,
        "whole": 3,
        "evidence": finished,
    }
    assert body["reopened"] == {"value": 25.0, "part": 1, "whole": 4, "evidence": finished}


def test_without_the_exclusion_the_ticket_counts(client, desk) -> None:
    month = build_november(desk)
    token = make_token(desk.tenant, VIEWER)
    body = figures(client, token)
    assert _clock(body["response"])[:3] == (60.0, 3, 2)  # G missed its response
    assert _clock(body["restorePlatform"])[:3] == (33.33, 1, 2)  # G: 3.5 h of 2
    assert _clock(body["restoreApplication"])[:3] == (100.0, 1, 0)
    assert body["opened"]["total"] == 8
    rows = evidence(client, token, "response")
    assert (month.number("G"), "missed", None) in rows


def test_the_evidence_lists_every_ticket_considered_in_number_order(client, desk) -> None:
    month = build_november(desk)
    exclusion_id = exclude(client, desk, month.tickets["G"])
    token = make_token(desk.tenant, VIEWER)
    n = month.number
    assert evidence(client, token, "response") == [
        (n("A"), "met", None),
        (n("B"), "missed", None),
        (n("C"), "met", None),
        (n("D"), "excluded", "paused at period end"),
        (n("E"), "excluded", "not attributable"),
        (n("F"), "excluded", "other type"),
        (n("G"), "excluded", "excluded by agreement"),
        (n("H"), "met", None),
    ]
    assert [row[1:] for row in evidence(client, token, "restore-platform")][2:4] == [
        ("excluded", "running at period end"),
        ("excluded", "paused at period end"),
    ]
    r = client.get(
        f"{URL}/evidence",
        params={"period": "2026-11", "kpi": "response"},
        headers=auth(token),
    )
    g = r.json()["items"][6]
    assert g["exclusionId"] == exclusion_id and g["notes"][0]["state"] == "accepted"
    assert g["decidedAt"] == "2026-11-04T09:00:00Z"  # breached at 10:00 local
    # The figures and the evidence are the same rows.
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        period = public.parse_period("2026-11")
        rows = public.evidence_rows(session, period=period, kpi="response")
    assert [r.number for r in rows] == [n(x) for x in "ABCDEFGH"]


def test_the_evidence_pages_by_ticket_number(client, desk) -> None:
    month = build_november(desk)
    token = make_token(desk.tenant, VIEWER)
    seen, cursor, pages = [], None, 0
    while True:
        params = {"period": "2026-11", "kpi": "restore-platform", "limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = client.get(f"{URL}/evidence", params=params, headers=auth(token))
        assert r.status_code == 200, r.text
        seen += [i["number"] for i in r.json()["items"]]
        cursor, pages = r.json()["nextCursor"], pages + 1
        if cursor is None:
            break
    assert pages == 3 and seen == [month.number(x) for x in "ABCDEFGH"]
    bad = client.get(
        f"{URL}/evidence",
        params={"period": "2026-11", "kpi": "restore-platform", "cursor": "nonsense"},
        headers=auth(token),
    )
    assert bad.status_code == 400


def test_a_quarter_and_a_year_hold_the_month(client, desk) -> None:
    build_november(desk)
    token = make_token(desk.tenant, VIEWER)
    month = figures(client, token)
    for period in ("2026-Q4", "2026"):
        body = figures(client, token, period)
        assert body["response"] == {**month["response"], "evidence": body["response"]["evidence"]}
        assert body["opened"] == {**month["opened"], "evidence": body["opened"]["evidence"]}
        assert body["opened"]["evidence"] == f"{URL}/tickets?period={period}&set=opened"
    october = figures(client, token, "2026-10")
    assert october["response"]["value"] is None and october["response"]["meetsNorm"] is None
    assert october["opened"]["total"] == 0 and october["backlog"]["count"] == 0


def test_a_running_months_backlog_is_as_old_as_it_is_now(client, desk) -> None:
    desk.report()  # opened just now, in the month that is still running
    now = datetime.now(UTC).astimezone(AMS)
    body = figures(client, make_token(desk.tenant, VIEWER), f"{now:%Y-%m}")
    # Measured now, not at the month's end (which would make it days old).
    assert body["backlog"]["count"] == 1 and body["backlog"]["byAge"]["0-7"] == 1
    assert body["backlog"]["meanAgeDays"] == 0.0


def test_the_yearly_assessment_sums_the_months(client, desk) -> None:
    build_november(desk)
    token = make_token(desk.tenant, VIEWER)
    r = client.get(f"{URL}/assessment", params={"year": 2026}, headers=auth(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert [m["period"] for m in body["months"]] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert body["response"] == {
        "value": 60.0,
        "met": 3,
        "missed": 2,
        "norm": 95.0,
        "meetsNorm": False,
    }
    months = body["months"]
    assert body["availability"]["serviceSeconds"] == sum(
        m["availability"]["serviceSeconds"] for m in months
    )
    assert body["availability"]["value"] == 100.0 and len(body["availability"]["evidence"]) == 12
    assert body["months"][10]["response"]["met"] == 3
    assert (
        client.get(f"{URL}/assessment", params={"year": 20}, headers=auth(token)).status_code == 400
    )


# --- the same figures for client and supplier ------------------------------------------------


def test_client_and_supplier_read_byte_identical_figures(client, desk, idp, supplier) -> None:
    build_november(desk)
    grant_staff(desk.tenant, idp, Role.service_level_manager)
    viewer = make_token(desk.tenant, VIEWER)
    manager = idp.token(idp.supplier_dir, idp.agent)
    tenant = {"Regie-Tenant": desk.tenant.slug}
    for path, params in (
        (URL, {"period": "2026-11"}),
        (f"{URL}/evidence", {"period": "2026-11", "kpi": "response"}),
        (f"{URL}/assessment", {"year": 2026}),
    ):
        ours = client.get(path, params=params, headers=auth(viewer))
        theirs = client.get(path, params=params, headers=auth(manager, **tenant))
        assert ours.status_code == theirs.status_code == 200, theirs.text
        assert ours.content == theirs.content


def test_the_overview_shows_only_tenants_one_may_read(client, idp, supplier) -> None:
    a, b, c = (Desk(client, make_tenant()) for _ in range(3))
    build_november(a)
    b.report()
    grant_staff(a.tenant, idp, Role.service_level_manager)
    grant_staff(b.tenant, idp, Role.kpi_viewer)
    grant_staff(c.tenant, idp, Role.agent_line_1)  # works tickets there, reads no KPIs
    manager = idp.token(idp.supplier_dir, idp.agent)
    # The supplier's own directory gives the agent no KPI role; act in a client's tenant.
    r = client.get(
        f"{URL}/overview",
        params={"period": "2026-11"},
        headers=auth(manager, **{"Regie-Tenant": a.tenant.slug}),
    )
    assert r.status_code == 200, r.text
    rows = {row["tenant"]: row for row in r.json()["items"]}
    assert set(rows) == {a.tenant.slug, b.tenant.slug}
    assert rows[a.tenant.slug]["response"] == 60.0 and rows[a.tenant.slug]["opened"] == 8
    # A client's own viewer sees their tenant alone.
    own = client.get(
        f"{URL}/overview", params={"period": "2026-11"}, headers=auth(make_token(c.tenant, VIEWER))
    )
    assert [row["tenant"] for row in own.json()["items"]] == [c.tenant.slug]


def test_the_overview_costs_the_same_few_statements_per_client(client, idp, supplier) -> None:
    """Fifty clients must not mean fifty times a transaction and a dozen queries each: the
    overview reads every client in one transaction, a fixed handful of statements apiece."""
    manager = idp.token(idp.supplier_dir, idp.agent)
    desks = [Desk(client, make_tenant()) for _ in range(3)]
    for desk in desks:
        desk.report()
    sent: list[int] = []
    for count in (1, 3):
        for desk in desks[len(sent) : count]:
            grant_staff(desk.tenant, idp, Role.kpi_viewer)
        with counted() as seen:
            r = client.get(
                f"{URL}/overview",
                params={"period": "2026-11"},
                headers=auth(manager, **{"Regie-Tenant": desks[0].tenant.slug}),
            )
        assert r.status_code == 200, r.text
        assert len(r.json()["items"]) == count
        sent.append(len(seen))
    per_client = (sent[1] - sent[0]) / 2
    assert per_client <= 5, sent  # 8.5 when each client had its own transaction and counts


def test_another_tenant_sees_none_of_these_tickets(client, desk, other) -> None:
    build_november(desk)
    stranger = make_token(other.tenant, VIEWER)
    for kpi in ("response", "restore-platform", "restore-application"):
        assert evidence(client, stranger, kpi) == []
    body = figures(client, stranger)
    assert body["opened"]["total"] == 0 and body["response"]["met"] == 0
    assert (
        client.get(URL, params={"period": "2026-11"}, headers=auth(desk.agent)).status_code == 403
    )


# --- helpers -------------------------------------------------------------------------------


def _clock(figure: dict) -> tuple:
    return (figure["value"], figure["met"], figure["missed"], figure["norm"], figure["meetsNorm"])


def test_the_tickets_behind_the_counts_are_listed_with_what_is_excluded(client, desk) -> None:
    month = build_november(desk)
    exclusion = exclude(client, desk, month.tickets["G"])
    token = make_token(desk.tenant, VIEWER)
    body = figures(client, token)

    def listed(which: str, **params) -> dict:
        query = {"period": "2026-11", "set": which, **params}
        r = client.get(f"{URL}/tickets", params=query, headers=auth(token))
        assert r.status_code == 200, r.text
        return r.json()

    opened = listed("opened")["items"]
    assert [t["number"] for t in opened] == [month.number(n) for n in "ABCDEFGH"]
    counted = [t for t in opened if t["counted"]]
    assert len(counted) == body["opened"]["total"] == 7
    [left_out] = [t for t in opened if not t["counted"]]
    assert left_out["ticketId"] == month.tickets["G"]["id"]
    assert left_out["exclusionId"] == exclusion
    # Backlog: C, D and F were open at the end. Finished: A, B, E, G and H, G excluded.
    assert [t["number"] for t in listed("backlog")["items"]] == [month.number(n) for n in "CDF"]
    finished = listed("finished")["items"]
    assert [t["number"] for t in finished] == [month.number(n) for n in "ABEGH"]
    counted = [t for t in finished if t["counted"]]
    assert len(counted) == body["reopened"]["whole"] == 4
    assert sum(t["reopened"] for t in counted) == body["reopened"]["part"] == 1
    assert sum(t["firstLine"] for t in counted) == body["firstLineResolution"]["part"] == 1
    page = listed("opened", limit=5)
    rest = listed("opened", limit=5, cursor=page["nextCursor"])
    assert [t["number"] for t in page["items"] + rest["items"]] == [t["number"] for t in opened]
    assert rest["nextCursor"] is None


def test_another_tenant_lists_none_of_these_tickets(client, desk, other) -> None:
    build_november(desk)
    token = make_token(other.tenant, VIEWER)
    for which in ("opened", "finished", "backlog"):
        r = client.get(
            f"{URL}/tickets", params={"period": "2026-11", "set": which}, headers=auth(token)
        )
        assert r.status_code == 200 and r.json()["items"] == []
    bad = client.get(
        f"{URL}/tickets", params={"period": "2026-11", "set": "all"}, headers=auth(token)
    )
    assert bad.status_code == 400


def test_the_headline_of_each_month_is_what_the_full_figures_say(client, desk) -> None:
    month = build_november(desk)
    exclude(client, desk, month.tickets["G"])
    desk.report()  # and one in the month still running
    running = datetime.now(UTC).astimezone(AMS).date().replace(day=1)
    months = [running.replace(year=2026, month=m) for m in (10, 11)] + [running]
    from services.kpi import service
    from services.kpi.figures import month_period

    with unit_of_work(desk.tenant.id, read_only=True) as session:
        full = [service.Headline.of(service.compute(session, month_period(m))) for m in months]
        assert public.headlines(session, months) == full
    assert full[1].response == 75.0 and full[1].opened == 7 and full[1].backlog == 3
    assert full[1].resolved == 3 and full[2].opened >= 1


def test_the_reports_twelve_months_are_the_full_figures_of_each(client, desk) -> None:
    month = build_november(desk)
    exclude(client, desk, month.tickets["G"])
    from services.kpi import service
    from services.kpi.figures import month_period
    from services.reports import data

    november = datetime(2026, 11, 1).date()
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        report = data.kpi_figures(session, november)
        full = [
            data._month(service.compute(session, month_period(m)))
            for m in data.last_twelve(november)
        ]
    assert report.months == full
    assert full[-2].tickets_opened == 0 and full[-1].tickets_resolved == 3
