"""Jobs sent after commit: a gathered job is sent once for a burst of commits, to run after
the last of them, and never for a transaction rolled back."""

from __future__ import annotations

import time
import uuid

import pytest

from changes.calendar import REFRESH
from core import jobs
from core.db import unit_of_work


def _commit(*args: str, seconds: float) -> None:
    with unit_of_work(None) as session:
        jobs.enqueue_gathered(session, REFRESH, *args, seconds=seconds)


def test_a_burst_of_commits_sends_a_gathered_job_once_to_run_after_them(sent) -> None:
    # A tenant that does not exist: the worker that runs these finds nothing to rewrite.
    tenant, other = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(3):
        _commit(tenant, seconds=0.5)
    with pytest.raises(RuntimeError), unit_of_work(None) as session:
        jobs.enqueue_gathered(session, REFRESH, other, seconds=0.5)
        raise RuntimeError("rolled back")
    assert sent == [(REFRESH, [tenant], 0.5)]

    _commit(other, seconds=0.5)  # other arguments are another job
    assert sent[1:] == [(REFRESH, [other], 0.5)]
    time.sleep(0.6)  # the one sent is due: the next commit needs its own
    _commit(tenant, seconds=0.5)
    assert sent[2:] == [(REFRESH, [tenant], 0.5)]
