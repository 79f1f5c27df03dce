"""How many SQL statements a change's read and a vote send, on PostgreSQL as the app role.

Both answer the change with the conflicts of its window, so both ask the CMDB how its CIs
and those of the changes beside it are related. Counted at the cursor after a warm-up of
each kind, as tests/tickets counts the ticket path: a change that adds a statement to the
approval round trip shows here first."""

from __future__ import annotations

from typing import Any

import pytest

from changes.tasks import refresh_calendar
from tests.changes.helpers import URL, window
from tests.cmdb.helpers import Cmdb
from tests.factories import auth
from tests.support.statements import counted

pytestmark = pytest.mark.postgres


def _assessed(cab: Any, ci: dict[str, Any]) -> dict[str, Any]:
    change = cab.move(cab.create(ciIds=[ci["id"]], causesDowntime=True, **window()), "submitted")
    return cab.assess(change)


def _get(cab: Any, change: dict[str, Any]) -> Any:
    r = cab.client.get(f"{URL}/{change['id']}", headers=auth(cab.reader))
    assert r.status_code == 200, r.text
    return r


def _vote(cab: Any, change: dict[str, Any], etag: str) -> dict[str, Any]:
    r = cab.client.post(
        f"{URL}/{change['id']}/votes",
        headers=auth(cab.token("cm"), **{"If-Match": etag, "Regie-Tenant": cab.tenant.slug}),
        json={"decision": "approve", "reason": "Checked the plan and the window"},
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_a_change_read_and_a_vote_each_send_a_bounded_number_of_statements(client, cab) -> None:
    cmdb = Cmdb(client, cab.tenant)
    host, app = cmdb.ci("host"), cmdb.ci("app")
    assert cmdb.relate(app, "runs-on", host).status_code == 201
    warm, change = _assessed(cab, host), _assessed(cab, app)
    _vote(cab, warm, _get(cab, warm).headers["ETag"])

    with counted() as get:
        etag = _get(cab, change).headers["ETag"]
    with counted() as vote:
        answer = _vote(cab, change, etag)

    assert [c["number"] for c in answer["conflicts"] if c["kind"] == "ci"] == [warm["number"]]
    # A read: the request's transaction setting, the key, the change, then its conflicts: the
    # live changes in its window with the freezes, the CMDB's paths among its CIs and the
    # others', the DAP's maintenance windows (it causes downtime). Was 10 before the CMDB walk
    # took one step instead of two per direction and the DAP's versions came in one
    # statement, 8 before the freezes came with the changes.
    assert len(get) <= 7, get
    # A vote by supplier staff: their standing in their own tenant (its tenant setting), their
    # grants in the request's own transaction (its setting), the change locked, its votes,
    # the update, the vote and its history rows, the conflicts as for a read, one audit
    # append. Was 18 before the tenant's kind came from the cache authentication uses and
    # the conflicts took two statements fewer, 15 before the grants were read in the
    # request's own transaction, 14 before the freezes came with the changes; 13 before its
    # stored calendar entry was asked first (stale here: no worker wrote it; see below).
    assert len(vote) <= 14, vote


def test_a_read_of_a_live_change_whose_entry_is_stored_asks_nothing_more(client, cab) -> None:
    cmdb = Cmdb(client, cab.tenant)
    host, app = cmdb.ci("host"), cmdb.ci("app")
    assert cmdb.relate(app, "runs-on", host).status_code == 201
    beside, change = _assessed(cab, host), _assessed(cab, app)
    computed = _get(cab, change).json()
    refresh_calendar(str(cab.tenant.id))  # the worker writes the entries
    _vote(cab, beside, _get(cab, beside).headers["ETag"])  # warm, as above; live to live

    with counted() as get:
        answer = _get(cab, change).json()
    with counted() as vote:
        voted = _vote(cab, change, f'"{answer["version"]}"')

    assert answer == computed
    assert voted["conflicts"] == answer["conflicts"]
    assert [c["number"] for c in answer["conflicts"] if c["kind"] == "ci"] == [beside["number"]]
    # The request's transaction setting, the key, the change with its entry: the conflicts
    # come with it (7 statements while it is stale, as above).
    assert len(get) <= 3, get
    # The vote: as above, its conflicts read from its entry instead of the three statements
    # that compute them.
    assert len(vote) <= 11, vote
