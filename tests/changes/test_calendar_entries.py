"""Stored calendar entries: the calendar answers the same bytes read as stored as computed,
a write makes stale exactly the entries it can alter (and they are computed until the worker
writes them anew), and a rewrite never lands over a write made since it read."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import col, delete, select, update

from changes import repository
from changes.calendar import SHOWN
from changes.models import Change, StoredEntry
from changes.tasks import refresh_calendar, refresh_calendars
from core.db import unit_of_work
from core.identity.roles import Role
from core.tenancy import Tenant
from tests.changes.helpers import Desk, grant, window
from tests.changes.test_calendar import CALENDAR, FREEZES, _next
from tests.cmdb.helpers import Cmdb
from tests.factories import auth, make_tenant, make_token
from tests.services.test_dap import MANAGER as DAP_MANAGER
from tests.services.test_dap import body as dap_body
from tests.support.statements import counted

WEEKS = {
    "from": datetime.now(UTC).isoformat(),
    "to": (datetime.now(UTC) + timedelta(days=15)).isoformat(),
}


def _stale(tenant: Tenant) -> set[str]:
    """The numbers of the shown changes whose entry is not stored."""
    with unit_of_work(tenant.id) as session:
        ids = [s.id for s in repository.stale_entries(session, SHOWN, 1000, unwritten=True)]
        return set(session.exec(select(Change.number).where(col(Change.id).in_(ids))))


def _answer(desk: Desk) -> bytes:
    r = desk.client.get(CALENDAR, params=WEEKS, headers=auth(desk.reader))
    assert r.status_code == 200, r.text
    return r.content


def _stored_answer_is_the_computed_one(desk: Desk) -> bytes:
    """The answer while entries are stale, then after the worker's task stored them: the same
    bytes, read without one stale entry; and so each change's own answer, its conflicts
    then read from its entry."""
    computed = _answer(desk)
    items = json.loads(computed)["items"]
    changes = [desk.get(i) for i in items]
    refresh_calendar(str(desk.tenant.id))
    assert _stale(desk.tenant) == set()
    assert _answer(desk) == computed
    assert [desk.get(i) for i in items] == changes
    return computed


def _forget_entries(tenant: Tenant) -> None:
    """Every entry stale: the calendar computes them all."""
    with unit_of_work(tenant.id) as session:
        session.execute(update(StoredEntry).values(entry=None))


def _conflicts(answer: bytes, change: dict) -> list[tuple[str, str | None]]:
    items = {i["number"]: i for i in json.loads(answer)["items"]}
    return [(c["kind"], c["number"]) for c in items[change["number"]]["conflicts"]]


def test_a_write_makes_stale_the_entries_it_alters_and_the_answer_stays_right(client) -> None:
    desk = Desk(client, make_tenant())
    first = desk.move(desk.create(**window(days=3, hours=2)), "submitted")
    second = desk.move(desk.create(**window(days=3, hours=4)), "submitted")
    beside = desk.move(desk.create(serviceIds=desk.services[1:], **window(days=3)), "submitted")
    later = desk.move(desk.create(**window(days=9)), "submitted")
    answer = _stored_answer_is_the_computed_one(desk)
    assert _conflicts(answer, first) == [("service", second["number"])]

    # Live to live: neither its conflicts nor the others' change; its entry is written anew.
    assessed = desk.assess(first)
    assert _stale(desk.tenant) == set()
    assert assessed["conflicts"] == desk.get(first)["conflicts"] != []
    carried = _answer(desk)
    assert b'"status":"assessed"' in carried
    _forget_entries(desk.tenant)
    assert _stored_answer_is_the_computed_one(desk) == carried

    desk.move(second, "cancelled", reason="Moved to next quarter")  # no longer shown
    # The live entries in its window; not the change a week later.
    assert _stale(desk.tenant) == {first["number"], beside["number"]}
    assert _conflicts(_answer(desk), first) == []  # computed while stale
    _stored_answer_is_the_computed_one(desk)

    refused = desk.act(later, "transitions", {"status": "closed"})
    assert refused.status_code >= 400  # nothing written, nothing stale
    assert _stale(desk.tenant) == set()


def test_a_write_that_carries_its_entry_answers_with_the_entry_it_wrote(client) -> None:
    desk = Desk(client, make_tenant())
    change = desk.move(desk.create(**window(days=3, hours=2)), "submitted")
    desk.move(desk.create(**window(days=3, hours=4)), "submitted")
    refresh_calendar(str(desk.tenant.id))

    with counted() as sent:
        assessed = desk.assess(change)  # live to live: its entry written anew, not made stale

    assert assessed["status"] == "assessed"
    assert assessed["conflicts"] == desk.get(change)["conflicts"] != []
    rewrites = [s for s in sent if s.startswith("UPDATE changes_calendar_entry")]
    read_back = [s for s in sent if s.startswith("SELECT changes_calendar_entry.entry FROM")]
    assert rewrites and not read_back, sent


def test_a_freeze_a_cmdb_relation_and_a_dap_version_make_their_entries_stale(client) -> None:
    desk = Desk(client, make_tenant())
    cmdb = Cmdb(client, desk.tenant)
    host, app = cmdb.ci("host"), cmdb.ci("app")
    times = window(days=2, hours=3)
    on_host = desk.move(desk.create(ciIds=[host["id"]], **times), "submitted")
    on_app = desk.move(
        desk.create(ciIds=[app["id"]], serviceIds=desk.services[1:], **times), "submitted"
    )
    # In the DAP's weekly window (below) once there is a DAP; a week clear of the others.
    tuesday = _next(1, 19) + timedelta(days=7)
    down = {"plannedStart": tuesday.isoformat()}
    down["plannedEnd"] = (tuesday + timedelta(hours=1)).isoformat()
    down_in_window = desk.move(
        desk.create(causesDowntime=True, serviceIds=desk.services[1:], **down), "submitted"
    )
    answer = _stored_answer_is_the_computed_one(desk)
    assert _conflicts(answer, on_host) == []
    assert _conflicts(answer, down_in_window) == [("maintenance-window", None)]  # no DAP yet

    assert cmdb.relate(app, "runs-on", host).status_code == 201
    assert _stale(desk.tenant) == {on_host["number"], on_app["number"]}
    assert _conflicts(_answer(desk), on_host) == [("ci", on_app["number"])]
    _stored_answer_is_the_computed_one(desk)

    start = datetime.fromisoformat(times["plannedStart"]) - timedelta(hours=1)
    freeze = {"name": "Release weekend", "startsAt": start.isoformat()}
    freeze["endsAt"] = (start + timedelta(hours=2)).isoformat()
    made = client.post(FREEZES, headers=auth(desk.configurer), json=freeze)
    assert made.status_code == 201, made.text
    assert _stale(desk.tenant) == {on_host["number"], on_app["number"]}
    assert ("freeze", None) in _conflicts(_answer(desk), on_app)
    _stored_answer_is_the_computed_one(desk)
    lifted = client.delete(f"{FREEZES}/{made.json()['id']}", headers=auth(desk.configurer))
    assert lifted.status_code == 204
    assert ("freeze", None) not in _conflicts(_answer(desk), on_app)
    _stored_answer_is_the_computed_one(desk)

    dap = client.post(
        "/api/v1/dap/versions", headers=auth(make_token(desk.tenant, DAP_MANAGER)), json=dap_body()
    )
    assert dap.status_code == 201, dap.text  # weekly on Tuesday 18:00-22:00
    assert _stale(desk.tenant) == {down_in_window["number"]}
    assert _conflicts(_answer(desk), down_in_window) == []
    _stored_answer_is_the_computed_one(desk)


def test_a_rewrite_never_lands_over_a_write_made_since_it_read(client) -> None:
    desk = Desk(client, make_tenant())
    first = desk.move(desk.create(**window(days=3)), "submitted")
    other = desk.move(desk.create(serviceIds=desk.services[1:], **window(days=8)), "submitted")
    with unit_of_work(desk.tenant.id) as session:
        read = repository.stale_entries(session, SHOWN, 1000)
    assert len(read) == 2
    # After the worker read the epochs, before it wrote: a freeze over the first window.
    start = datetime.fromisoformat(first["plannedStart"])
    freeze = {"name": "Audit", "startsAt": start.isoformat(), "endsAt": first["plannedEnd"]}
    assert client.post(FREEZES, headers=auth(desk.configurer), json=freeze).status_code == 201
    with unit_of_work(desk.tenant.id) as session:
        repository.store_entries(session, [(s.id, s.epoch, '{"old":true}') for s in read])
    assert _stale(desk.tenant) == {first["number"]}  # still stale: computed, never the old
    assert b'"old"' not in _answer(desk)
    with unit_of_work(desk.tenant.id) as session:
        rows = {r.change_id: r for r in session.exec(select(StoredEntry))}
    epochs = {s.id: s.epoch for s in read}
    assert (rows[_id(other)].entry, rows[_id(other)].epoch) == ('{"old":true}', epochs[_id(other)])
    assert (rows[_id(first)].entry, rows[_id(first)].epoch) == (None, epochs[_id(first)] + 1)


def _id(change: dict) -> uuid.UUID:
    return uuid.UUID(change["id"])


def test_the_overview_reads_stored_entries_as_it_computes_them(client, cab) -> None:
    second = Desk(client, make_tenant())
    grant(second.tenant, cab.idp, "cm", Role.change_manager)
    cab.move(cab.create(**window(days=2, hours=3)), "submitted")
    cab.move(cab.create(**window(days=2, hours=1)), "submitted")
    second.move(second.create(**window(days=4)), "submitted")
    headers = auth(cab.token("cm"), **{"Regie-Tenant": cab.tenant.slug})

    def overview() -> bytes:
        r = client.get(f"{CALENDAR}/overview", params=WEEKS, headers=headers)
        assert r.status_code == 200, r.text
        return r.content

    computed = overview()
    for tenant in (cab.tenant, second.tenant):
        refresh_calendar(str(tenant.id))
        assert _stale(tenant) == set()
    assert overview() == computed


def test_the_sweep_writes_entries_never_written_and_forgets_those_no_longer_shown(client) -> None:
    desk = Desk(client, make_tenant())
    kept = desk.move(desk.create(**window(days=3)), "submitted")
    dropped = desk.move(desk.create(**window(days=3)), "submitted")
    assert _conflicts(_answer(desk), kept) == [("service", dropped["number"])]
    desk.move(dropped, "cancelled", reason="Not needed")  # its entry stays stale: not shown
    with unit_of_work(desk.tenant.id) as session:
        session.execute(delete(StoredEntry).where(col(StoredEntry.change_id) == _id(kept)))
    assert _stale(desk.tenant) == {kept["number"]}  # as if loaded in bulk: never written
    refresh_calendar(str(desk.tenant.id))  # a write's refresh reads only what writes marked
    assert _stale(desk.tenant) == {kept["number"]}

    assert refresh_calendars() >= 1  # the periodic sweep, over every tenant
    assert _stale(desk.tenant) == set()
    with unit_of_work(desk.tenant.id) as session:
        rows = {r.change_id for r in session.exec(select(StoredEntry))}
    assert rows == {_id(kept)}
    items = json.loads(_answer(desk))["items"]
    assert [(i["number"], i["conflicts"]) for i in items] == [(kept["number"], [])]
