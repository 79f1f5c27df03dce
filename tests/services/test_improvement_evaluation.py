"""Evaluating a realised improvement: the KPI figure before and after is computed by the KPI
package from the tickets (never typed in), and whether the target was reached is recorded."""

from __future__ import annotations

import pytest

from services.improvement import permissions as p
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.services.improvements import URL, Register
from tests.services.kpi_month import build_november, nov, responded, rewrite, status


@pytest.fixture
def reg(client, desk) -> Register:
    return Register(client, desk.tenant)


def _october_missed_response(desk) -> None:
    """One urgent incident of October 2026 whose response came two hours late."""
    ticket = desk.report()
    rewrite(desk, ticket, nov(6, 9, mo=10), [
        status(nov(6, 12, mo=10), "new", "in-progress"),
        responded(nov(6, 12, mo=10)),
        status(nov(6, 13, mo=10), "in-progress", "resolved"),
    ])  # fmt: skip


def _realised(reg: Register, **overrides) -> dict:
    item = reg.propose(**{"kpi": "response", "baseline": 0.0, "target": 50.0, **overrides})
    assert reg.decide(item).status_code == 200
    for step in ("in-progress", "realised"):
        assert reg.to(item, step).status_code == 200
    return item


def _evaluate(reg: Register, item: dict, before: str, after: str, token: str | None = None):
    return reg.client.post(
        f"{URL}/{item['id']}/evaluation",
        headers=auth(token or reg.owner),
        json={"before": before, "after": after},
    )


def _response(reg: Register, period: str) -> float | None:
    r = reg.client.get("/api/v1/kpis", params={"period": period}, headers=auth(reg.owner))
    return r.json()["response"]["value"]


def test_the_figures_come_from_the_kpi_package(desk, reg) -> None:
    _october_missed_response(desk)
    build_november(desk)
    item = _realised(reg)
    r = _evaluate(reg, item, "2026-10", "2026-11")
    assert r.status_code == 201, r.text
    result = r.json()
    assert result["beforeValue"] == _response(reg, "2026-10") == 0.0
    assert result["afterValue"] == _response(reg, "2026-11")
    assert 50.0 <= result["afterValue"] < 95.0  # November as built: better, not at its norm
    assert (result["kpi"], result["target"], result["reached"]) == ("response", 50.0, True)
    assert reg.get(item).json()["status"] == "evaluated"
    got = reg.client.get(f"{URL}/{item['id']}/evaluation", headers=auth(reg.viewer))
    assert got.status_code == 200 and got.json() == result
    history = reg.client.get(f"{URL}/{item['id']}/history", headers=auth(reg.viewer)).json()
    assert [e["kind"] for e in history["items"]][-2:] == ["status", "evaluated"]
    assert len(records(reg.tenant.id, "services_improvement_evaluation")) == 1


def test_a_target_missed_is_recorded_as_missed(desk, reg) -> None:
    build_november(desk)
    item = _realised(reg, target=95.0)
    result = _evaluate(reg, item, "2026-10", "2026-11").json()
    assert result["beforeValue"] is None  # October counted nothing here
    assert (result["afterValue"], result["reached"]) == (_response(reg, "2026-11"), False)
    lower = _realised(reg, kpi="backlog", baseline=5.0, target=2.0)
    result = _evaluate(reg, lower, "2026-10", "2026-11").json()
    backlog = reg.client.get(
        "/api/v1/kpis", params={"period": "2026-11"}, headers=auth(reg.owner)
    ).json()["backlog"]["count"]
    assert result["afterValue"] == backlog and result["reached"] is (backlog <= 2)


def test_only_a_realised_item_with_a_target_is_evaluated_once(reg) -> None:
    item = reg.propose(kpi="response", target=90.0)
    assert _evaluate(reg, item, "2026-09", "2026-10").status_code == 409
    bare = reg.propose(kpi=None, baseline=None, target=None)
    reg.decide(bare)
    reg.to(bare, "in-progress")
    reg.to(bare, "realised")
    assert _evaluate(reg, bare, "2026-09", "2026-10").status_code == 409
    done = _realised(reg)
    assert _evaluate(reg, done, "2026-09", "2026-10").status_code == 201
    assert _evaluate(reg, done, "2026-09", "2026-10").status_code == 409


def test_the_periods_must_be_real_over_and_in_order(reg) -> None:
    item = _realised(reg)
    r = _evaluate(reg, item, "2026-11", "2026-10")
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "before"
    r = _evaluate(reg, item, "2026-10", "2099-01")
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "after"
    r = _evaluate(reg, item, "last month", "soon")
    assert {x["name"] for x in r.json()["invalidParams"]} == {"before", "after"}
    assert _evaluate(reg, item, "2026-10", "2026-11", reg.supplier).status_code == 403
    supplier_deciding = make_token(reg.tenant, [p.READ, p.PROPOSE, p.DECIDE])
    assert _evaluate(reg, item, "2026-10", "2026-11", supplier_deciding).status_code == 403
    assert reg.get(item).json()["status"] == "realised"
