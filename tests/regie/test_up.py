"""`regie up`: the embedded installation starts, works, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import TMP
from tests.fixtures import regie_env, wait_for


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except OSError:
        return 0, ""


def start(workdir: Path, port: int) -> subprocess.Popen[str]:
    env = regie_env(REGIE_PORT=str(port), REGIE_LOG_LEVEL="info")
    for name in (
        "REGIE_DATABASE_URL",
        "REGIE_DATABASE_OWNER_URL",
        "REGIE_BROKER_URL",
        "REGIE_BROKER_FOLDER",
    ):
        env.pop(name, None)  # the embedded defaults: SQLite and a folder broker under ./var
    return subprocess.Popen(
        [sys.executable, "-m", "regie.cli", "up"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def children_alive(pid: int) -> list[str]:
    ps = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return ps.stdout.split()


def test_up_runs_everything_and_ctrl_c_stops_it_all() -> None:
    workdir = TMP / "up"
    workdir.mkdir()
    port = free_port()
    for run in (1, 2):  # running it twice is safe
        proc = start(workdir, port)
        try:
            wait_for(
                lambda: fetch(f"http://127.0.0.1:{port}/ready")[0] == 200,
                timeout=90,
                what="the API to be ready",
            )
            assert len(children_alive(proc.pid)) == 3
            time.sleep(4)  # the scheduler's outbox poll must have run in the worker
        finally:
            out = stop(proc)
        assert proc.returncode == 0, out
        assert children_alive(proc.pid) == []
        events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        names = [e.get("event") for e in events]
        assert ("demo_tenant_seeded" in names) == (run == 1)
        assert "stopped" in names
        assert "core.outbox.drain_all" in out and "succeeded" in out
    assert (workdir / "var" / "regie.db").exists()
