"""The outbox with a real broker and a real Celery worker process: nothing lost, nothing twice."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import Engine, text
from sqlmodel import select

from core.db import unit_of_work
from core.outbox.models import OutboxMessage, OutboxStatus
from core.outbox.service import publish
from core.settings import get_settings
from tests.factories import make_tenant
from tests.fixtures import Processes, wait_for


@pytest.fixture
def probe_table(owner_engine: Engine):
    """A table for the probe handler's effect, granted to the app role like any other."""
    with owner_engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS test_probe_effect"))
        conn.execute(
            text("CREATE TABLE test_probe_effect (tenant_id VARCHAR(40), message_id VARCHAR(40))")
        )
        if conn.dialect.name == "postgresql":
            role = owner_engine.url.username
            app_role = conn.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE 'regie_test_app'")
            ).scalar()
            assert role != app_role
            conn.execute(text(f"GRANT SELECT, INSERT ON test_probe_effect TO {app_role}"))
    yield
    with owner_engine.begin() as conn:
        conn.execute(text("DROP TABLE test_probe_effect"))


def effects(owner_engine: Engine) -> list[str]:
    with owner_engine.execution_options(sqlite_begin="DEFERRED").connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT message_id FROM test_probe_effect"))]


def statuses(tenant_id: uuid.UUID) -> dict[str, OutboxStatus]:
    with unit_of_work(tenant_id, read_only=True) as session:
        return {str(m.id): m.status for m in session.exec(select(OutboxMessage))}


def publish_probes(tenant_id: uuid.UUID, count: int, sleep: float = 0.0) -> list[str]:
    with unit_of_work(tenant_id) as session:
        return [
            str(publish(session, "test.probe", {"n": i, "sleep": sleep}).id) for i in range(count)
        ]


def test_rolled_back_transaction_publishes_nothing() -> None:
    tenant = make_tenant()
    with pytest.raises(RuntimeError), unit_of_work(tenant.id) as session:
        publish(session, "test.probe", {"n": 1})
        raise RuntimeError("request failed")
    assert statuses(tenant.id) == {}


def test_worker_handles_published_messages_once(
    processes: Processes, probe_table, owner_engine
) -> None:
    a, b = make_tenant(), make_tenant()
    processes.worker()
    ids = publish_probes(a.id, 5) + publish_probes(b.id, 3)
    wait_for(lambda: len(effects(owner_engine)) >= 8, what="8 handled messages")
    time.sleep(1.0)  # would a duplicate delivery show up?
    assert sorted(effects(owner_engine)) == sorted(ids)
    assert set(statuses(a.id).values()) == set(statuses(b.id).values()) == {OutboxStatus.done}


def test_worker_killed_mid_batch_loses_nothing_and_repeats_no_effect(
    processes: Processes, probe_table, owner_engine
) -> None:
    tenant = make_tenant()
    ids = publish_probes(tenant.id, 20, sleep=0.2)
    worker = processes.worker()
    wait_for(lambda: len(effects(owner_engine)) >= 3, what="the batch to be under way")
    processes.kill(worker)  # SIGKILL to the whole process group: no clean shutdown
    done_at_kill = [m for m, s in statuses(tenant.id).items() if s == OutboxStatus.done]
    assert 3 <= len(done_at_kill) < 20, "the kill must land mid-batch"
    # Every committed 'done' has its effect, and no effect exists without its 'done'.
    assert sorted(effects(owner_engine)) == sorted(done_at_kill)

    processes.worker()
    processes.beat()  # the scheduler's poll picks up what the dead worker left
    wait_for(
        lambda: set(statuses(tenant.id).values()) == {OutboxStatus.done},
        timeout=90,
        what="all messages done after restart",
    )
    time.sleep(1.0)
    assert sorted(effects(owner_engine)) == sorted(ids)


def test_failing_handler_is_retried_with_backoff_then_marked_failed() -> None:
    from core.outbox import service

    tenant = make_tenant()
    calls = []

    @service.handler("test.always-fails")
    def fails(session, message) -> None:
        calls.append(message.id)
        raise ValueError("downstream refused")

    try:
        with unit_of_work(tenant.id) as session:
            publish(session, "test.always-fails", {})
        assert service.drain(tenant.id) == 0
        with unit_of_work(tenant.id) as session:
            msg = session.exec(select(OutboxMessage)).one()
        assert (msg.status, msg.attempts) == (OutboxStatus.pending, 1)
        assert "downstream refused" in (msg.last_error or "")
        assert service.drain(tenant.id) == 0 and len(calls) == 1  # not due yet: backing off
        with unit_of_work(tenant.id) as session:
            msg = session.exec(select(OutboxMessage)).one()
            msg.attempts = service.MAX_ATTEMPTS - 1
            msg.available_at = msg.created_at
        service.drain(tenant.id)
        with unit_of_work(tenant.id) as session:
            assert session.exec(select(OutboxMessage)).one().status == OutboxStatus.failed
    finally:
        service.HANDLERS.pop("test.always-fails")


def test_one_drain_takes_a_burst_larger_than_a_batch() -> None:
    from core.outbox import service

    tenant = make_tenant()
    handled: list[int] = []
    service.handler("test.counted")(lambda _session, message: handled.append(message.payload["n"]))
    try:
        with unit_of_work(tenant.id) as session:
            for n in range(7):
                publish(session, "test.counted", {"n": n})
        assert service.drain_due(tenant.id, limit=3) == 7
        assert sorted(handled) == list(range(7))
        assert set(statuses(tenant.id).values()) == {OutboxStatus.done}
    finally:
        service.HANDLERS.pop("test.counted")


def test_a_burst_of_messages_asks_the_broker_for_one_drain(sent) -> None:
    from core.outbox import service

    tenant, other = make_tenant(), make_tenant()
    for _ in range(5):  # five requests, each committing a message
        publish_probes(tenant.id, 1)
    publish_probes(other.id, 2)
    drains = [(name, args) for name, args, _ in sent if name == service.DRAIN_TASK]
    assert drains == [(service.DRAIN_TASK, [str(tenant.id)]), (service.DRAIN_TASK, [str(other.id)])]
    after = get_settings().outbox_drain_after_seconds
    assert {countdown for _, _, countdown in sent} == {after}
    time.sleep(after + 0.1)  # that drain has run: the next needs its own
    publish_probes(tenant.id, 1)
    assert [args for name, args, _ in sent[2:] if name == service.DRAIN_TASK] == [[str(tenant.id)]]
