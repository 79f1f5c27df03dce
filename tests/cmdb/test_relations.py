"""Relations: typed and directed, once each, never to itself, never across tenants."""

from __future__ import annotations

import uuid

from sqlmodel import select

from audit.models import AuditEntry
from core.db import unit_of_work
from tests.cmdb.helpers import SERVER, names
from tests.factories import auth


def test_a_relation_is_typed_directed_and_shown_from_both_ends(cmdb) -> None:
    app, host = cmdb.ci("Portal"), cmdb.ci("web-01", SERVER)
    r = cmdb.relate(app, "runs-on", host)
    assert r.status_code == 201, r.text
    relation = r.json()
    assert (relation["sourceId"], relation["targetId"], relation["type"]) == (
        app["id"],
        host["id"],
        "runs-on",
    )
    seen_from_app = cmdb.get(f"/api/v1/cis/{app['id']}").json()["relations"]
    seen_from_host = cmdb.get(f"/api/v1/cis/{host['id']}").json()["relations"]
    assert [(e["direction"], e["ciId"], e["type"]) for e in seen_from_app] == [
        ("outgoing", host["id"], "runs-on")
    ]
    assert [(e["direction"], e["ciId"]) for e in seen_from_host] == [("incoming", app["id"])]
    assert cmdb.get(f"/api/v1/ci-relations/{relation['id']}").json()["removedAt"] is None


def test_the_same_relation_twice_is_a_conflict_but_another_type_is_not(cmdb) -> None:
    a, b = cmdb.ci("A"), cmdb.ci("B")
    assert cmdb.relate(a, "depends-on", b).status_code == 201
    assert cmdb.relate(a, "depends-on", b).status_code == 409
    assert cmdb.relate(a, "connects-to", b).status_code == 201
    assert cmdb.relate(b, "depends-on", a).status_code == 201  # the other direction


def test_a_ci_cannot_relate_to_itself(cmdb) -> None:
    a = cmdb.ci("A")
    assert names(cmdb.relate(a, "depends-on", a)) == ["targetId"]


def test_another_tenants_ci_is_refused_like_an_unknown_one_and_learns_nothing(cmdb, theirs) -> None:
    mine, foreign = cmdb.ci("Mine"), theirs.ci("Theirs")
    unknown = {"id": str(uuid.uuid4())}
    r_foreign = cmdb.relate(mine, "depends-on", foreign)
    r_unknown = cmdb.relate(mine, "depends-on", unknown)
    assert names(r_foreign) == names(r_unknown) == ["targetId"]
    assert r_foreign.json()["detail"] == r_unknown.json()["detail"]
    assert names(cmdb.relate(foreign, "depends-on", unknown)) == ["sourceId", "targetId"]
    assert theirs.get(f"/api/v1/cis/{foreign['id']}").json()["relations"] == []


def test_removing_a_relation_keeps_it_as_history(cmdb, theirs) -> None:
    a, b = cmdb.ci("A"), cmdb.ci("B")
    relation = cmdb.relate(a, "part-of", b).json()
    path = f"/api/v1/ci-relations/{relation['id']}"
    assert theirs.client.delete(path, headers=auth(theirs.writer)).status_code == 404
    assert theirs.get(path).status_code == 404
    assert cmdb.client.delete(path, headers=auth(cmdb.reader)).status_code == 403
    assert cmdb.client.delete(path, headers=auth(cmdb.writer)).status_code == 204
    assert cmdb.client.delete(path, headers=auth(cmdb.writer)).status_code == 404
    assert cmdb.get(path).json()["removedAt"] is not None
    assert cmdb.get(f"/api/v1/cis/{a['id']}").json()["relations"] == []
    assert cmdb.relate(a, "part-of", b).status_code == 201  # may be made again
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.entity_id == relation["id"]))
        assert sorted(e.action for e in audited) == ["create", "update"]


def test_a_retried_relation_with_the_same_idempotency_key_is_made_once(cmdb) -> None:
    a, b = cmdb.ci("A"), cmdb.ci("B")
    body = {"sourceId": a["id"], "targetId": b["id"], "type": "depends-on"}
    headers = auth(cmdb.writer, **{"Idempotency-Key": "rel-1"})
    first = cmdb.client.post("/api/v1/ci-relations", headers=headers, json=body)
    again = cmdb.client.post("/api/v1/ci-relations", headers=headers, json=body)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()


def test_concurrent_requests_for_one_relation_make_it_once(cmdb) -> None:
    from concurrent.futures import ThreadPoolExecutor

    a, b = cmdb.ci("A"), cmdb.ci("B")
    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(lambda _: cmdb.relate(a, "runs-on", b).status_code, range(4)))
    assert codes == [201, 409, 409, 409]
    assert len(cmdb.get(f"/api/v1/cis/{a['id']}").json()["relations"]) == 1
