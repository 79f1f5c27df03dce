"""The conversation on a ticket: public replies and internal notes, and what they move."""

from __future__ import annotations

from typing import Any

from tests.factories import auth, make_token
from tickets import permissions as p


def say(desk, ticket: dict[str, Any], body: str, token: str, **extra: Any) -> Any:
    return desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(token),
        json={"body": body, **extra},
    )


def read(desk, ticket: dict[str, Any], token: str, **params: Any) -> Any:
    return desk.client.get(
        f"/api/v1/tickets/{ticket['id']}/messages", headers=auth(token), params=params
    )


def bodies(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [m["body"] for m in response.json()["items"]]


def test_reporter_never_sees_internal_notes(desk) -> None:
    ticket = desk.report()
    r = say(desk, ticket, "Suspect the nightly import.", desk.agent, visibility="internal")
    assert r.status_code == 201 and r.json()["visibility"] == "internal"
    assert say(desk, ticket, "We are looking into it.", desk.agent).status_code == 201
    assert bodies(read(desk, ticket, desk.reporter)) == ["We are looking into it."]
    reader = make_token(desk.tenant, [p.READ])
    assert bodies(read(desk, ticket, reader)) == [
        "Suspect the nightly import.",
        "We are looking into it.",
    ]
    r = say(desk, ticket, "My own note", desk.reporter, visibility="internal")
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = say(desk, ticket, "Not mine", reader)
    assert r.status_code == 403


def test_reporters_reply_returns_a_ticket_that_waited_for_information(desk) -> None:
    ticket = desk.report()
    desk.act(ticket, "transitions", {"status": "in-progress"})
    desk.act(ticket, "transitions", {"status": "needs-information", "reason": "Which case?"})
    r = say(desk, ticket, "Case 2024-17.", desk.reporter)
    assert r.status_code == 201 and r.json()["byReporter"] is True
    assert desk.get(ticket)["status"] == "in-progress"
    history = desk.history(ticket)
    replied = next(e for e in history if e["kind"] == "replied")
    assert replied["data"] == {"messageId": r.json()["id"], "byReporter": True}
    assert "Case 2024-17." not in str(history)  # the body never enters the history
    assert history[-1]["reason"] == "The reporter supplied information"


def test_agents_first_public_reply_is_the_response(desk) -> None:
    ticket = desk.report()
    say(desk, ticket, "Internal first look", desk.agent, visibility="internal")
    assert desk.get(ticket)["respondedAt"] is None  # a note is no answer to the reporter
    say(desk, ticket, "Thanks, we are on it.", desk.agent)
    first = desk.get(ticket)["respondedAt"]
    assert first is not None
    say(desk, ticket, "Still on it.", desk.agent)
    assert desk.get(ticket)["respondedAt"] == first
    kinds = [e["kind"] for e in desk.history(ticket)]
    assert kinds.count("responded") == 1 and kinds.count("replied") == 2


def test_messages_are_paged_oldest_first(desk) -> None:
    ticket = desk.report()
    for n in range(5):
        say(desk, ticket, f"message {n}", desk.agent)
    r = read(desk, ticket, desk.reporter, limit=2)
    seen = bodies(r)
    while r.json()["nextCursor"]:
        r = read(desk, ticket, desk.reporter, limit=2, cursor=r.json()["nextCursor"])
        seen += bodies(r)
    assert seen == [f"message {n}" for n in range(5)]


def test_invalid_messages_are_400_listing_the_field(desk) -> None:
    ticket = desk.report()
    r = say(desk, ticket, "", desk.agent, visibility="secret")
    assert r.status_code == 400
    assert {i["name"] for i in r.json()["invalidParams"]} == {"body", "visibility"}


def test_other_tenants_and_other_reporters_learn_nothing(desk, other) -> None:
    ticket = desk.report()
    say(desk, ticket, "Private to this tenant", desk.agent)
    for token in (other.agent, other.reporter, make_token(desk.tenant, [p.REPORT])):
        r = read(desk, ticket, token)
        assert r.status_code == 404 and "Private" not in r.text
        r = say(desk, ticket, "Hello?", token)
        assert r.status_code == 404
    assert bodies(read(desk, ticket, desk.agent)) == ["Private to this tenant"]
