"""A change-request ticket becomes a change in one step and follows it: waiting while the
change runs, resolved when it is implemented, back in progress when it ends otherwise."""

from __future__ import annotations

import uuid
from datetime import timedelta

from core.db import unit_of_work
from core.identity.permissions import Principal
from services.dap.windows import today
from services.sla import permissions as sla_permissions
from services.sla import service as agreements
from services.sla.public import stored_clocks
from services.sla.schemas import AgreementCreate
from services.sla.terms import TypeName
from tests.audit.helpers import records
from tests.changes.helpers import Desk, plan, window
from tests.factories import auth
from tests.tickets.helpers import Desk as TicketDesk


def _request(client, cab) -> tuple[TicketDesk, dict]:
    desk = TicketDesk(client, cab.tenant)
    ticket = desk.report(
        type="change-request", title="Export to the archive", description="Monthly export"
    )
    return desk, ticket


def _convert(client, cab, ticket, **body):
    return client.post(
        f"/api/v1/tickets/{ticket['id']}/changes",
        headers=auth(cab.writer, **body.pop("headers", {})),
        json={
            "reason": "Asked for by the archivist",
            "serviceIds": cab.services[:1],
            "implementerId": cab.implementer,
            "rollbackPlan": plan(),
            **window(),
            **body,
        },
    )


def test_the_ticket_waits_for_the_change_and_is_resolved_when_implemented(client, cab) -> None:
    desk, ticket = _request(client, cab)
    r = _convert(client, cab, ticket)
    assert r.status_code == 201, r.text
    change = r.json()
    assert change["ticketId"] == ticket["id"] and change["title"] == "Export to the archive"
    assert change["description"] == "Monthly export"
    assert desk.get(ticket)["status"] == "waiting-change"
    waiting = desk.history(ticket)[-1]
    assert waiting["toValue"] == "waiting-change"
    assert waiting["reason"] == f"Waiting for change {change['number']}"
    cab.assess(cab.move(change, "submitted"))
    cab.vote(change, "po"), cab.vote(change, "cm")
    for status in ("scheduled", "implementing"):
        cab.move(change, status)
    assert desk.get(ticket)["status"] == "waiting-change"
    cab.move(change, "implemented")
    resolved = desk.get(ticket)
    assert resolved["status"] == "resolved"
    assert resolved["resolution"] == f"Change {change['number']} implemented"
    # The ticket's own history and audit log say so, as for any transition.
    assert [h["toValue"] for h in desk.history(ticket) if h["kind"] == "status"] == [
        "waiting-change",
        "resolved",
    ]
    updates = [e for e in records(cab.tenant.id, "tickets_ticket") if e["action"] == "update"]
    moves = [u["changes"]["status"] for u in updates if "status" in u["changes"]]
    assert moves[-1] == {"before": "waiting-change", "after": "resolved"}


def test_a_cancelled_change_puts_the_ticket_back_to_work(client, cab) -> None:
    desk, ticket = _request(client, cab)
    change = _convert(client, cab, ticket).json()
    cab.move(change, "cancelled", reason="The archive will be replaced")
    assert desk.get(ticket)["status"] == "in-progress"
    moved = [h for h in desk.history(ticket) if h["kind"] == "status"][-1]
    assert moved["toValue"] == "in-progress"
    assert moved["reason"] == f"Change {change['number']} cancelled"


def test_only_a_change_request_of_this_tenant_becomes_a_change_once(client, cab, other) -> None:
    desk, ticket = _request(client, cab)
    path = f"/api/v1/tickets/{ticket['id']}/changes"
    headers = auth(cab.writer, **{"Idempotency-Key": "from-ticket"})
    body = {"reason": "Needed", "rollbackPlan": plan()}
    first = client.post(path, headers=headers, json=body)
    assert first.status_code == 201, first.text
    replay = client.post(path, headers=headers, json=body)
    assert replay.json()["id"] == first.json()["id"]
    assert _convert(client, cab, ticket).status_code == 409
    incident = desk.report()
    assert _convert(client, cab, incident).status_code == 409
    theirs = TicketDesk(client, other.tenant).report(
        type="change-request", title="T", description="D"
    )
    foreign = _convert(client, cab, theirs)
    assert foreign.status_code == 404 and theirs["number"] not in foreign.text
    # Naming another tenant's ticket in a change's body is refused like an unknown one.
    r = client.post(
        "/api/v1/changes", headers=auth(cab.writer), json=cab.change_body(ticketId=theirs["id"])
    )
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "ticketId"
    assert isinstance(other, Desk)


def _count_change_requests(tenant_id: uuid.UUID) -> None:
    """An agreement in effect from today that runs clocks on change-request tickets."""
    actor = Principal(
        tenant_id=tenant_id,
        actor_id=uuid.uuid4(),
        kind="api_key",
        name="test",
        permissions=frozenset({sla_permissions.MANAGE}),
    )
    data = AgreementCreate(
        effective_from=today(), counted_types=[TypeName.incident, TypeName.change_request]
    )
    with unit_of_work(tenant_id) as session:
        agreements.create_agreement(session, actor, data=data, on=today() - timedelta(days=1))


def _clock_states(tenant_id: uuid.UUID, ticket: dict) -> set[str]:
    with unit_of_work(tenant_id, read_only=True) as session:
        return {c.state for c in stored_clocks(session, ticket_id=uuid.UUID(ticket["id"]))}


def test_the_tickets_sla_clocks_pause_while_it_waits_and_stop_when_implemented(client, cab) -> None:
    _count_change_requests(cab.tenant.id)
    _, ticket = _request(client, cab)
    assert _clock_states(cab.tenant.id, ticket) == {"running"}
    change = _convert(client, cab, ticket).json()
    assert _clock_states(cab.tenant.id, ticket) == {"paused"}
    cab.assess(cab.move(change, "submitted"))
    cab.vote(change, "po"), cab.vote(change, "cm")
    for status in ("scheduled", "implementing", "implemented"):
        cab.move(change, status)
    assert _clock_states(cab.tenant.id, ticket) == {"stopped"}
