"""Every CI and relation write is a row: who, what, when; and ?at= answers the past."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from tests.cmdb.helpers import SERVER


def moment() -> str:
    """A moment strictly between two writes."""
    time.sleep(0.02)
    stamp = datetime.now().astimezone().isoformat()
    time.sleep(0.02)
    return stamp


def test_history_lists_every_write_of_the_ci_and_its_relations(cmdb, theirs) -> None:
    ci = cmdb.ci("web-01", SERVER, attributes={"osVersion": "12"})
    changed = cmdb.patch(ci, {"attributes": {"osVersion": "13"}}).json()
    app = cmdb.ci("Portal")
    relation = cmdb.relate(app, "runs-on", ci).json()
    cmdb.client.delete(
        f"/api/v1/ci-relations/{relation['id']}", headers={"Authorization": f"Bearer {cmdb.writer}"}
    )
    r = cmdb.get(f"/api/v1/cis/{ci['id']}/history")
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["kind"] for i in items] == [
        "created",
        "updated",
        "relation-added",
        "relation-removed",
    ]
    assert [i["version"] for i in items[:2]] == [1, 2]
    assert items[0]["state"]["attributes"] == {"osVersion": "12"}
    assert items[1]["state"] == {**changed}
    assert all(i["actor"].startswith("api_key:") for i in items)
    assert items[3]["relation"]["id"] == relation["id"]
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert theirs.get(f"/api/v1/cis/{ci['id']}/history").status_code == 404


def test_at_gives_the_ci_and_its_relations_as_they_stood(cmdb) -> None:
    before = moment()
    host = cmdb.ci("db-01", SERVER, attributes={"osVersion": "12"}, status="planned")
    app = cmdb.ci("Portal")
    first = moment()
    relation = cmdb.relate(app, "runs-on", host).json()
    cmdb.patch(host, {"status": "active", "attributes": {"osVersion": "13"}})
    second = moment()
    path = f"/api/v1/cis/{host['id']}"
    cmdb.client.delete(
        f"/api/v1/ci-relations/{relation['id']}", headers={"Authorization": f"Bearer {cmdb.writer}"}
    )
    third = moment()

    then = cmdb.get(path, at=first).json()
    assert (then["status"], then["attributes"], then["version"]) == (
        "planned",
        {"osVersion": "12"},
        1,
    )
    assert then["relations"] == [] and then["at"] is not None
    later = cmdb.get(path, at=second).json()
    assert (later["status"], later["attributes"]) == ("active", {"osVersion": "13"})
    assert [(e["ciId"], e["direction"]) for e in later["relations"]] == [(app["id"], "incoming")]
    assert cmdb.get(path, at=third).json()["relations"] == []
    assert cmdb.get(path, at=before).status_code == 404
    now = cmdb.get(path)
    assert now.json()["at"] is None and now.headers["ETag"] == '"2"'
    future = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    assert cmdb.get(path, at=future).json()["status"] == "active"
    assert cmdb.get(path, at="2026-12-01T10:00:00").status_code == 400  # no time zone
