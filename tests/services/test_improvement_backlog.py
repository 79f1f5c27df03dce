"""One ordered backlog per client: the product owner orders it against its version (If-Match),
so concurrent moves never overwrite each other, and decides each proposal once."""

from __future__ import annotations

import threading

import pytest

from core.identity.roles import Role
from services.improvement import permissions as p
from tests.audit.helpers import records
from tests.factories import auth, grant_staff, make_token
from tests.services.improvements import PRODUCT_OWNER, URL, Register


@pytest.fixture
def reg(client, desk) -> Register:
    return Register(client, desk.tenant)


def _ids(answer) -> list[str]:
    return [item["id"] for item in answer.json()["items"]]


def _put(reg: Register, ids: list[str], etag: str | None, token: str | None = None):
    headers = auth(token or reg.owner, **({"If-Match": etag} if etag else {}))
    return reg.client.put(f"{URL}/order", headers=headers, json={"itemIds": ids})


def _move(reg: Register, item: dict, etag: str, token: str | None = None, **where):
    headers = auth(token or reg.owner, **{"If-Match": etag})
    return reg.client.post(f"{URL}/{item['id']}/moves", headers=headers, json=where)


def test_the_product_owner_orders_the_whole_backlog(reg) -> None:
    a, b, c = (reg.propose(title=t) for t in "ABC")
    before = reg.order()
    assert before.headers["ETag"] == f'"{before.json()["version"]}"'
    r = _put(reg, [c["id"], a["id"], b["id"]], before.headers["ETag"])
    assert r.status_code == 200, r.text
    assert _ids(r) == [c["id"], a["id"], b["id"]] and _ids(reg.order()) == _ids(r)
    assert [i["rank"] for i in r.json()["items"]] == [1, 2, 3]
    assert reg.get(c).json()["rank"] == 1
    assert records(reg.tenant.id, "services_improvement_backlog")[-1]["action"] == "update"


def test_an_order_names_every_item_once(reg, other) -> None:
    a, b = reg.propose(), reg.propose()
    theirs = Register(reg.client, other.tenant).propose()
    etag = reg.order().headers["ETag"]
    for ids in ([a["id"]], [a["id"], a["id"], b["id"]], [a["id"], b["id"], theirs["id"]]):
        r = _put(reg, ids, etag)
        assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "itemIds"
    assert _ids(reg.order()) == [a["id"], b["id"]]


def test_a_stale_order_is_refused_and_nothing_is_overwritten(reg) -> None:
    a, b, c = (reg.propose(title=t) for t in "ABC")
    seen = reg.order().headers["ETag"]  # both product owners read the same version
    second_owner = make_token(reg.tenant, PRODUCT_OWNER)
    first = _move(reg, c, seen, before=a["id"])
    assert first.status_code == 200 and _ids(first) == [c["id"], a["id"], b["id"]]
    late = _move(reg, a, seen, second_owner, after=b["id"])
    assert late.status_code == 412
    assert _put(reg, [b["id"], a["id"], c["id"]], seen, second_owner).status_code == 412
    assert _ids(reg.order()) == [c["id"], a["id"], b["id"]]
    assert _put(reg, [b["id"], a["id"], c["id"]], None).status_code == 428
    assert _put(reg, [b["id"], a["id"], c["id"]], "*").status_code == 428
    # A new proposal changes the backlog too: an order made without it is stale.
    current = reg.order().headers["ETag"]
    d = reg.propose(title="D")
    assert _move(reg, d, current, before=c["id"]).status_code == 412
    fresh = reg.order().headers["ETag"]
    assert _ids(_move(reg, d, fresh, before=c["id"])) == [d["id"], c["id"], a["id"], b["id"]]


def test_two_moves_at_the_same_moment_never_overwrite_each_other(reg) -> None:
    a, b, c = (reg.propose(title=t) for t in "ABC")
    seen = reg.order().headers["ETag"]
    second_owner = make_token(reg.tenant, PRODUCT_OWNER)
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def move(name: str, item: dict, token: str, **where: str) -> None:
        start.wait()
        answers[name] = _move(reg, item, seen, token, **where).status_code

    threads = [
        threading.Thread(target=move, args=("c-first", c, reg.owner), kwargs={"before": a["id"]}),
        threading.Thread(target=move, args=("a-last", a, second_owner), kwargs={"after": b["id"]}),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == [200, 412]
    winner = next(name for name, status in answers.items() if status == 200)
    expected = {"c-first": [c["id"], a["id"], b["id"]], "a-last": [b["id"], a["id"], c["id"]]}
    assert _ids(reg.order()) == expected[winner]


def test_moves_name_one_other_item_on_the_backlog(reg) -> None:
    a, b = reg.propose(), reg.propose()
    etag = reg.order().headers["ETag"]
    for where in ({}, {"before": b["id"], "after": b["id"]}, {"before": a["id"]}):
        assert _move(reg, a, etag, **where).status_code == 400
    assert _ids(_move(reg, a, etag, after=b["id"])) == [b["id"], a["id"]]
    reg.decide(a, "rejected")
    r = _move(reg, a, reg.order().headers["ETag"], before=b["id"])
    assert r.status_code == 409  # a rejected item is no longer ordered
    assert _ids(reg.order()) == [b["id"]]


def test_only_the_product_owner_orders(reg) -> None:
    a, b = reg.propose(), reg.propose()
    etag = reg.order().headers["ETag"]
    assert _put(reg, [b["id"], a["id"]], etag, reg.supplier).status_code == 403
    both = make_token(reg.tenant, [p.READ, p.PROPOSE, p.PRIORITISE])
    assert _put(reg, [b["id"], a["id"]], etag, both).status_code == 403
    assert _move(reg, a, etag, reg.viewer, after=b["id"]).status_code == 403


def test_a_proposal_is_decided_once_with_a_reason(client, reg) -> None:
    item = reg.propose()
    tag = reg.get(item).headers["ETag"]
    url = f"{URL}/{item['id']}/decisions"
    no_reason = client.post(
        url, headers=auth(reg.owner, **{"If-Match": tag}), json={"decision": "accepted"}
    )
    assert no_reason.status_code == 400 and no_reason.json()["invalidParams"][0]["name"] == "reason"
    r = reg.decide(item, "accepted")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["status"], body["decisionReason"], body["rank"]) == ("accepted", "Worth it", 1)
    assert reg.decide(item, "rejected").status_code == 409
    assert reg.get(item).json()["status"] == "accepted"


def test_a_rejection_takes_the_item_off_the_backlog(reg) -> None:
    item, kept = reg.propose(), reg.propose()
    assert reg.decide(item, "rejected").json()["status"] == "rejected"
    assert _ids(reg.order()) == [kept["id"]]


def test_the_supplier_side_never_decides(reg) -> None:
    item = reg.propose()
    both = make_token(reg.tenant, [p.READ, p.PROPOSE, p.DECIDE])
    decision = {"decision": "accepted", "reason": "Fine by me"}
    assert reg.act(item, "decisions", decision, both).status_code == 403
    assert reg.act(item, "decisions", decision, reg.supplier).status_code == 403
    assert reg.get(item).json()["status"] == "proposed"


def test_a_supplier_person_made_product_owner_still_never_decides(
    client, desk, idp, supplier
) -> None:
    reg = Register(client, desk.tenant)
    item = reg.propose()
    # The client's admin made a supplier's person product owner here too.
    grant_staff(desk.tenant, idp, Role.product_owner)
    person = idp.token(idp.supplier_dir, idp.agent)
    staff = {"Regie-Tenant": desk.tenant.slug, "If-Match": reg.get(item).headers["ETag"]}
    decision = {"decision": "accepted", "reason": "Looks fine"}
    r = client.post(f"{URL}/{item['id']}/decisions", headers=auth(person, **staff), json=decision)
    assert r.status_code == 403, r.text
    assert reg.get(item).json()["status"] == "proposed"
    # Nor does that person order the client's backlog.
    order = reg.order()
    moved = client.put(
        f"{URL}/order",
        headers=auth(
            person, **{"Regie-Tenant": desk.tenant.slug, "If-Match": order.headers["ETag"]}
        ),
        json={"itemIds": [item["id"]]},
    )
    assert moved.status_code == 403, moved.text
