"""Restore drill: back Regie's database up with pgBackRest, lose it, restore it, verify it.

    deploy/restore-drill                               # 600 tickets, about two minutes
    deploy/restore-drill --bulk-tickets 1000000 --archive-timeout 60 --write-seconds 120

Runs on this machine in a throw-away PostgreSQL cluster with its own pgBackRest repository,
both under a temporary folder: never the machine's own server. The cluster archives its WAL
with the settings of deploy/backup/postgresql.conf (archive_timeout from --archive-timeout).

1. Regie's roles and migrations, a tenant, and --tickets tickets written over the API with
   an audit checkpoint; then a full backup.
2. For --write-seconds more tickets are written; the drill records when each was sent and
   when it was acknowledged (201). The moment T is noted halfway, or earlier: at least
   archive_timeout and 5 s before the writing ends, so that the archive holds T by the loss.
3. Disaster: the cluster is killed and its data folder deleted.
4. Point-in-time recovery to T: every ticket acknowledged before T must be there, none sent
   after T; `regie audit verify` must pass; the API must answer again.
5. Recovery to the end of the archive (the lost machine): the recovery point achieved (RPO)
   is the age of the newest acknowledged ticket that survived at the moment of the loss.

The recovery time (RTO) is from the loss to a verified database and an answering API. Exits
1 when any check fails. Prints one JSON line with the figures at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import psycopg

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path(os.environ.get("REGIE_PG_BIN", "/usr/lib/postgresql/15/bin"))
OWNER, APP, DB, STANZA = "regie_drill_owner", "regie_drill_app", "regie", "regie"
PERMISSIONS = ("tickets:report", "tickets:read")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


def run(*args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:6])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Cluster:
    """A PostgreSQL cluster archiving to its own pgBackRest repository."""

    def __init__(self, folder: Path, archive_timeout: int) -> None:
        self.folder, self.data, self.port = folder, folder / "pgdata", free_port()
        self.conf = folder / "pgbackrest.conf"
        self.conf.write_text(
            f"[global]\nrepo1-path={folder / 'repo'}\nrepo1-retention-full=2\n"
            f"log-path={folder / 'log'}\nlock-path={folder / 'lock'}\n"
            f"spool-path={folder / 'spool'}\nstart-fast=y\ncompress-type=zst\n\n"
            f"[{STANZA}]\npg1-path={self.data}\npg1-port={self.port}\n"
            f"pg1-socket-path={folder}\n"
        )
        run(
            *as_postgres(
                str(PG_BIN / "initdb"),
                "-D",
                str(self.data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            )
        )
        settings = (ROOT / "deploy" / "backup" / "postgresql.conf").read_text()
        settings = settings.replace("pgbackrest ", f"pgbackrest --config={self.conf} ")
        settings = settings.replace("archive_timeout = 60", f"archive_timeout = {archive_timeout}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n" + settings)

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def backrest(self, *args: str) -> str:
        return run(*as_postgres("pgbackrest", f"--config={self.conf}", f"--stanza={STANZA}", *args))

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        run(
            *as_postgres(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data),
                "start",
                "-w",
                "-t",
                "3600",
                "-o",
                opts,
                "-l",
                str(self.folder / "postgres.log"),
            )
        )

    def kill(self) -> None:
        run(*as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate"))

    def lose(self) -> None:
        """The machine is gone: stopped without a shutdown checkpoint, its data deleted."""
        self.kill()
        shutil.rmtree(self.data)

    def restore(self, *target: str) -> None:
        """Restore the latest backup and replay WAL up to the target, then open for writes."""
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres")
        self.backrest("restore", *target)
        self.start()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,):
                time.sleep(0.2)


@dataclass
class Write:
    sent: float
    acknowledged: float
    ticket: str


@dataclass
class Ledger:
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Regie:
    """The installation under test: CLI commands and one API process against the cluster."""

    def __init__(self, folder: Path, cluster: Cluster) -> None:
        db = f"127.0.0.1:{cluster.port}/{DB}"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "REGIE_ENV": "development",
            "REGIE_LOG_LEVEL": "warning",
            "REGIE_DATABASE_URL": f"postgresql://{APP}@{db}",
            "REGIE_DATABASE_OWNER_URL": f"postgresql://{OWNER}@{db}",
            "REGIE_BROKER_URL": "filesystem://",
            "REGIE_BROKER_FOLDER": str(folder / "broker"),
            "REGIE_AUDIT_KEY_FILE": str(folder / "audit-signing.key"),
            "REGIE_AUDIT_CHECKPOINT_DIR": str(folder / "audit-checkpoints"),
            "REGIE_PORT": str(self.port),
            "REGIE_PUBLIC_URL": self.base,
        }
        self.folder = folder
        self.api: subprocess.Popen[bytes] | None = None
        self.http = httpx2.Client(base_url=self.base, timeout=30.0)

    def cli(self, *args: str) -> str:
        return run(sys.executable, "-m", "regie.cli", *args, env=self.env)

    def serve(self) -> None:
        log = (self.folder / "api.log").open("ab")
        self.api = subprocess.Popen(
            [sys.executable, "-m", "regie.cli", "serve"], env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if self.http.get("/ready").status_code == 200:
                    return
            except httpx2.TransportError:
                pass
            time.sleep(0.2)
        raise SystemExit("the API did not become ready; see " + str(self.folder / "api.log"))

    def stop(self) -> None:
        if self.api is not None:
            self.api.kill()
            self.api.wait(timeout=30)
            self.api = None

    def write(self, token: str, ledger: Ledger, until: float | None, count: int = 0) -> None:
        """Report tickets (until a moment, or a count) and record each acknowledged one."""
        headers = {"Authorization": f"Bearer {token}"}
        written = 0
        while (until is not None and time.time() < until) or (until is None and written < count):
            body = {
                "type": "question",
                "title": f"Drill {uuid.uuid4()}",
                "description": "How do I restore a deleted document?",
            }
            sent = time.time()
            r = self.http.post("/api/v1/tickets", json=body, headers=headers)
            if r.status_code != 201:
                raise SystemExit(f"ticket not accepted: {r.status_code} {r.text[:200]}")
            with ledger.lock:
                ledger.writes.append(Write(sent, time.time(), r.json()["id"]))
            written += 1


def prepare(cluster: Cluster, regie: Regie) -> tuple[str, str]:
    with psycopg.connect(cluster.admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {OWNER} LOGIN")
        conn.execute(f"CREATE ROLE {APP} LOGIN NOBYPASSRLS NOSUPERUSER")
        conn.execute(f"CREATE DATABASE {DB} OWNER {OWNER}")
    regie.cli("migrate")
    tenant_id = regie.cli("tenant", "create", "drill", "--name", "Restore drill").split()[0]
    args = [f"--permission={p}" for p in PERMISSIONS]
    token = regie.cli("apikey", "create", "--tenant", "drill", "--name", "drill", *args)
    return token.strip().splitlines()[-1], tenant_id


def surviving(regie: Regie, tenant_id: str) -> set[str]:
    """Ticket ids in the restored database, read as the owner within the tenant."""
    with psycopg.connect(regie.env["REGIE_DATABASE_OWNER_URL"]) as conn:
        conn.execute("SELECT set_config('regie.tenant_id', %s, false)", (tenant_id,))
        return {str(r[0]) for r in conn.execute("SELECT id FROM tickets_ticket")}


def verified(regie: Regie) -> tuple[bool, str]:
    done = subprocess.run(
        [sys.executable, "-m", "regie.cli", "audit", "verify"],
        env=regie.env,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip()


def recover(cluster: Cluster, regie: Regie, *target: str) -> tuple[float, bool, str]:
    """Lose the cluster, restore it to the target, verify, serve; (seconds, audit ok, its words)."""
    regie.stop()
    cluster.lose()
    lost_at = time.monotonic()
    cluster.restore(*target)
    ok, said = verified(regie)
    regie.serve()
    return time.monotonic() - lost_at, ok, said


def drill(args: argparse.Namespace, folder: Path) -> dict[str, object]:
    cluster = Cluster(folder, args.archive_timeout)
    cluster.start()
    cluster.backrest("stanza-create")
    regie = Regie(folder, cluster)
    token, tenant_id = prepare(cluster, regie)
    regie.serve()
    ledger = Ledger()
    started = time.monotonic()
    threads = [
        threading.Thread(target=regie.write, args=(token, ledger, None, args.tickets // 4))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    regie.cli("audit", "checkpoint")
    if args.bulk_tickets:
        bulk(cluster, folder, args.bulk_tickets)
    backup_started = time.monotonic()
    cluster.backrest("--type=full", "backup")
    backup_seconds = time.monotonic() - backup_started
    before_backup = len(ledger.writes)
    until = time.time() + args.write_seconds
    writer = threading.Thread(target=regie.write, args=(token, ledger, until))
    writer.start()
    # The WAL segment holding T is closed at the latest archive_timeout after T, then pushed
    # to the repository: T any later would race the loss (recovery then ends before T).
    time.sleep(min(args.write_seconds / 2, args.write_seconds - args.archive_timeout - 5))
    target = time.time()
    writer.join()
    # The target as PostgreSQL reads it: UTC with microseconds.
    stamp = datetime.fromtimestamp(target, UTC).isoformat(sep=" ")

    pitr_seconds, pitr_ok, pitr_said = recover(
        cluster, regie, "--type=time", f"--target={stamp}", "--target-action=promote"
    )
    present = surviving(regie, tenant_id)
    missing_before = [
        w for w in ledger.writes if w.acknowledged < target and w.ticket not in present
    ]
    present_after = [w for w in ledger.writes if w.sent > target and w.ticket in present]

    # The lost machine: replay everything the archive holds. The newest WAL segment was never
    # closed, so what it held is the data loss the archive_timeout allows.
    loss_moment = ledger.writes[-1].acknowledged
    # The point-in-time recovery opened a second timeline at T: follow the first to its end.
    latest_seconds, latest_ok, latest_said = recover(cluster, regie, "--target-timeline=1")
    present = surviving(regie, tenant_id)
    kept = [w for w in ledger.writes if w.ticket in present]
    newest_kept = max((w.acknowledged for w in kept), default=0.0)
    lost = [w for w in ledger.writes if w.ticket not in present]
    gaps = [w for w in lost if w.acknowledged < newest_kept]
    regie.stop()
    cluster.kill()
    checks = {
        "pointInTime.ackedBeforeTargetMissing": len(missing_before),
        "pointInTime.sentAfterTargetPresent": len(present_after),
        "pointInTime.auditVerify": pitr_ok,
        "latest.auditVerify": latest_ok,
        "latest.lostBeforeNewestKept": len(gaps),
    }
    return {
        "ok": not missing_before and not present_after and pitr_ok and latest_ok and not gaps,
        "checks": checks,
        "ticketsBeforeBackup": before_backup,
        "ticketsAcknowledged": len(ledger.writes),
        "setupSeconds": round(backup_started - started, 1),
        "fullBackupSeconds": round(backup_seconds, 1),
        "archiveTimeoutSeconds": args.archive_timeout,
        "pointInTimeRtoSeconds": round(pitr_seconds, 1),
        "latestRtoSeconds": round(latest_seconds, 1),
        "rpoSeconds": round(loss_moment - newest_kept, 1) if kept else None,
        "ticketsLostAtMachineLoss": len(lost),
        "auditVerify": [pitr_said, latest_said],
        "bulkTickets": args.bulk_tickets,
        "repositoryBytes": _size(folder / "repo"),
    }


def bulk(cluster: Cluster, folder: Path, tickets: int) -> None:
    """A production-sized second database beside the drill's, from the benchmark's generator,
    so the restore and its recovery time carry that volume."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIE_")}
    run(
        sys.executable,
        str(ROOT / "bench" / "tickets_dataset.py"),
        f"--admin-url={cluster.admin_url}",
        f"--port={cluster.port}",
        f"--tickets={tickets}",
        f"--measured={min(40_000, tickets // 5)}",
        f"--out={folder / 'bench'}",
        env=env,
    )


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--tickets", type=int, default=600, help="tickets before the full backup")
    p.add_argument("--write-seconds", type=float, default=20.0, help="writing after the backup")
    p.add_argument("--archive-timeout", type=int, default=10, help="seconds (production: 60)")
    p.add_argument(
        "--bulk-tickets",
        type=int,
        default=0,
        help="also load this many tickets (with history and replies) into a second database "
        "with bench/tickets_dataset.py before the backup, e.g. 1000000",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = p.parse_args()
    if args.write_seconds <= args.archive_timeout + 5:
        p.error("--write-seconds must exceed --archive-timeout by more than 5 s (T is archived)")
    folder = Path(tempfile.mkdtemp(prefix="regie-drill-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    try:
        figures = drill(args, folder)
    finally:
        if not args.keep:
            subprocess.run(
                as_postgres(
                    str(PG_BIN / "pg_ctl"), "-D", str(folder / "pgdata"), "stop", "-m", "immediate"
                ),
                capture_output=True,
            )
            shutil.rmtree(folder, ignore_errors=True)
    for name, value in figures["checks"].items():  # type: ignore[attr-defined]
        print(f"{name}: {value}")
    print(
        f"RPO {figures['rpoSeconds']} s (archive_timeout {args.archive_timeout} s), "
        f"RTO {figures['pointInTimeRtoSeconds']} s to a point in time, "
        f"{figures['latestRtoSeconds']} s to the end of the archive"
    )
    print(json.dumps(figures))
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
