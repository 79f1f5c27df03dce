"""A real clamd (Debian's clamav-daemon) for the tests, with signatures of our own.

There are no official ClamAV signatures without internet, and none are needed: clamd loads
whatever database directory it is given. Ours holds an MD5 signature (.hdb) of one payload
and a body signature (.ndb) of one marker, so both verdicts are known in advance. The package
is installed when missing, as the project's scripts install what a test needs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tickets.clamd import ping

CLAMD = Path("/usr/sbin/clamd")
# Matched exactly by MD5 and size (what `sigtool --md5` writes).
PAYLOAD = b"Regie test payload: clamd must report this exact content as infected.\n"
# Matched anywhere in a stream, including across chunk boundaries.
MARKER = b"REGIE-TEST-MARKER-4f1c9a0e-the-scanner-finds-this-string"
PAYLOAD_SIGNATURE = "Regie.Test.Payload"
MARKER_SIGNATURE = "Regie.Test.Marker"
STREAM_MAX = 1024 * 1024  # small, so that the size-limit error is cheap to provoke


@dataclass(frozen=True)
class Clamd:
    tcp: str  # tcp://127.0.0.1:PORT
    unix: str  # unix:///.../clamd.sock
    started_in: float  # seconds from launch to the first PONG
    installed_in: float | None  # seconds the package install took, None if it was there


def ensure_installed() -> float | None:
    """Installs clamav-daemon when clamd is missing; returns the seconds it took."""
    if CLAMD.exists():
        return None
    if os.geteuid() != 0:
        pytest.fail("clamd is missing: run `apt-get install clamav-daemon` as root")
    began = time.monotonic()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "install", "-y", "-q"]
    install += ["--no-install-recommends", "clamav-daemon"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        # A fresh machine may have no package lists yet.
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
        subprocess.run(install, env=env, capture_output=True, check=True)
    return time.monotonic() - began


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _write_config(workdir: Path, port: int) -> Path:
    database = workdir / "db"
    database.mkdir()
    md5 = hashlib.md5(PAYLOAD).hexdigest()  # ClamAV's .hdb signatures are MD5
    (database / "regie.hdb").write_text(f"{md5}:{len(PAYLOAD)}:{PAYLOAD_SIGNATURE}\n")
    (database / "regie.ndb").write_text(f"{MARKER_SIGNATURE}:0:*:{MARKER.hex()}\n")
    config = workdir / "clamd.conf"
    config.write_text(
        f"Foreground yes\nDatabaseDirectory {database}\nLocalSocket {workdir}/clamd.sock\n"
        f"TCPSocket {port}\nTCPAddr 127.0.0.1\nTemporaryDirectory {workdir}\n"
        f"LogFile {workdir}/clamd.log\nPidFile {workdir}/clamd.pid\n"
        f"StreamMaxLength {STREAM_MAX}\nBytecode no\n"
    )
    return config


def _wait_ready(proc: subprocess.Popen[bytes], address: str, workdir: Path) -> float:
    began = time.monotonic()
    while time.monotonic() - began < 60:
        if ping(address=address, timeout=1):
            return time.monotonic() - began
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    log = (workdir / "clamd.log").read_text(errors="replace") if workdir.exists() else ""
    pytest.fail(f"clamd did not answer PING (exit {proc.poll()}):\n{log[-3000:]}")


@pytest.fixture(scope="session")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A clamd on a free TCP port and a Unix socket, stopped after the session."""
    installed_in = ensure_installed()
    workdir = tmp_path_factory.mktemp("clamd")
    port = _free_port()
    config = _write_config(workdir, port)
    proc = subprocess.Popen([str(CLAMD), f"--config-file={config}"], stdin=subprocess.DEVNULL)
    try:
        started_in = _wait_ready(proc, f"tcp://127.0.0.1:{port}", workdir)
        yield Clamd(
            f"tcp://127.0.0.1:{port}", f"unix://{workdir}/clamd.sock", started_in, installed_in
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)
