"""An outage recorded from a monitoring incident: its moments, overrides, once, and isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.availability import permissions as availability
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.tickets.helpers import AGENT, Desk
from tickets import permissions as tickets


@pytest.fixture
def keeper(desk) -> str:
    """An agent who also records outages."""
    return make_token(desk.tenant, [*AGENT, availability.READ, availability.MANAGE])


def from_incident(desk: Desk, ticket: dict, token: str, json: dict | None = None, **headers):
    return desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/outages",
        headers=auth(token, **headers),
        json={} if json is None else json,
    )


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_an_open_incident_gives_an_ongoing_outage_from_when_it_occurred(desk, keeper) -> None:
    ticket = desk.report()
    r = from_incident(desk, ticket, keeper)
    assert r.status_code == 201, r.text
    outage = r.json()
    assert outage["incidentId"] == ticket["id"] and outage["ongoing"] is True
    assert moment(outage["start"]) == moment(ticket["occurredAt"])
    assert outage["description"] == f"Outage reported by incident {ticket['number']}"
    assert outage["scope"] == "application" and outage["attributable"] is True
    assert r.headers["location"] == f"/api/v1/outages/{outage['id']}"
    got = desk.client.get(f"/api/v1/outages/{outage['id']}", headers=auth(keeper))
    assert got.status_code == 200 and got.json() == outage
    assert [e["action"] for e in records(desk.tenant.id, "services_availability_outage")] == [
        "create"
    ]


def test_a_resolved_incident_gives_an_outage_ending_when_it_was_resolved(desk, keeper) -> None:
    ticket = desk.report()
    r = desk.act(ticket, "transitions", {"status": "resolved", "resolution": "Restarted."})
    assert r.status_code == 200, r.text
    resolved = desk.get(ticket)
    outage = from_incident(desk, ticket, keeper).json()
    assert outage["ongoing"] is False
    assert moment(outage["end"]) == moment(resolved["resolvedAt"])


def test_the_body_overrides_what_the_incident_says(desk, keeper) -> None:
    ticket = desk.report()
    start = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    body = {
        "start": start.isoformat(),
        "attributable": False,
        "cause": "internet",
        "scope": "platform",
        "description": None,  # null keeps the incident's description
    }
    r = from_incident(desk, ticket, keeper, body)
    assert r.status_code == 201, r.text
    outage = r.json()
    assert moment(outage["start"]) == start and outage["scope"] == "platform"
    assert outage["attributable"] is False and outage["cause"] == "internet"
    assert outage["description"].endswith(ticket["number"])
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    r = from_incident(desk, desk.report(), keeper, {"end": future})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "end"


def test_a_second_outage_from_the_same_incident_is_409(desk, keeper) -> None:
    ticket = desk.report()
    assert from_incident(desk, ticket, keeper).status_code == 201
    again = from_incident(desk, ticket, keeper)
    assert (
        again.status_code == 409 and again.json()["title"] == "The incident already has an outage"
    )
    listed = desk.client.get("/api/v1/outages", headers=auth(keeper)).json()["items"]
    assert len(listed) == 1


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer(desk, keeper) -> None:
    ticket = desk.report()
    first = from_incident(desk, ticket, keeper, **{"Idempotency-Key": "from-incident"})
    again = from_incident(desk, ticket, keeper, **{"Idempotency-Key": "from-incident"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()


def test_only_incidents_report_outages(desk, keeper) -> None:
    r = desk.client.post(
        "/api/v1/tickets",
        headers=auth(desk.reporter),
        json={"type": "question", "title": "How do I export?", "description": "Where is it?"},
    )
    assert from_incident(desk, r.json(), keeper).status_code == 422


def test_it_needs_the_permission_to_manage_outages(desk) -> None:
    ticket = desk.report()
    assert from_incident(desk, ticket, desk.agent).status_code == 403
    # Managing outages is not enough to see every ticket: a reporter sees only their own.
    outsider = make_token(desk.tenant, [tickets.REPORT, availability.MANAGE])
    assert from_incident(desk, ticket, outsider).status_code == 404


def test_another_tenants_user_gets_404_for_the_ticket(desk, other) -> None:
    ticket = desk.report()
    stranger = make_token(other.tenant, [*AGENT, availability.READ, availability.MANAGE])
    r = from_incident(desk, ticket, stranger)
    assert r.status_code == 404 and ticket["number"] not in r.text
    assert desk.client.get("/api/v1/outages", headers=auth(stranger)).json()["items"] == []
