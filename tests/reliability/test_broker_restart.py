"""A restarted Redis stops no delivery: the same worker and scheduler, never restarted by the
test, deliver the outbox again within seconds after each restart of the broker."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from tests.fixtures import wait_for
from tests.reliability.conftest import Stack
from tests.reliability.ledger import Ledger, Writer
from tests.reliability.test_faults import issue_key, pending

pytestmark = pytest.mark.reliability
RESTARTS, RESUME_SECONDS = 3, 20.0


def restart_redis_while_jobs_run(stack: Stack) -> None:
    """Restart Redis while the worker holds delivered, unacknowledged jobs.

    The scheduler asks for a drain every second; with the tenant table locked those drains
    wait, so the broker goes away under running jobs, the case that used to stop the worker.
    """
    with psycopg.connect(stack.owner_url) as conn:
        conn.execute("LOCK TABLE core_tenant IN ACCESS EXCLUSIVE MODE")
        time.sleep(2.5)
        stack.redis.restart()
        time.sleep(0.5)


def test_the_outbox_is_delivered_again_after_every_redis_restart(stack: Stack) -> None:
    tenant_id, token = issue_key(stack)
    for name in ("api", "worker", "beat"):
        stack.start(name)
    writer = Writer(stack.base, token, Ledger(), threading.Event())
    waits = []
    for _ in range(RESTARTS):
        restart_redis_while_jobs_run(stack)
        started = time.monotonic()
        ticket = writer.create()
        assert ticket, "the API did not acknowledge a ticket after the restart"
        try:
            wait_for(lambda: pending(stack, tenant_id) == 0, RESUME_SECONDS, "outbox delivery")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{stack.log_tails(40)}") from None
        waits.append(round(time.monotonic() - started, 1))
        mails = stack.query(
            tenant_id, "SELECT count(*) FROM tickets_mail WHERE ticket_id = %s", ticket
        )
        assert mails == [(1,)]
    print("\nbroker restarts: seconds until the outbox was delivered again:", waits)
    alive = {name: stack.procs[name].poll() for name in ("worker", "beat")}
    assert alive == {"worker": None, "beat": None}, stack.log_tails(40)
