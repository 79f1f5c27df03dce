"""Writes are checkpointed within seconds by the worker, without waiting for the scheduler:
the window in which entries after the last checkpoint are unprotected stays short."""

from __future__ import annotations

import uuid

from audit import repository
from core.db import unit_of_work
from tests.factories import make_entries, make_tenant
from tests.fixtures import Processes, wait_for


def _signed_size(tenant_id: uuid.UUID) -> int:
    with unit_of_work(tenant_id, read_only=True) as session:
        cp = repository.latest_checkpoint(session)
    return cp.tree_size if cp else 0


def test_a_worker_checkpoints_each_tenant_soon_after_its_writes(processes: Processes) -> None:
    processes.worker()  # and no scheduler: only the prompt checkpoint can sign
    first, second = make_tenant(), make_tenant()
    make_entries(first, 3)
    make_entries(second, 2)
    wait_for(lambda: _signed_size(first.id) == 3, timeout=90, what="a checkpoint at 3")
    wait_for(lambda: _signed_size(second.id) == 2, timeout=30, what="the other tenant's")
    for i in range(5):  # a burst: batched into few checkpoints, the last covering all
        make_entries(first, 1, prefix=f"B{i}-")
    wait_for(lambda: _signed_size(first.id) == 8, timeout=30, what="a checkpoint at 8")
