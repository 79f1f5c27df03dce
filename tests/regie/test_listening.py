"""`regie serve --workers 2`: each worker listens on a socket of its own, so that a burst of
keep-alive connections is spread over the workers, not taken by whichever woke first."""

from __future__ import annotations

import re
import socket
import subprocess
import sys

from tests.fixtures import ROOT, regie_env, wait_for, wait_for_http
from tests.regie.test_up import free_port


def _sockets(port: int, state: str) -> list[int]:
    """The pids holding a TCP socket of `port` in `state` (`listening`, `established`)."""
    filter_ = f"( sport = :{port} )"
    out = subprocess.run(
        ["ss", "-Htnp", "state", state, filter_], capture_output=True, text=True, check=True
    ).stdout
    return [int(pid) for pid in re.findall(r"pid=(\d+)", out)]


def test_connections_are_spread_over_the_workers_and_the_port_is_held(tmp_path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    serve = [sys.executable, "-m", "regie.cli", "serve", "--port", str(port), "--workers", "2"]
    proc = subprocess.Popen(serve, cwd=ROOT, env=regie_env(), stdout=log, stderr=subprocess.STDOUT)
    connections: list[socket.socket] = []
    try:
        wait_for_http(proc, f"http://127.0.0.1:{port}/health")
        wait_for(lambda: len(set(_sockets(port, "listening"))) == 2, what="two workers listening")
        assert proc.pid not in _sockets(port, "listening")  # the supervisor accepts nothing

        for _ in range(32):  # as a load generator or a proxy opens its connections: at once
            connections.append(socket.create_connection(("127.0.0.1", port), timeout=10))
        for c in connections:
            c.sendall(b"GET /health HTTP/1.1\r\nHost: regie.test\r\n\r\n")
        assert all(c.recv(64).startswith(b"HTTP/1.1 200") for c in connections)
        served = _sockets(port, "established")
        per_worker = sorted(served.count(pid) for pid in set(served))
        # Spread by the kernel per connection: fewer than 4 of 32 on one worker is a one in
        # 400,000 chance; with one socket shared, 27-32 of 32 on one worker was common.
        assert len(per_worker) == 2 and per_worker[0] >= 4 and sum(per_worker) == 32

        second = subprocess.run(serve, cwd=ROOT, env=regie_env(), capture_output=True, text=True)
        assert second.returncode == 2 and "cannot listen on" in second.stderr
    finally:
        for c in connections:
            c.close()
        proc.terminate()
        assert proc.wait(timeout=30) == 0
        log.close()
