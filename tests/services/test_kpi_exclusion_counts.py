"""What an accepted exclusion takes out of the counted figures: exactly the excluded ticket's
own contribution to every count of the month of the exclusion, nothing of other months, and
nothing twice for a ticket the figures already leave out."""

from __future__ import annotations

from typing import Any

from tests.factories import auth, make_token
from tests.services.kpi_month import MANAGER, OWNER, VIEWER, build_november, exclude

COUNTS = (
    ("response", "met"),
    ("response", "missed"),
    ("restorePlatform", "met"),
    ("restorePlatform", "missed"),
    ("restoreApplication", "met"),
    ("restoreApplication", "missed"),
    ("opened", "total"),
    ("backlog", "count"),
    ("restoreTime", "count"),
    ("firstLineResolution", "part"),
    ("firstLineResolution", "whole"),
    ("reopened", "part"),
    ("reopened", "whole"),
)


def _figures(client: Any, desk: Any, period: str = "2026-11") -> dict[str, Any]:
    token = make_token(desk.tenant, VIEWER)
    r = client.get("/api/v1/kpis", params={"period": period}, headers=auth(token))
    assert r.status_code == 200, r.text
    return dict(r.json())


def _changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """The counts that changed, by `figure.count`, as after minus before."""
    deltas = {f"{a}.{b}": after[a][b] - before[a][b] for a, b in COUNTS}
    for group in ("byType", "byPriority", "byLine"):
        for key in before["opened"][group].keys() | after["opened"][group].keys():
            was, now = before["opened"][group].get(key, 0), after["opened"][group].get(key, 0)
            deltas[f"opened.{group}.{key}"] = now - was
    return {name: delta for name, delta in deltas.items() if delta}


def _exclude_from(client: Any, desk: Any, ticket: dict[str, Any], month: str) -> None:
    manager, owner = make_token(desk.tenant, MANAGER), make_token(desk.tenant, OWNER)
    body = {"month": month, "subjectKind": "ticket", "subjectId": ticket["id"], "reason": "x"}
    r = client.post("/api/v1/kpis/exclusions", headers=auth(manager), json=body)
    assert r.status_code == 201, r.text
    d = client.post(
        f"/api/v1/kpis/exclusions/{r.json()['id']}/decisions",
        headers=auth(owner, **{"If-Match": r.headers["ETag"]}),
        json={"decision": "accepted", "reason": "Agreed"},
    )
    assert d.status_code == 200, d.text


def test_an_excluded_ticket_leaves_every_count_of_its_month(client, desk) -> None:
    month = build_november(desk)
    before = _figures(client, desk)
    priority = desk.get(month.tickets["G"])["priority"]
    exclude(client, desk, month.tickets["G"])  # G: resolved on 4 November, its response late
    after = _figures(client, desk)
    assert _changes(before, after) == {
        "response.missed": -1,
        "restorePlatform.missed": -1,
        "restoreTime.count": -1,
        "opened.total": -1,
        "opened.byType.incident": -1,
        f"opened.byPriority.{priority}": -1,
        "opened.byLine.none": -1,
        "firstLineResolution.whole": -1,
        "reopened.whole": -1,
    }
    assert after["restoreTime"]["p90Hours"] == before["restoreTime"]["p90Hours"]


def test_an_excluded_open_ticket_leaves_the_backlog(client, desk) -> None:
    month = build_november(desk)
    before = _figures(client, desk)
    exclude(client, desk, month.tickets["C"])  # C: responded in time, open at the month's end
    changes = _changes(before, _figures(client, desk))
    assert changes["backlog.count"] == -1 and changes["response.met"] == -1
    assert changes["opened.total"] == -1 and "reopened.whole" not in changes


def test_a_rejected_ticket_is_not_taken_out_of_the_clocks_twice(client, desk) -> None:
    month = build_november(desk)
    before = _figures(client, desk)
    exclude(client, desk, month.tickets["E"])  # E: rejected, its clocks never counted
    changes = _changes(before, _figures(client, desk))
    assert not any(name.startswith(("response", "restore")) for name in changes)
    assert changes["opened.total"] == -1


def test_an_exclusion_counts_only_in_its_own_month_of_a_quarter(client, desk) -> None:
    month = build_november(desk)
    before = _figures(client, desk, "2026-Q4")
    _exclude_from(client, desk, month.tickets["B"], "2026-10")  # B was decided in November
    assert _figures(client, desk, "2026-Q4") == before
    exclude(client, desk, month.tickets["G"])
    changes = _changes(before, _figures(client, desk, "2026-Q4"))
    assert changes["response.missed"] == -1 and changes["opened.total"] == -1
