"""Alert intake benchmark: Alertmanager payloads folded on PostgreSQL, loaded with httpx2.

    .venv/bin/python bench/alerts_bench.py     # ~2 minutes: rebuilds database regie_alerts_bench

Builds its own database (`regie_alerts_bench`; the owner and app roles of bench/dataset.py,
so row-level security is on), a tenant and an API key holding `alerts:ingest`. Starts
`regie serve --workers N` on it (the server helpers of run_foundation.py), opens one
incident per fingerprint (200 by default), then posts Alertmanager payloads of 10 alerts,
each a random sample of those fingerprints, from C concurrent clients (32) in this process:
warm-up, then the measured period. Every alert of the measured period folds into an open
incident. Reports alerts/s folded, requests/s, p50/p95/p99 per request and the CPU of the
API, PostgreSQL and this load generator; writes bench/results/alerts-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import run_foundation as rf
from _source import describe_worktree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB = "regie_alerts_bench"
TENANT = "alerts-bench"
OWNER_ROLE, APP_ROLE = "regie_bench_owner", "regie_bench_app"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--port", type=int, default=8775)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--fingerprints", type=int, default=200)
    p.add_argument("--batch", type=int, default=10, help="alerts per payload")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--duration", type=int, default=30, help="measured seconds")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--seed", type=int, default=20261126)
    p.add_argument("--variant", help="what-if server, see bench/experiments/serve_variant.py")
    return p.parse_args()


def build_database(admin_url: str) -> str:
    """Fresh database, migrated as the owner; a tenant and an ingest key. Returns the key."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, " NOSUPERUSER NOBYPASSRLS")):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f"CREATE ROLE {role} LOGIN{extra}")
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB} OWNER {OWNER_ROLE}")
    base = make_url(admin_url).set(database=DB, password=None)
    os.environ["REGIE_DATABASE_OWNER_URL"] = base.set(username=OWNER_ROLE).render_as_string(False)
    os.environ["REGIE_DATABASE_URL"] = base.set(username=APP_ROLE).render_as_string(False)
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/13")
    sys.path.insert(0, str(ROOT))  # this tree's code, ahead of the editable install
    from core.db import get_engine, unit_of_work
    from core.identity.service import create_api_key
    from core.settings import get_settings
    from core.tenancy import Tenant
    from regie import migrate
    from tickets.alerts import permissions

    migrate.upgrade(get_settings())
    tenant = Tenant(slug=TENANT, name="Alert benchmark tenant")
    with unit_of_work(None) as session:
        session.add(tenant)
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(session, name="monitoring", permissions=[permissions.INGEST])
    get_engine().dispose()
    return token


def payload(fingerprints: list[str], started: str) -> dict:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "instance": f"app-{fp}", "severity": "warning"},
            "annotations": {"summary": f"Latency high on app-{fp}"},
            "startsAt": started,
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example/graph",
            "fingerprint": fp,
        }
        for fp in fingerprints
    ]
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "status": "firing",
        "receiver": "regie",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example",
        "alerts": alerts,
    }


async def load(args: argparse.Namespace, token: str, fps: list[str], seconds: float) -> dict:
    """C clients posting back to back for `seconds`; latencies of the answered requests."""
    import httpx2

    rng = random.Random(args.seed)
    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    folded = 0
    stop = time.perf_counter() + seconds
    limits = httpx2.Limits(max_connections=args.concurrency)
    headers = {"Authorization": f"Bearer {token}"}
    base = f"http://{rf.HOST}:{args.port}"
    async with httpx2.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def one_client() -> None:
            nonlocal folded
            while time.perf_counter() < stop:
                body = payload(rng.sample(fps, args.batch), started)
                t0 = time.perf_counter()
                r = await client.post("/api/v1/alerts/alertmanager", json=body, timeout=30)
                latencies.append(time.perf_counter() - t0)
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 200:
                    folded += args.batch - len(r.json()["created"])

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(args.concurrency)))
        elapsed = time.perf_counter() - began
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "seconds": round(elapsed, 2),
        "requests": len(latencies),
        "statuses": statuses,
        "alerts_folded": folded,
        "alerts_per_s": round(folded / elapsed, 1),
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def open_incidents(args: argparse.Namespace, token: str, fps: list[str]) -> int:
    """One payload per batch of fingerprints, so each opens its incident before the load."""
    import httpx2

    started = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    created = 0
    with httpx2.Client(base_url=f"http://{rf.HOST}:{args.port}") as client:
        for i in range(0, len(fps), args.batch):
            r = client.post(
                "/api/v1/alerts/alertmanager",
                json=payload(fps[i : i + args.batch], started),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            if r.status_code != 200:
                raise SystemExit(f"intake answered {r.status_code}: {r.text[:500]}")
            created += len(r.json()["created"])
    return created


def measure(args: argparse.Namespace, proc: subprocess.Popen, token: str, fps: list[str]) -> dict:
    """The measured period, with the CPU each party used meanwhile."""
    before = {i["pid"]: i["cpu_s"] for i in rf.api_processes(proc.pid)}
    pg_before = rf.comm_cpu("postgres")
    self_before = time.process_time()
    busy0, total0 = rf.cpu_times()
    result = asyncio.run(load(args, token, fps, args.duration))
    busy1, total1 = rf.cpu_times()
    secs = result["seconds"]
    after = rf.api_processes(proc.pid)
    result["api_cpu_cores"] = round(
        sum(i["cpu_s"] - before.get(i["pid"], 0) for i in after) / secs, 2
    )
    pg_after = rf.comm_cpu("postgres")
    result["postgres_cpu_cores"] = round(
        sum(c - pg_before.get(pid, 0) for pid, c in pg_after.items()) / secs, 2
    )
    result["loadgen_cpu_cores"] = round((time.process_time() - self_before) / secs, 2)
    result["machine_cpu_busy_pct"] = round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)
    result["rss_after_mb"] = [i["rss_mb"] for i in after]
    return result


def main() -> int:
    args = parse_args()
    rf.DATA.mkdir(exist_ok=True)
    print(f"[alerts] building database {DB}", flush=True)
    token = build_database(args.admin_url)
    # Serve this database, not the foundation's.
    args.database_url, args.log_prefix = os.environ["REGIE_DATABASE_URL"], "serve-alerts"
    args.regie, args.source_dir = str(ROOT / ".venv/bin/regie"), ROOT
    args.source_env = {"PYTHONPATH": str(ROOT), "REGIE_BROKER_URL": "redis://127.0.0.1:6379/13"}
    fps = [f"{i:016x}" for i in range(1, args.fingerprints + 1)]
    background = rf.busy_cores(3)
    print(f"[alerts] regie serve --workers {args.workers}; background {background} cores")
    proc, log = rf.start_server(args, args.workers)
    try:
        created = open_incidents(args, token, fps)
        print(f"[alerts] {created} incidents opened; warm-up {args.warmup} s", flush=True)
        asyncio.run(load(args, token, fps, args.warmup))
        print(f"[alerts] measuring {args.duration} s at {args.concurrency} clients", flush=True)
        result = measure(args, proc, token, fps)
    finally:
        rf.stop_server(proc)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": describe_worktree(),
        "machine": rf.machine(),
        "background_cpu_cores_before": background,
        "setup": {
            k: getattr(args, k)
            for k in ("workers", "fingerprints", "batch", "concurrency", "duration", "warmup")
        },
        "server": f"variant {args.variant}" if args.variant else "regie serve",
        "incidents_opened": created,
        "result": result,
        "server_log": str(log.relative_to(ROOT)),
    }
    rf.RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.variant}" if args.variant else ""
    out = rf.RESULTS / f"alerts-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"results: {out.relative_to(ROOT)}")
    return 0 if set(result["statuses"]) == {200} else 1


if __name__ == "__main__":
    sys.exit(main())
