"""Create and get tickets at 8 concurrent clients against `regie serve`, on the embedded
default (SQLite, a fresh file) or on PostgreSQL (a fresh database, the RLS app role).

    .venv/bin/python bench/embedded_bench.py                       # SQLite
    .venv/bin/python bench/embedded_bench.py --postgres kpiperf_emb  # PostgreSQL, own database

Migrates, creates a tenant and an API key (tickets:report, tickets:read, tickets:work), starts
`regie serve --workers 2`, then from threads in this process (keep-alive, 127.0.0.1), closed
loop: `create` POST /api/v1/tickets (an incident report) for --seconds, then `get` GET
/api/v1/tickets/{id} of a random created ticket for --seconds, each after --warmup seconds not
counted. Afterwards: how many acknowledged creates are stored, and whether the server log
holds `database is locked`. Figures to bench/results/embedded-<UTC time>.json and stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from run_tickets import incident_body  # noqa: E402
from sla_bench import summary  # noqa: E402

RESULTS = HERE / "results"
HOST = "127.0.0.1"
PERMISSIONS = ["tickets:report", "tickets:read", "tickets:work"]


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--postgres", metavar="DATABASE", help="a PostgreSQL database to (re)create")
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--http-port", type=int, default=0, help="default: a free one")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    return p.parse_args()


def prepare(args: argparse.Namespace, folder: Path) -> dict[str, str]:
    """Environment of a migrated, empty database; this process points at it too."""
    env = {
        "REGIE_BROKER_URL": "filesystem://",
        "REGIE_BROKER_FOLDER": str(folder / "broker"),
        "REGIE_LOG_LEVEL": "warning",
        "REGIE_ENV": "development",
    }
    os.environ.update(env)
    if args.postgres:
        from dataset import migrated_database

        app_url, _ = migrated_database(args, args.postgres, "filesystem://")
        env["REGIE_DATABASE_URL"] = app_url
    else:
        env["REGIE_DATABASE_URL"] = os.environ["REGIE_DATABASE_URL"] = (
            f"sqlite:///{folder}/regie.db"
        )
        os.environ.pop("REGIE_DATABASE_OWNER_URL", None)
        from core.settings import get_settings
        from regie import migrate

        migrate.upgrade(get_settings())
    return env


def tenant_and_key() -> tuple[object, str]:
    from core.db import get_engine, unit_of_work
    from core.identity.service import create_api_key
    from core.tenancy import Tenant

    tenant = Tenant(slug="embedded-01", name="Gemeente")
    with unit_of_work(None) as session:
        session.add(tenant)
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(session, name="embedded bench", permissions=PERMISSIONS)
    get_engine().dispose()
    return tenant.id, token


def stored_ids(tenant_id) -> set[str]:
    from sqlmodel import select

    from core.db import get_engine, unit_of_work
    from tickets.models import Ticket

    with unit_of_work(tenant_id, read_only=True) as session:
        found = {str(ticket_id) for ticket_id in session.exec(select(Ticket.id))}
    get_engine().dispose()
    return found


def loop(port: int, headers: dict, clients: int, seconds: float, warmup: float, make):
    """`clients` threads back to back; `make()` gives (method, path, body) per request."""
    lock, latencies, statuses, created = threading.Lock(), [], {}, []
    start = time.monotonic()
    measure_from, stop_at = start + warmup, start + warmup + seconds

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        while (now := time.monotonic()) < stop_at:
            method, path, body = make()
            t0 = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
            took = time.perf_counter() - t0
            with lock:
                if method == "POST" and answer.status == 201:
                    created.append(json.loads(data)["id"])
                if now >= measure_from:
                    latencies.append(took)
                    statuses[answer.status] = statuses.get(answer.status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(latencies, seconds, statuses), created


def wait_ready(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("regie serve exited")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("regie serve not ready")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def main() -> int:
    args = parse_args()
    args.http_port = args.http_port or free_port()
    folder = Path(tempfile.mkdtemp(prefix="regie-embedded-"))
    env = prepare(args, folder)
    tenant_id, token = tenant_and_key()
    log = folder / "serve.log"
    cmd = [args.regie, "serve", "--host", HOST, "--port", str(args.http_port)]
    cmd += ["--workers", str(args.workers)]
    server_env = {**os.environ, **env}
    server_env.pop("REGIE_DATABASE_OWNER_URL", None)
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=server_env, stdout=out, stderr=out, cwd=ROOT)
    load_before = os.getloadavg()
    try:
        wait_ready(args.http_port, proc)
        time.sleep(2)
        if proc.poll() is not None:  # the port was another server's
            raise SystemExit(f"regie serve exited; see {log}")
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        body = json.dumps(incident_body())
        create, created = loop(
            args.http_port,
            headers,
            args.clients,
            args.seconds,
            args.warmup,
            lambda: ("POST", "/api/v1/tickets", body),
        )
        if not created:
            raise SystemExit(f"no create succeeded; see {log}")
        get, _ = loop(
            args.http_port,
            headers,
            args.clients,
            args.seconds,
            args.warmup,
            lambda: ("GET", f"/api/v1/tickets/{random.choice(created)}", None),
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    stored = stored_ids(tenant_id)
    text = log.read_text(errors="replace")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    report = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "database": "postgresql" if args.postgres else "sqlite",
        "clients": args.clients,
        "workers": args.workers,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "create": create,
        "get": get,
        "acknowledged_creates": len(created),
        "acknowledged_but_missing": len(set(created) - stored),
        "database_is_locked_in_log": text.count("database is locked"),
    }
    RESULTS.mkdir(exist_ok=True)
    name = f"embedded-{report['database']}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0 if report["acknowledged_but_missing"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
