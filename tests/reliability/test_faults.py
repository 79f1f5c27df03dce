"""Faults under a write load, checked against the client's ledger of acknowledged writes.

While writers report, work, message and resolve tickets, the API process and a worker are
killed with SIGKILL and PostgreSQL and Redis are restarted. Afterwards every acknowledged
write is in the database exactly once, no Idempotency-Key made two tickets, every outbox
message took effect once, breach warnings went out once each, and `regie audit verify`
passes. The counts are printed and kept as test properties.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest

from tests.fixtures import wait_for
from tests.reliability.conftest import Stack
from tests.reliability.ledger import Ledger, Writer
from tests.tickets.helpers import AGENT

pytestmark = pytest.mark.reliability
WRITERS, LOAD_SECONDS = 4, 4.0
ASSIGNEE = uuid.uuid4()


def issue_key(stack: Stack) -> tuple[str, str]:
    made = stack.regie("tenant", "create", "faults", "--name", "Fault suite")
    assert made.returncode == 0, made.stderr
    tenant_id = made.stdout.split()[0]
    perms = [f"--permission={p}" for p in AGENT]
    key = stack.regie("apikey", "create", "--tenant", "faults", "--name", "ledger", *perms)
    assert key.returncode == 0, key.stderr
    return tenant_id, key.stdout.strip()


def under_load(stack: Stack, token: str, ledger: Ledger, faults: list[Any]) -> None:
    """Run the writers while each fault is applied in turn, a few seconds of load apart."""
    stop = threading.Event()
    writers = [Writer(stack.base, token, ledger, stop) for _ in range(WRITERS)]
    threads = [threading.Thread(target=w.run) for w in writers]
    for t in threads:
        t.start()
    try:
        for fault in faults:
            time.sleep(LOAD_SECONDS)
            fault()
        time.sleep(LOAD_SECONDS)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)


def kill_api(stack: Stack) -> None:
    stack.kill("api")
    stack.start("api")


def kill_worker_mid_batch(stack: Stack, tenant_id: str) -> None:
    wait_for(lambda: pending(stack, tenant_id) > 0, timeout=20, what="outbox work under way")
    stack.kill("worker")
    time.sleep(1.0)
    stack.start("worker")


def pending(stack: Stack, tenant_id: str) -> int:
    rows = stack.query(tenant_id, "SELECT count(*) FROM core_outbox_message WHERE status <> 'done'")
    return int(rows[0][0])


def drained(stack: Stack, tenant_id: str) -> None:
    try:
        wait_for(lambda: pending(stack, tenant_id) == 0, timeout=90, what="the outbox drained")
    except AssertionError as exc:
        left = stack.query(
            tenant_id,
            "SELECT topic, status, attempts, last_error FROM core_outbox_message "
            "WHERE status <> 'done' LIMIT 5",
        )
        raise AssertionError(f"{exc}: {left}\n{stack.log_tails()}") from None


def lost_and_duplicated(stack: Stack, tenant_id: str, ledger: Ledger) -> dict[str, int]:
    """Compare the ledger with the database, row by row."""
    titles = Counter(
        r[0].removeprefix("Fault ledger ")
        for r in stack.query(tenant_id, "SELECT title FROM tickets_ticket")
    )
    ids = {str(r[0]) for r in stack.query(tenant_id, "SELECT id FROM tickets_ticket")}
    bodies = Counter(
        r[0].removeprefix("Update ")
        for r in stack.query(tenant_id, "SELECT body FROM tickets_message")
    )
    moves = Counter(
        (str(r[0]), r[1], r[2])
        for r in stack.query(
            tenant_id,
            "SELECT ticket_id, from_value, to_value FROM tickets_event WHERE kind = 'status'",
        )
    )
    lost = sum(1 for key, tid in ledger.tickets.items() if tid not in ids or titles[key] != 1)
    lost += sum(1 for key in ledger.messages if bodies[key] == 0)
    lost += sum(1 for move in ledger.transitions if moves[move] == 0)
    return {
        "acknowledged": len(ledger.tickets) + len(ledger.messages) + len(ledger.transitions),
        "lost": lost,
        "duplicates": sum(n - 1 for n in titles.values() if n > 1)
        + sum(n - 1 for n in bodies.values() if n > 1)
        + sum(n - 1 for n in moves.values() if n > 1),
        "found": len(ids) + sum(bodies.values()) + sum(moves.values()),
    }


def outbox_effects(stack: Stack, tenant_id: str) -> dict[str, int]:
    """Each notice message made exactly one mail; each ticket exactly one confirmation."""
    sent = stack.query(
        tenant_id,
        "SELECT m.id, count(x.id) FROM core_outbox_message m LEFT JOIN tickets_mail x "
        "ON x.id = m.id WHERE m.topic = 'tickets.notify' GROUP BY m.id",
    )
    confirmations = stack.query(
        tenant_id,
        "SELECT ticket_id, count(*) FROM tickets_mail WHERE notice = 'confirmation' "
        "GROUP BY ticket_id",
    )
    tickets = stack.query(tenant_id, "SELECT count(*) FROM tickets_ticket")[0][0]
    return {
        "outbox_sent": sum(1 for _, n in sent if n == 1),
        "outbox_missing": sum(1 for _, n in sent if n == 0),
        "outbox_duplicates": sum(n - 1 for _, n in confirmations if n > 1),
        "confirmations_missing": int(tickets) - len(confirmations),
    }


def breach_warnings(stack: Stack, tenant_id: str, tickets: list[str]) -> dict[str, int]:
    """Two sweeps at once, a worker killed while it handles them: each warning sent once."""
    done = stack.python("tests.reliability.backdate", tenant_id, str(ASSIGNEE), *tickets)
    assert done.returncode == 0, done.stderr
    time.sleep(0.5)
    stack.kill("worker")
    stack.start("worker")

    def warned() -> list[tuple[Any, ...]]:
        sql = "SELECT ticket_id, count(*) FROM services_sla_warning GROUP BY ticket_id"
        return stack.query(tenant_id, sql)

    # A sweep the kill cut short stays unacknowledged in Redis; the scheduler's next sweep,
    # once a minute, makes the warnings instead.
    wait_for(lambda: len(warned()) == len(tickets), timeout=90, what="every ticket warned")
    drained(stack, tenant_id)
    warned_now = warned()
    told = dict(
        stack.query(
            tenant_id,
            "SELECT ticket_id, count(*) FROM tickets_mail WHERE notice = 'sla_warning' "
            "GROUP BY ticket_id",
        )
    )
    messages = stack.query(
        tenant_id, "SELECT count(*) FROM core_outbox_message WHERE topic = 'sla.warning'"
    )[0][0]
    return {
        "warnings": sum(n for _, n in warned_now),
        "warned_tickets": len(warned_now),
        "warning_messages": int(messages),
        "warnings_told_wrongly": sum(1 for t, n in warned_now if told.get(t, 0) != n),
    }


def test_no_acknowledged_write_is_lost_or_doubled_under_faults(
    stack: Stack, record_property
) -> None:
    tenant_id, token = issue_key(stack)
    for name in ("api", "worker", "beat"):
        stack.start(name)
    ledger = Ledger()
    under_load(
        stack,
        token,
        ledger,
        [
            lambda: kill_api(stack),
            lambda: kill_worker_mid_batch(stack, tenant_id),
            stack.pg.restart,
            stack.redis.restart,
        ],
    )
    drained(stack, tenant_id)
    counts = {**lost_and_duplicated(stack, tenant_id, ledger), "retried": ledger.retried}
    counts["unacknowledged"] = ledger.unacknowledged
    counts |= outbox_effects(stack, tenant_id)
    fresh = [Writer(stack.base, token, Ledger(), threading.Event()).create() for _ in range(3)]
    counts |= breach_warnings(stack, tenant_id, [t for t in fresh if t])
    verify = stack.regie("audit", "verify")
    counts["audit_verify_exit"] = verify.returncode
    for name, value in counts.items():
        record_property(name, value)
    print("\nfault ledger:", ", ".join(f"{k}={v}" for k, v in counts.items()))
    print("audit verify:", verify.stdout.strip() or verify.stderr.strip())

    summary = f"{counts}; audit: {verify.stdout.strip()} {verify.stderr.strip()}"
    assert counts["acknowledged"] > 0 and counts["lost"] == 0, summary
    assert counts["duplicates"] == 0 and counts["outbox_duplicates"] == 0, summary
    assert counts["outbox_missing"] == 0 and counts["confirmations_missing"] == 0, summary
    assert counts["warned_tickets"] == 3 and counts["warnings_told_wrongly"] == 0, summary
    assert counts["warning_messages"] == counts["warnings"], summary
    assert verify.returncode == 0, summary
