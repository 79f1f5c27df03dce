"""Notifications: decided from ticket history, sent through the outbox, mailed over SMTP when
configured and kept in the local mailbox otherwise."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import select

from core.db import unit_of_work
from core.outbox.models import OutboxMessage, OutboxStatus
from core.outbox.service import drain
from tests.factories import auth, make_token
from tests.fixtures import Processes, wait_for
from tickets import notifications
from tickets import permissions as tickets
from tickets.mail import permissions as mail


def mailbox(desk, token: str, **params: Any) -> list[dict[str, Any]]:
    r = desk.client.get("/api/v1/mailbox", headers=auth(token), params=params)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def actor_id(desk, token: str, ticket: dict[str, Any]) -> str:
    """The id of the API key behind `token`, as records name it."""
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(token),
        json={"body": "who am I", "visibility": "internal"},
    )
    return r.json()["author"].rpartition(":")[2]


class Inbox:
    """What an aiosmtpd server on a free local port received."""

    def __init__(self) -> None:
        self.received: list[Any] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.received.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_the_confirmation_holds_the_ticket_number(desk) -> None:
    ticket = desk.report()
    assert drain(desk.tenant.id) >= 1
    [mail_] = mailbox(desk, desk.reporter)
    assert mail_["notice"] == "confirmation" and mail_["delivery"] == "mailbox"
    assert ticket["number"] in mail_["subject"] and ticket["number"] in mail_["body"]
    assert ticket["title"] in mail_["body"] and mail_["ticketNumber"] == ticket["number"]


def test_the_mailbox_shows_only_the_callers_own_mail(desk, other) -> None:
    mine, theirs = desk.report(), desk.report(make_token(desk.tenant, [tickets.REPORT]))
    other.report()
    drain(desk.tenant.id), drain(other.tenant.id)
    assert [m["ticketNumber"] for m in mailbox(desk, desk.reporter)] == [mine["number"]]
    r = desk.client.get(
        "/api/v1/mailbox", headers=auth(desk.reporter), params={"recipientId": theirs["reporterId"]}
    )
    assert r.status_code == 403
    everything = make_token(desk.tenant, [mail.READ_ALL])
    numbers = {m["ticketNumber"] for m in mailbox(desk, everything)}
    assert numbers == {mine["number"], theirs["number"]}  # nothing of the other tenant
    one = mailbox(desk, everything, recipientId=theirs["reporterId"])
    assert [m["ticketNumber"] for m in one] == [theirs["number"]]


def test_replies_and_status_changes_tell_the_other_side(desk) -> None:
    ticket = desk.report()
    agent_id = actor_id(desk, desk.agent, ticket)
    group = desk.group("Service desk", "1")
    desk.client.post(
        f"/api/v1/assignment-groups/{group['id']}/members",
        headers=auth(desk.admin),
        json={"memberId": agent_id, "memberName": "Agent Smith"},
    )
    desk.act(ticket, "assignments", {"groupId": group["id"], "assigneeId": agent_id})
    desk.act(ticket, "transitions", {"status": "needs-information", "reason": "Which case?"})
    desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(desk.reporter),
        json={"body": "Case 2024-17."},
    )
    drain(desk.tenant.id)
    to_reporter = [m["notice"] for m in mailbox(desk, desk.reporter)]
    # Oldest last: confirmation, assigned, needs-information; not the change they made.
    assert to_reporter == ["status", "status", "confirmation"]
    assert "Which case?" in mailbox(desk, desk.reporter)[0]["body"]
    # The agent assigned themselves (not told) and hears of the reporter's reply.
    assert [m["notice"] for m in mailbox(desk, desk.agent)] == ["reply"]


def test_mail_reaches_the_smtp_server_once(desk, smtp_server, configure) -> None:
    inbox, port = smtp_server
    configure(smtp_url=f"smtp://127.0.0.1:{port}")
    r = desk.client.put(
        "/api/v1/mailbox/address", headers=auth(desk.reporter), json={"email": "jan@example.nl"}
    )
    assert r.status_code == 201
    ticket = desk.report()
    drain(desk.tenant.id)
    [envelope] = inbox.received
    assert envelope.rcpt_tos == ["jan@example.nl"]
    sent = message_from_bytes(envelope.content)
    assert ticket["number"] in sent["Subject"] and ticket["title"] in sent.get_payload()
    [kept] = mailbox(desk, desk.reporter)
    assert kept["delivery"] == "smtp" and kept["email"] == "jan@example.nl"
    assert kept["id"] in sent["Message-ID"]
    # The same outbox message handled again (a redelivery after a crash) sends nothing new.
    with unit_of_work(desk.tenant.id) as session:
        message = session.get(OutboxMessage, (desk.tenant.id, uuid.UUID(kept["id"])))
        notifications.deliver(session, message)
    assert len(inbox.received) == 1 and len(mailbox(desk, desk.reporter)) == 1


def test_an_unreachable_smtp_server_keeps_the_notice_for_a_retry(desk, configure) -> None:
    configure(smtp_url=f"smtp://127.0.0.1:{free_port()}")
    desk.client.put(
        "/api/v1/mailbox/address", headers=auth(desk.reporter), json={"email": "jan@example.nl"}
    )
    desk.report()
    assert drain(desk.tenant.id) == 0
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        [message] = session.exec(select(OutboxMessage)).all()
    assert message.status == OutboxStatus.pending and message.attempts == 1
    assert mailbox(desk, desk.reporter) == []  # nothing recorded as sent


def test_changing_the_address_needs_if_match(desk) -> None:
    url, headers = "/api/v1/mailbox/address", auth(desk.agent)
    assert desk.client.get(url, headers=headers).status_code == 404
    assert desk.client.put(url, headers=headers, json={"email": "a@example.nl"}).status_code == 201
    r = desk.client.put(url, headers=headers, json={"email": "b@example.nl"})
    assert r.status_code == 428
    etag = desk.client.get(url, headers=headers).headers["ETag"]
    r = desk.client.put(
        url, headers=auth(desk.agent, **{"If-Match": etag}), json={"email": "b@example.nl"}
    )
    assert r.status_code == 200 and r.json()["email"] == "b@example.nl"
    r = desk.client.put(url, headers=headers, json={"email": "not an address"})
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "email"


def test_an_unset_address_is_a_documented_404(desk) -> None:
    r = desk.client.get("/api/v1/mailbox/address", headers=auth(desk.agent))
    assert r.status_code == 404 and r.headers["Content-Type"] == "application/problem+json"
    doc = desk.client.get("/api/v1/openapi.json").json()
    documented = doc["paths"]["/mailbox/address"]["get"]["responses"]
    assert "application/problem+json" in documented["404"]["content"]


def test_a_real_worker_delivers_the_confirmation(desk, processes: Processes) -> None:
    processes.worker()
    ticket = desk.report()
    wait_for(lambda: len(mailbox(desk, desk.reporter)) == 1, what="the confirmation")
    assert mailbox(desk, desk.reporter)[0]["ticketNumber"] == ticket["number"]
