"""`regie up`: the whole installation in one terminal, for a laptop or a demo.

Migrates, seeds the demo tenant into an empty database, then runs API, worker and scheduler
as child processes. Ctrl-C (or SIGTERM) stops all of them; if one dies, the others are stopped.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from types import FrameType

import structlog

from core.observability import configure_logging
from core.settings import get_settings
from regie import migrate, seed

log = structlog.get_logger("regie.runner")
GRACE_SECONDS = 15


def _spawn(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "regie.cli", *args])


def run_all() -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    migrate.upgrade(settings)
    if seed.seed_demo():
        log.info("demo_tenant_seeded", slug="demo")
    pool = "solo" if settings.is_sqlite else "prefork"
    children = {
        "api": _spawn("serve"),
        "worker": _spawn("worker", "--pool", pool, "--concurrency", "1"),
        "beat": _spawn("beat"),
    }
    log.info(
        "started",
        url=f"http://{settings.host}:{settings.port}/",
        pids={name: p.pid for name, p in children.items()},
    )
    stopping = False

    def _stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    exit_code = 0
    while not stopping:
        for name, proc in children.items():
            if proc.poll() is not None:
                log.error("child_exited", process=name, code=proc.returncode)
                stopping, exit_code = True, 1
        time.sleep(0.5)
    _terminate(children)
    return exit_code


def _terminate(children: dict[str, subprocess.Popen[bytes]]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for name, proc in children.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("child_killed", process=name)
            proc.kill()
            proc.wait()
    log.info("stopped")
