"""Open-loop ticket benchmark: requests sent at a fixed arrival rate, whatever the answers do.

    .venv/bin/python bench/tickets_dataset.py --tickets 1000000          # once: regie_bench_tickets
    .venv/bin/python bench/open_loop.py [--snapshot REV] [--create-rate 100] [--get-rate 250,500]

A closed loop (wrk, bench/run_tickets.py) sends the next request only when an answer came
back, so a slow answer also delays the requests behind it and the tail it should have seen
goes unmeasured. Here request i is due at start + i / rate; it goes out on an idle kept-alive
connection (a new one when none is idle, up to --max-connections), and its latency is counted
from when it was due, not from when it could be sent. A generator that falls behind thus
shows as latency, never as a lower rate.

Starts `regie serve --workers 2` as the app role (row-level security on) on the dataset of
bench/tickets_dataset.py (`--data`, `--database`), all in the tenant tickets-01 with the
dataset's API key:
  create  POST /api/v1/tickets, a complete incident report, at --create-rate per second
  get     GET /api/v1/tickets/{id}, a random ticket of the tenant, at --get-rate per second
(a list of rates runs one phase at each).
Each after --warmup seconds at the same rate, then --duration seconds measured. The generator
runs as a child process (asyncio), so its CPU is reported apart from the API's and
PostgreSQL's, as run_foundation.py accounts wrk's. Figures go to
bench/results/open-loop-<UTC time>.json and stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
API = "/api/v1/tickets"
AIMS_P95_MS = {"create": 30, "get": 15}
KEEP_ALIVE_SECONDS = 4.0


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8767)
    p.add_argument("--create-rate", default="100", help="creates per second (a,b,...: each)")
    p.add_argument("--get-rate", default="500", help="gets per second (a,b,...: each)")
    p.add_argument("--duration", type=int, default=20, help="measured seconds per scenario")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per scenario")
    p.add_argument("--max-connections", type=int, default=256)
    p.add_argument("--scenarios", default="get,create", help="comma-separated subset")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--snapshot", metavar="REV", help="serve the code of this commit")
    p.add_argument("--data", type=Path, default=HERE / ".data" / "tickets")
    p.add_argument("--database", default="regie_bench_tickets")
    p.add_argument("--label", default="")
    p.add_argument("--generate", help=argparse.SUPPRESS)  # the child: a JSON job
    p.set_defaults(log_prefix="serve-open-loop", variant=None)
    return p.parse_args()


# --------------------------------------------------------------------------- the generator


def request_bytes(method: str, path: str, token: str, body: bytes | None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {token}"]
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


async def exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes) -> int:
    """Send one request on a kept-alive connection and read its whole answer; its status."""
    reader, writer = conn
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


async def generate(job: dict) -> dict:
    """Send job['requests'] at job['rate'] per second; latency counted from each due time."""
    rate, seconds, port = job["rate"], job["seconds"], job["port"]
    rng = random.Random(job.get("seed", 1))
    paths, method = job["paths"], job["method"]
    body = job["body"].encode() if job.get("body") else None
    # Kept-alive connections with when each was last used: uvicorn closes one idle for 5 s,
    # so one idle for 4 s is closed here instead of being written to after the server did.
    idle: list[tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], float]] = []
    opened, limit = [0], asyncio.Semaphore(job["max_connections"])
    latencies: list[float] = []
    late: list[float] = []
    statuses: dict[str, int] = {}
    errors = [0]

    async def one(due: float) -> None:
        async with limit:
            late.append(time.perf_counter() - due)
            raw = request_bytes(method, rng.choice(paths), job["token"], body)
            conn = None
            while idle and conn is None:
                conn, used = idle.pop()
                if time.perf_counter() - used > KEEP_ALIVE_SECONDS:
                    conn[1].close()
                    conn = None
            try:
                if conn is None:
                    conn = await asyncio.open_connection("127.0.0.1", port)
                    opened[0] += 1
                status = await asyncio.wait_for(exchange(conn, raw), timeout=30)
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                errors[0] += 1
                if conn is not None:
                    conn[1].close()
                return
            latencies.append(time.perf_counter() - due)
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            idle.append((conn, time.perf_counter()))

    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.ensure_future(one(due)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for (_, writer), _used in idle:
        writer.close()
    ms = sorted(1000 * x for x in latencies)
    late_ms = sorted(1000 * x for x in late)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))], 1) if values else 0.0

    ok = sum(n for s, n in statuses.items() if s.startswith("2"))
    return {
        "seconds": round(elapsed, 2),
        "rate_asked": rate,
        "requests": len(ms),
        "rps": round(len(ms) / elapsed, 1),
        "p50_ms": pct(ms, 0.50),
        "p95_ms": pct(ms, 0.95),
        "p99_ms": pct(ms, 0.99),
        "max_ms": round(ms[-1], 1) if ms else 0.0,
        "statuses": statuses,
        "errors": {"status": len(ms) - ok, "socket": errors[0]},
        "connections_opened": opened[0],
        "start_late_p99_ms": pct(late_ms, 0.99),
    }


def child(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text())
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print("BENCH_JSON " + json.dumps(asyncio.run(generate(job))), flush=True)


# --------------------------------------------------------------------------- the runner


def load(args: argparse.Namespace, job: dict, seconds: int) -> dict:
    """Run the generator as a child process for `seconds` (its CPU is then a child's)."""
    path = args.data / f"open-loop-{job['name'].replace('@', '-')}.json"
    path.write_text(json.dumps({**job, "seconds": seconds}))
    out = subprocess.run(
        [sys.executable, __file__, "--generate", str(path)],
        capture_output=True,
        text=True,
        timeout=seconds + 120,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"generator failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def main() -> int:
    args = parse_args()
    if args.generate:
        child(args.generate)
        return 0
    sys.path.insert(0, str(HERE))
    from _source import resolve
    from run_foundation import machine, measure, start_server, stop_server
    from run_tickets import APP_URL, incident_body, post

    args.source_dir, source, args.source_env = resolve(args.snapshot)
    args.database_url = APP_URL.rsplit("/", 1)[0] + "/" + args.database
    args.connections = f"up to {args.max_connections} open-loop"
    dataset = json.loads((args.data / "dataset.json").read_text())
    token = (args.data / "token").read_text().strip()
    ids = (args.data / "ids.txt").read_text().split()
    kinds = {
        "get": ({"method": "GET", "paths": [f"{API}/{i}" for i in ids]}, args.get_rate),
        "create": (
            {"method": "POST", "paths": [API], "body": json.dumps(incident_body())},
            args.create_rate,
        ),
    }
    jobs = {
        f"{kind}@{rate}": {**job, "kind": kind, "rate": float(rate)}
        for kind in args.scenarios.split(",")
        for job, rates in [kinds[kind]]
        for rate in rates.split(",")
    }
    print(f"code: {source['kind']} {source['commit']}", flush=True)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    proc, log = start_server(args, args.workers)
    results = {}
    try:
        status, body = post(args.port, API, token, incident_body())
        if status != 201:
            raise SystemExit(f"create answered {status}: {body[:300]!r}")
        for name in jobs:
            job = {
                **jobs[name],
                "name": name,
                "port": args.port,
                "token": token,
                "max_connections": args.max_connections,
            }
            one_before = os.getloadavg()[0]
            result = measure(args, proc, name, lambda seconds, job=job: load(args, job, seconds))
            result["load_average_1m"] = [round(one_before, 2), round(os.getloadavg()[0], 2)]
            result["api_cpu_ms_per_request"] = round(
                1000 * result["api_cpu_cores"] / max(result["rps"], 1), 2
            )
            result["aim_p95_ms"] = AIMS_P95_MS[job["kind"]]
            results[name] = result
    finally:
        stop_server(proc)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "label": args.label,
        "source": source,
        "machine": machine(),
        "load_average_before": load_before,
        "workers": args.workers,
        "load": {
            "tool": "bench/open_loop.py (asyncio, fixed arrival rate)",
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "max_connections": args.max_connections,
        },
        "dataset": {k: dataset.get(k) for k in ("source", "measured_tenant", "rows", "size")},
        "server_log": str(log.relative_to(ROOT)),
        "scenarios": results,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"open-loop-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    print("| scenario | rate asked | req/s | p50 | p95 | p99 | max | non-2xx | API CPU/request |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rate_asked']:.0f}/s | {r['rps']} | {r['p50_ms']} ms | "
            f"{r['p95_ms']} ms | {r['p99_ms']} ms | {r['max_ms']} ms | "
            f"{r['errors']['status'] + r['errors']['socket']} | {r['api_cpu_ms_per_request']} ms |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
