"""Shared fixtures: migrated database, clean tables per test, the app, a real worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from core.db import make_engine, metadata
from core.settings import get_settings
from tests.conftest import TMP

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def migrated() -> None:
    from core.jobs import configure_celery
    from regie import migrate

    get_settings.cache_clear()
    migrate.upgrade(get_settings())
    configure_celery(get_settings())


@pytest.fixture(scope="session")
def owner_engine(migrated: None) -> Iterator[Engine]:
    engine = make_engine(get_settings().owner_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def clean_tables(owner_engine: Engine) -> Iterator[None]:
    yield
    import regie.models  # noqa: F401

    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture(scope="session")
def app():
    from regie.app import create_app

    return create_app()


@pytest.fixture
def client(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def regie_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


class Processes:
    """Start Regie processes in their own process groups, so a kill takes the children too."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        log = open(TMP / log_name, "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            args, cwd=ROOT, env=regie_env(), stdout=log, stderr=log, start_new_session=True
        )
        self.procs.append(proc)
        return proc

    def worker(self) -> subprocess.Popen[bytes]:
        pool = ["--pool=solo"] if get_settings().is_sqlite else ["--pool=prefork", "-c", "2"]
        return self.start(
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.support.worker",
            "worker",
            "-Q",
            "regie",
            "--without-gossip",
            "--without-mingle",
            *pool,
            log_name="worker.log",
        )

    def beat(self) -> subprocess.Popen[bytes]:
        return self.start(
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.support.worker",
            "beat",
            "-s",
            str(TMP / f"beat-{time.monotonic_ns()}"),
            log_name="beat.log",
        )

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture
def processes() -> Iterator[Processes]:
    procs = Processes()
    yield procs
    procs.stop_all()


def wait_for(predicate: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def wait_for_http(proc: subprocess.Popen, url: str, timeout: float = 60) -> None:  # type: ignore[type-arg]
    """Wait until `url` answers 200; fail at once, with the reason, if the server died."""
    import urllib.request

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    wait_for(up, timeout=timeout, what=url)
