"""How many SQL statements the ticket path sends per request, on PostgreSQL as the app role.

Each request's statements are counted at the cursor, after a warm-up request of each kind.
The bounds are today's figures: a change that adds a statement to a create or a read shows
here before it shows in a benchmark. (BEGIN and COMMIT are round trips too, one
transaction's worth per read and two per write, but are not sent through a cursor. The pool
checks a connection before use without one: core.db.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import auth
from tests.support.statements import counted
from tests.tickets.helpers import Desk

pytestmark = pytest.mark.postgres

NOTE = {"body": "Checked the application server's logs.", "visibility": "internal"}


def _note(desk: Desk, ticket: dict[str, Any]) -> None:
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", headers=auth(desk.agent), json=NOTE
    )
    assert r.status_code == 201, r.text


def _page(desk: Desk) -> None:
    r = desk.client.get(
        "/api/v1/tickets?status=new&type=incident&limit=50", headers=auth(desk.agent)
    )
    assert r.status_code == 200, r.text
    assert r.json()["items"]


def test_a_create_a_get_a_page_and_a_note_each_send_a_bounded_number_of_statements(
    desk: Desk,
) -> None:
    first = desk.report(desk.agent)
    desk.get(first)
    _page(desk)
    _note(desk, first)

    with counted() as create:
        ticket = desk.report(desk.agent)
    with counted() as get:
        desk.get(ticket)
    with counted() as page:
        _page(desk)
    with counted() as message:
        _note(desk, ticket)

    # A request, a write too, checks the key in its own transaction: tenant setting and
    # statement timeout, the key with its tenant's status, then its work (a write sent a
    # tenant setting more when it checked the key in a transaction before its own).
    # A create: settings, number, ticket, outbox notice, history row, SLA agreement, the
    # facts row and the clocks, one audit append (was 18 before the history was shared by
    # the listeners and a new ticket's clocks and facts were no longer looked up).
    assert len(create) <= 11, create
    assert len(get) <= 3, get
    assert len(page) <= 3, page
    assert len(message) <= 6, message
