"""The work queue: supplier agents see open tickets of every client that granted them access,
in one list; a client's own people see only their own tenant."""

from __future__ import annotations

from sqlmodel import select

from core.db import unit_of_work
from core.identity.models import Grant
from core.identity.roles import Role
from core.types import utcnow
from tests.factories import auth, grant_staff, make_tenant
from tests.tickets.helpers import Desk


def _queue(client, token: str, **params) -> list[tuple[str, str]]:
    r = client.get("/api/v1/queue", params=params, headers=auth(token))
    assert r.status_code == 200, r.text
    return [(i["tenant"], i["ticket"]["number"]) for i in r.json()["items"]]


def test_an_agent_sees_one_queue_across_the_clients_that_granted_access(
    client, idp, supplier
) -> None:
    a, b, c = (Desk(client, make_tenant()) for _ in range(3))
    low_a = a.report(impact="low", urgency="low")
    urgent_b = b.report(impact="high", urgency="high")
    high_c = c.report(impact="high", urgency="medium")
    waiting = a.report(impact="high", urgency="high")
    a.act(waiting, "transitions", {"status": "waiting-reporter", "reason": "Screenshot?"})
    grant_staff(a.tenant, idp)
    grant_staff(b.tenant, idp)
    token = idp.token(idp.supplier_dir, idp.agent)
    assert _queue(client, token) == [
        (b.tenant.slug, urgent_b["number"]),
        (a.tenant.slug, low_a["number"]),
    ]
    assert (c.tenant.slug, high_c["number"]) not in _queue(client, token)
    # A client's own agent sees only the client's tickets, whoever else is in the queue.
    assert _queue(client, a.agent) == [(a.tenant.slug, low_a["number"])]


def test_the_queue_interleaves_clients_by_priority_then_age_and_keeps_the_first(
    client, idp, supplier
) -> None:
    a, b = Desk(client, make_tenant()), Desk(client, make_tenant())
    high_a = a.report(impact="high", urgency="medium")
    b.report(impact="low", urgency="low")
    high_b = b.report(impact="high", urgency="medium")
    urgent_a = a.report(impact="high", urgency="high")
    urgent_b = b.report(impact="high", urgency="high")
    grant_staff(a.tenant, idp)
    grant_staff(b.tenant, idp)
    token = idp.token(idp.supplier_dir, idp.agent)
    first = [
        (a.tenant.slug, urgent_a["number"]),
        (b.tenant.slug, urgent_b["number"]),
        (a.tenant.slug, high_a["number"]),
        (b.tenant.slug, high_b["number"]),
    ]
    for limit in (4, 3, 2, 1):
        assert _queue(client, token, limit=limit) == first[:limit]


def test_a_revoked_grant_takes_the_client_out_of_the_queue_at_once(client, idp, supplier) -> None:
    a = Desk(client, make_tenant())
    ticket = a.report()
    grant_staff(a.tenant, idp)
    token = idp.token(idp.supplier_dir, idp.agent)
    assert _queue(client, token) == [(a.tenant.slug, ticket["number"])]
    with unit_of_work(a.tenant.id) as session:
        for grant in session.exec(select(Grant)):
            grant.revoked_at = utcnow()
    assert _queue(client, token) == []


def test_a_grant_without_ticket_work_shows_nothing(client, idp, supplier) -> None:
    a = Desk(client, make_tenant())
    a.report()
    grant_staff(a.tenant, idp, Role.kpi_viewer)
    assert _queue(client, idp.token(idp.supplier_dir, idp.agent)) == []


def test_the_queue_needs_the_right_to_work_tickets(desk) -> None:
    r = desk.client.get("/api/v1/queue", headers=auth(desk.reporter))
    assert r.status_code == 403
