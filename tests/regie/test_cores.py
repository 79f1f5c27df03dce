"""`regie serve --pin-workers`: each API worker on a core of its own, none when not asked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

from regie.cores import PIN_WORKERS, pin_to_a_free_core
from tests.fixtures import ROOT, regie_env, wait_for, wait_for_http
from tests.regie.test_up import free_port


def test_workers_share_the_cores_one_each_and_the_rest_stay_free() -> None:
    cores = sorted(os.sched_getaffinity(0))
    env = regie_env(**{PIN_WORKERS: f"test-{uuid.uuid4().hex}"})
    code = "from regie.cores import pin_to_a_free_core as p; print(p(), flush=True); input()"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(len(cores) + 1)
    ]
    try:
        answers = [w.stdout.readline().strip() for w in workers if w.stdout]
        pinned = {w.pid: os.sched_getaffinity(w.pid) for w in workers}
    finally:
        for w in workers:
            w.communicate("\n", timeout=30)
    # One worker more than cores: whichever came last to the locks is not pinned.
    assert sorted(a for a in answers if a != "None") == sorted(str(c) for c in cores)
    assert answers.count("None") == 1
    for worker, answer in zip(workers, answers, strict=True):
        expected = set(cores) if answer == "None" else {int(answer)}
        assert pinned[worker.pid] == expected


def test_nothing_is_pinned_unless_asked(monkeypatch) -> None:
    monkeypatch.delenv(PIN_WORKERS, raising=False)
    before = os.sched_getaffinity(0)
    assert pin_to_a_free_core() is None
    assert os.sched_getaffinity(0) == before


def test_served_workers_are_pinned_to_different_cores(tmp_path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = ["serve", "--port", str(port), "--workers", "2", "--pin-workers"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "regie.cli", *serve],
        cwd=ROOT,
        env=regie_env(REGIE_LOG_LEVEL="info"),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    expected = min(2, len(os.sched_getaffinity(0)))

    def pinned() -> list[dict]:
        lines = (tmp_path / "serve.log").read_text().splitlines()
        events = [json.loads(line) for line in lines if line.startswith("{")]
        return [e for e in events if e.get("event") == "worker pinned"]

    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/health")
        wait_for(lambda: len(pinned()) == expected, timeout=60, what="both workers pinned")
        workers = pinned()
        for worker in workers:
            assert os.sched_getaffinity(worker["pid"]) == {worker["core"]}
        assert len({w["core"] for w in workers}) == expected
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
