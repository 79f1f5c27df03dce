"""The fault suite's stack: its own PostgreSQL and Redis, `regie serve`, a Celery worker and
the scheduler, started as real processes that the tests kill and restart."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.fixtures import ROOT, wait_for_http
from tests.reliability.servers import Postgres, Redis, free_port

OWNER, APP = "regie_faults_owner", "regie_faults_app"
TENANT_SETTING = "regie.tenant_id"


class Stack:
    """Processes of one installation, each in its own process group so a kill takes all."""

    def __init__(self, folder: Path, pg: Postgres, redis: Redis) -> None:
        self.folder, self.pg, self.redis = folder, pg, redis
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        db = f"127.0.0.1:{pg.port}/regie"
        self.owner_url = f"postgresql://{OWNER}@{db}"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "REGIE_ENV": "development",
            "REGIE_LOG_LEVEL": "warning",
            "REGIE_DATABASE_URL": f"postgresql://{APP}@{db}",
            "REGIE_DATABASE_OWNER_URL": self.owner_url,
            "REGIE_BROKER_URL": redis.url,
            "REGIE_BROKER_FOLDER": str(folder / "broker"),
            "REGIE_AUDIT_KEY_FILE": str(folder / "audit-signing.key"),
            "REGIE_AUDIT_CHECKPOINT_DIR": str(folder / "audit-checkpoints"),
            "REGIE_OUTBOX_POLL_SECONDS": "1",
            "REGIE_PORT": str(self.port),
            "REGIE_PUBLIC_URL": self.base,
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def regie(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "regie.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def python(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, name: str) -> None:
        celery = [sys.executable, "-m", "celery", "-A", "regie.worker"]
        args = {
            "api": [sys.executable, "-m", "regie.cli", "serve"],
            "worker": [
                *celery,
                "worker",
                "-Q",
                "regie",
                "--without-gossip",
                "--without-mingle",
                "--pool=prefork",
                "-c",
                "2",
            ],
            "beat": [*celery, "beat", "-s", str(self.folder / f"beat-{uuid.uuid4().hex}")],
        }[name]
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        self.procs[name] = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
        )
        if name == "api":
            wait_for_http(self.procs[name], self.base + "/health")

    def kill(self, name: str) -> None:
        """SIGKILL to the whole process group: no clean shutdown, nothing flushed."""
        proc = self.procs.pop(name)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for name in list(self.procs):
            self.kill(name)

    def log_tails(self, lines: int = 15) -> str:
        """The end of each process's log, for a failure message."""
        tails = []
        for log in sorted(self.folder.glob("*.log")):
            tails.append(f"== {log.name}\n" + "\n".join(log.read_text().splitlines()[-lines:]))
        return "\n".join(tails)

    def query(self, tenant_id: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read as the table owner, within the tenant (row-level security is forced)."""
        with psycopg.connect(self.owner_url) as conn:
            conn.execute("SELECT set_config(%s, %s, false)", (TENANT_SETTING, tenant_id))
            return list(conn.execute(sql, params).fetchall())


def _prepare(pg: Postgres) -> None:
    with psycopg.connect(pg.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {OWNER} LOGIN")
        conn.execute(f"CREATE ROLE {APP} LOGIN NOBYPASSRLS NOSUPERUSER")
        conn.execute(f"CREATE DATABASE regie OWNER {OWNER}")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    folder = Path(tempfile.mkdtemp(prefix="regie-faults-"))
    pg, redis = Postgres(), Redis(folder)
    pg.start()
    redis.start()
    stack = Stack(folder, pg, redis)
    try:
        _prepare(pg)
        migrated = stack.regie("migrate")
        assert migrated.returncode == 0, migrated.stderr
        yield stack
    finally:
        stack.stop_all()
        redis.stop()
        pg.remove()
        shutil.rmtree(folder, ignore_errors=True)
