"""SLA breach warnings: each clock warned about once at 75 % and once at 100 % of its target,
the assignee told, the group's manager escalated to at 100 %, also with a real worker.

Timed cases write history with chosen moments (Monday 5 January 2026, default calendar:
Mon-Fri 08:30-17:00 Amsterdam) and run the sweep as of a chosen moment; an urgent incident
has 1 h response, 2 h platform and 4 h application restore targets.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from core.db import unit_of_work
from core.jobs import celery_app
from core.outbox.models import OutboxMessage, OutboxStatus
from core.outbox.service import drain
from services.sla import repository, tasks
from services.sla.models import BreachWarning
from services.sla.warnings import TOPIC, sweep
from tests.factories import auth, make_token
from tests.fixtures import Processes, wait_for
from tests.tickets.test_sla_clocks import ams, clocks, rewrite, status
from tickets.mail import permissions as mail
from tickets.models import Ticket

RESPONSE, PLATFORM, APPLICATION = "response", "restore_platform", "restore_application"
MANAGER_ID, ASSIGNEE_ID = uuid.uuid4(), uuid.uuid4()


def staffed(
    desk, *, manager: bool = True, later: str = "assigned", incident_class: str = "platform"
) -> dict[str, Any]:
    """An urgent incident opened Monday 14:50, in `later` status from 15:30, in a group (with
    a manager) and with an assignee; its confirmation already delivered. It runs the response
    clock and the restore clock of its class."""
    extra = {"managerId": str(MANAGER_ID), "managerName": "M. de Boer"} if manager else {}
    group = desk.group(f"Service desk {uuid.uuid4().hex[:6]}", "1", **extra)
    ticket = desk.report(incidentClass=incident_class)
    rewrite(desk, ticket, ams(5, 14, 50), [status(ams(5, 15, 30), "new", later)])
    with unit_of_work(desk.tenant.id) as session:
        row = session.exec(select(Ticket).where(Ticket.id == uuid.UUID(ticket["id"]))).one()
        row.group_id = uuid.UUID(group["id"])
        row.assignee_id, row.assignee_name = ASSIGNEE_ID, "A. Visser"
    drain(desk.tenant.id)
    return ticket


def run_sweep(desk, now: datetime) -> list[tuple[str, int]]:
    """Sweep the desk's tenant as of `now` and deliver what it queued."""
    with unit_of_work(desk.tenant.id) as session:
        made = [(w.kind, w.threshold) for w in sweep(session, now)]
    drain(desk.tenant.id), drain(desk.tenant.id)  # the warnings, then the notices they queue
    return made


def warnings(desk, ticket: dict[str, Any]) -> list[tuple[str, int]]:
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = repository.warnings(session, uuid.UUID(ticket["id"]))
        return [(w.kind, w.threshold) for w in rows]


def mailbox(desk, recipient: uuid.UUID) -> list[dict[str, Any]]:
    token = make_token(desk.tenant, [mail.READ_ALL])
    r = desk.client.get(
        "/api/v1/mailbox", headers=auth(token), params={"recipientId": str(recipient)}
    )
    assert r.status_code == 200, r.text
    return r.json()["items"]


def escalations(desk, ticket: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in desk.history(ticket) if e["kind"] == "escalation"]


def test_the_75_percent_moment_is_kept_in_business_time(desk) -> None:
    kept = clocks(desk, staffed(desk))
    assert kept[RESPONSE].warn_at == ams(5, 15, 35) and kept[RESPONSE].deadline == ams(5, 15, 50)
    assert kept[PLATFORM].warn_at == ams(5, 16, 20) and kept[PLATFORM].deadline == ams(5, 16, 50)
    assert APPLICATION not in kept
    kept = clocks(desk, staffed(desk, incident_class="application"))
    assert PLATFORM not in kept
    # 3 h of 4: 2 h 10 on Monday until 17:00, the other 50 min on Tuesday from 08:30.
    assert kept[APPLICATION].warn_at == ams(6, 9, 20)
    assert kept[APPLICATION].deadline == ams(6, 10, 20)


def test_each_threshold_warns_once_and_100_percent_escalates_to_the_manager(desk) -> None:
    ticket = staffed(desk)
    assert run_sweep(desk, ams(5, 15, 30)) == []
    assert run_sweep(desk, ams(5, 15, 40)) == [(RESPONSE, 75)]
    assert mailbox(desk, MANAGER_ID) == [] and escalations(desk, ticket) == []
    told = mailbox(desk, ASSIGNEE_ID)
    assert [m["notice"] for m in told] == ["sla_warning"]
    assert "response clock reached 75 %" in told[0]["body"] and ticket["number"] in told[0]["body"]

    assert run_sweep(desk, ams(5, 15, 55)) == [(RESPONSE, 100)]
    [escalation] = escalations(desk, ticket)
    assert escalation["data"]["sla"] == RESPONSE and escalation["data"]["threshold"] == 100
    assert escalation["data"]["escalation"] == "hierarchical"
    [to_manager] = mailbox(desk, MANAGER_ID)
    assert to_manager["notice"] == "escalation" and "100 %" in to_manager["body"]
    assert len(mailbox(desk, ASSIGNEE_ID)) == 2

    # Sweeping again, even much later, warns about the other clock only, and each once.
    assert sorted(run_sweep(desk, ams(7, 12))) == [(PLATFORM, 75), (PLATFORM, 100)]
    assert run_sweep(desk, ams(7, 12)) == [] and run_sweep(desk, ams(9, 12)) == []
    assert len(warnings(desk, ticket)) == 4
    assert len(mailbox(desk, MANAGER_ID)) == 2 and len(mailbox(desk, ASSIGNEE_ID)) == 4
    assert len(escalations(desk, ticket)) == 2


def test_a_paused_ticket_does_not_warn(desk) -> None:
    ticket = staffed(desk, later="waiting-reporter")
    assert {c.warn_at for c in clocks(desk, ticket).values()} == {None}
    assert run_sweep(desk, ams(9, 12)) == []
    assert mailbox(desk, ASSIGNEE_ID) == [] and mailbox(desk, MANAGER_ID) == []


def test_without_a_manager_only_the_assignee_is_told(desk) -> None:
    ticket = staffed(desk, manager=False)
    assert (RESPONSE, 100) in run_sweep(desk, ams(5, 15, 55))
    assert escalations(desk, ticket) == [] and mailbox(desk, MANAGER_ID) == []
    assert [m["notice"] for m in mailbox(desk, ASSIGNEE_ID)] == ["sla_warning"] * 2


def test_another_tenant_sees_no_warning(desk, other) -> None:
    ticket = staffed(desk)
    run_sweep(desk, ams(9, 12))
    assert run_sweep(other, ams(9, 12)) == []
    with unit_of_work(other.tenant.id, read_only=True) as session:
        assert repository.warnings(session, uuid.UUID(ticket["id"])) == []
        assert session.exec(select(BreachWarning)).all() == []
    assert len(warnings(desk, ticket)) == 4


def sla_messages(tenant_id: uuid.UUID) -> list[OutboxMessage]:
    with unit_of_work(tenant_id, read_only=True) as session:
        stmt = select(OutboxMessage).where(OutboxMessage.topic == TOPIC)
        return list(session.exec(stmt.order_by(col(OutboxMessage.id))))


def test_a_real_worker_sweeping_twice_at_once_warns_once_per_threshold(
    desk, processes: Processes
) -> None:
    ticket = staffed(desk)  # both clocks passed both thresholds in January
    processes.worker()
    celery_app.send_task(tasks.WARN_BREACHES)
    celery_app.send_task(tasks.WARN_BREACHES)

    def delivered() -> bool:
        messages = sla_messages(desk.tenant.id)
        done = all(m.status == OutboxStatus.done for m in messages)
        return len(messages) == 4 and done and len(mailbox(desk, MANAGER_ID)) == 2

    wait_for(delivered, timeout=90, what="four warnings delivered")
    celery_app.send_task(tasks.WARN_BREACHES)
    wait_for(lambda: len(mailbox(desk, ASSIGNEE_ID)) >= 4, what="the assignee's notices")
    time.sleep(3.0)  # would a third sweep, or a duplicate delivery, add anything?
    assert len(sla_messages(desk.tenant.id)) == 4
    assert sorted(warnings(desk, ticket)) == sorted(
        (kind, threshold) for kind in (PLATFORM, RESPONSE) for threshold in (75, 100)
    )
    assert len(mailbox(desk, MANAGER_ID)) == 2 and len(mailbox(desk, ASSIGNEE_ID)) == 4
    assert len(escalations(desk, ticket)) == 2
