"""The improvement pages: the client's product owner orders the backlog with plain forms on
the version the board showed, decides proposals and accepts realised items; the item page
shows its source, progress, changes and KPI before and after; another tenant's item stays
unknown. People sign in through the real OpenID provider."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.changes.helpers import Desk as ChangeDesk
from tests.core.test_web_signin import csrf_of, web_tenant
from tests.factories import auth, make_tenant
from tests.regie.test_web_tickets import form_of
from tests.services.improvements import Register
from tests.support.web_people import directories, signed_in


@pytest.fixture(scope="module")
def idp():
    """The client's directory: its product owner, a problem manager and a line-1 agent."""
    provider = directories(
        {
            "olga": ("Olga de Wit", ["product-owner"]),
            "pia": ("Pia Bakker", ["problem-manager"]),
            "aad": ("Aad Visser", ["agent-line-1"]),
        }
    )
    yield provider
    provider.stop()


@pytest.fixture
def tenant(idp, monkeypatch):
    return web_tenant(idp, monkeypatch)


@pytest.fixture
def people(app, idp, tenant) -> dict[str, TestClient]:
    return signed_in(app, idp, tenant, "olga", "pia", "aad")


@pytest.fixture
def reg(client, tenant) -> Register:
    return Register(client, tenant)


def titles(html: str) -> list[str]:
    """The backlog's titles, top to bottom."""
    backlog = html.split('id="backlog"', 1)[1].split("</ol>", 1)[0]
    return re.findall(r'<a href="/improvements/[^"]+">([^<]+)</a>', backlog)


def order(reg: Register) -> list[str]:
    return [i["title"] for i in reg.order().json()["items"]]


def move_form(html: str, item: dict, direction: str) -> dict[str, str]:
    """The hidden fields of one of the item's move buttons."""
    action = f"/improvements/{item['id']}/moves"
    blocks = re.findall(rf'<form method="post" action="{re.escape(action)}".*?</form>', html, re.S)
    block = next(b for b in blocks if f'class="move-{direction}"' in b)
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', block))


def test_the_product_owner_reorders_the_backlog_with_buttons(people, reg) -> None:
    a, b, c = (reg.propose(title=t) for t in ("Alpha", "Bravo", "Charlie"))
    olga = people["olga"]
    board = olga.get("/improvements").text
    assert titles(board) == ["Alpha", "Bravo", "Charlie"]
    assert 'href="/improvements"' in board  # the nav link
    moved = olga.post(f"/improvements/{c['id']}/moves", data=move_form(board, c, "up"))
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"#item-{c['id']}")
    assert order(reg) == ["Alpha", "Charlie", "Bravo"]
    board = olga.get("/improvements").text
    olga.post(f"/improvements/{b['id']}/moves", data=move_form(board, b, "top"))
    assert order(reg) == ["Bravo", "Alpha", "Charlie"]
    board = olga.get("/improvements").text
    olga.post(f"/improvements/{b['id']}/moves", data=move_form(board, b, "down"))
    assert order(reg) == ["Alpha", "Bravo", "Charlie"]
    assert titles(olga.get("/improvements").text) == ["Alpha", "Bravo", "Charlie"]
    assert a["id"] in board


def test_a_stale_board_changes_nothing_and_says_so(people, reg) -> None:
    _a, b, c = (reg.propose(title=t) for t in ("Alpha", "Bravo", "Charlie"))
    olga = people["olga"]
    board = olga.get("/improvements").text
    first = move_form(board, c, "top")
    second = move_form(board, b, "down")  # the same version, seen before the first move
    assert olga.post(f"/improvements/{c['id']}/moves", data=first).status_code == 303
    stale = olga.post(f"/improvements/{b['id']}/moves", data=second)
    assert stale.status_code == 412 and "text/html" in stale.headers["content-type"]
    assert "Door iemand anders gewijzigd" in stale.text and "Er is niets gewijzigd" in stale.text
    assert order(reg) == ["Charlie", "Alpha", "Bravo"]
    english = olga.post(f"/improvements/{b['id']}/moves?lang=en", data=second)
    assert english.status_code == 412 and "Nothing was changed" in english.text


def test_the_product_owner_accepts_a_proposal_with_a_reason(people, reg) -> None:
    item = reg.propose(title="Alpha")
    olga = people["olga"]
    board = olga.get("/improvements").text
    hidden = form_of(board, f"/improvements/{item['id']}/decisions")
    blank = olga.post(
        f"/improvements/{item['id']}/decisions?lang=en",
        data={**hidden, "decision": "accepted", "reason": " "},
    )
    assert blank.status_code == 400 and 'id="decision-reason-error"' in blank.text
    assert reg.get(item).json()["status"] == "proposed"
    done = olga.post(
        f"/improvements/{item['id']}/decisions",
        data={**hidden, "decision": "accepted", "reason": "Scheelt tijd"},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/improvements#")
    got = reg.get(item).json()
    assert got["status"] == "accepted" and got["decisionReason"] == "Scheelt tijd"
    again = olga.post(
        f"/improvements/{item['id']}/decisions",
        data={**hidden, "decision": "rejected", "reason": "Toch niet"},
    )
    assert again.status_code == 412 and reg.get(item).json()["status"] == "accepted"


def test_the_supplier_side_neither_orders_nor_decides(people, reg) -> None:
    a, b = reg.propose(title="Alpha"), reg.propose(title="Bravo")
    pia = people["pia"]
    board = pia.get("/improvements").text
    assert titles(board) == ["Alpha", "Bravo"]
    assert "/moves" not in board and "/decisions" not in board
    form = move_form(people["olga"].get("/improvements").text, b, "up")
    refused = pia.post(f"/improvements/{b['id']}/moves", data=form)
    assert refused.status_code == 403 and order(reg) == ["Alpha", "Bravo"]
    assert a["id"] in board


def test_the_item_page_shows_progress_changes_and_the_kpi_before_and_after(
    people, reg, client, tenant
) -> None:
    item = reg.propose(title="Fewer tickets", kpi="opened", baseline=10.0, target=5.0)
    desk = ChangeDesk(client, tenant)
    change, linker = desk.create(), desk.writer
    linked = client.post(
        f"/api/v1/changes/{change['id']}/realises",
        headers=auth(linker),
        json={"improvementId": item["id"]},
    )
    assert linked.status_code == 200, linked.text
    pia, olga = people["pia"], people["olga"]
    address = f"/improvements/{item['id']}"
    page = pia.get(address).text
    assert change["number"] in page and "Opened tickets" not in page  # Dutch by default
    assert "Aangemaakte meldingen" in page and "10" in page
    note = {**form_of(page, f"{address}/notes"), "text": "Gestart"}
    noted = pia.post(f"{address}/notes", data=note)
    assert noted.status_code == 303
    assert "Gestart" in olga.get(address).text
    assert reg.decide(item).status_code == 200
    for step in ("in-progress", "realised"):
        assert reg.to(item, step).status_code == 200
    page = olga.get(f"{address}?lang=en").text
    hidden = form_of(page, f"{address}/evaluation?lang=en")
    wrong = olga.post(f"{address}/evaluation?lang=en", data={**hidden, "before": "x", "after": "y"})
    assert wrong.status_code == 400 and 'id="evaluate-before-error"' in wrong.text
    done = olga.post(
        f"{address}/evaluation?lang=en", data={**hidden, "before": "2025-01", "after": "2025-02"}
    )
    assert done.status_code == 303
    assert reg.get(item).json()["status"] == "evaluated"
    page = olga.get(f"{address}?lang=en").text
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in page
    assert "Target reached" in page and "2025-01" in page and "2025-02" in page
    table = page.split('<table class="evaluation">', 1)[1].split("</table>", 1)[0]
    assert "Baseline" in table and "Target" in table and ">5<" in table and ">10<" in table


def test_the_source_is_linked_and_another_tenants_item_is_not_found(people, reg, client) -> None:
    theirs = Register(client, make_tenant()).propose(title="Elders")
    olga, aad = people["olga"], people["aad"]
    r = olga.get(f"/improvements/{theirs['id']}")
    assert r.status_code == 404 and "Elders" not in r.text
    assert olga.get("/improvements/nonsense").status_code == 404
    mine = reg.propose(title="Eigen")
    form = {"csrf": csrf_of(olga.get("/improvements").text), "version": "1", "before": mine["id"]}
    moved = olga.post(f"/improvements/{theirs['id']}/moves", data=form)
    assert moved.status_code == 404 and "Elders" not in moved.text
    month = reg.propose(
        title="Respons", sourceKind="sla-breach-trend", sourceMonth="2025-03", kpi="response"
    )
    page = olga.get(f"/improvements/{month['id']}").text
    assert 'href="/service-levels?period=2025-03"' in page
    assert 'href="/improvements"' not in aad.get("/").text
    assert aad.get("/improvements").status_code == 403


def test_the_supplier_moves_an_item_along_and_the_board_filters_by_status(people, reg) -> None:
    item, other = reg.propose(title="Alpha"), reg.propose(title="Bravo")
    assert reg.decide(item).status_code == 200
    assert reg.decide(other, "rejected").status_code == 200
    pia = people["pia"]
    address = f"/improvements/{item['id']}"
    page = pia.get(f"{address}?lang=en").text
    assert '<option value="planned">Planned</option>' in page
    hidden = form_of(page, f"{address}/transitions?lang=en")
    moved = pia.post(f"{address}/transitions", data={**hidden, "status": "planned"})
    assert moved.status_code == 303 and reg.get(item).json()["status"] == "planned"
    refused = pia.post(f"{address}/transitions", data={**hidden, "status": "in-progress"})
    assert refused.status_code == 412 and reg.get(item).json()["status"] == "planned"
    rejected = pia.get("/improvements?status=rejected").text
    assert "Bravo" in rejected and "Alpha" not in rejected
    planned = pia.get("/improvements?status=planned").text
    assert titles(planned) == ["Alpha"]
