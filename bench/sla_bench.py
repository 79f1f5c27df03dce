"""Service level benchmark: KPI figures, evidence, the supplier's overview, the PDF report
and the clock module, on the database of bench/sla_dataset.py.

    .venv/bin/python bench/sla_dataset.py --snapshot REV    # once: regie_slabench
    .venv/bin/python bench/sla_bench.py --snapshot REV       # about 10 minutes

Starts the test suite's OpenID provider (the supplier's directory and user of the dataset),
`regie serve --workers 2` as the app role (row-level security on) with a private folder
broker, and issues an API key of sla-01 with kpi:read, reports:request and reports:read.
Then, closed loop from this process (threads, keep-alive, 127.0.0.1 only), at concurrency 1
and 4, each scenario bounded by a request count and a time limit after one warm-up request
per client:
  month      GET /api/v1/kpis?period=<last closed month>                  (sla-01)
  quarter    GET /api/v1/kpis?period=<last closed quarter>                (sla-01)
  evidence   GET /api/v1/kpis/evidence?period=<month>&kpi=response&limit=100
  overview   GET /api/v1/kpis/overview?period=<month>, the supplier user's Entra token:
             every one of the 50 client tenants
and the API processes' RSS after the load. Then: the month's KPI statements under EXPLAIN
(ANALYZE, BUFFERS) and compute() timed in process; the report's figures and the PDF renderer
timed in process; POST /api/v1/sla/reports (pdf) to done with a real `regie worker`; and
bench/sla_clock.py. Figures go to bench/results/sla-<timestamp>.json and stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dataset import reexec_in_snapshot  # noqa: E402

DATA = Path(os.environ.get("SLA_BENCH_DATA", HERE / ".data" / "sla"))
RESULTS = HERE / "results"
DATABASE = os.environ.get("SLA_BENCH_DATABASE", "regie_slabench")
APP_URL = f"postgresql://regie_bench_app@127.0.0.1:5432/{DATABASE}"
HOST = "127.0.0.1"
# Issue 17, item 4 tightened the overview (3 s before) and the report end to end (5 s before).
AIMS_MS = {"month": 500, "overview": 1000, "report": 3000}
# (request count, seconds) bounds per scenario and concurrency.
BOUNDS = {"month": (100, 30), "quarter": (60, 30), "evidence": (100, 30), "overview": (10, 60)}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8767)
    p.add_argument("--concurrency", default="1,4")
    p.add_argument("--scenarios", default=",".join(BOUNDS))
    p.add_argument("--bound-scale", type=float, default=1.0, help="multiplies request counts")
    p.add_argument("--reports", type=int, default=3, help="end-to-end report jobs")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--snapshot", metavar="REV", help="serve and import the code of this commit")
    p.add_argument("--http-only", action="store_true", help="skip the in-process parts after")
    return p.parse_args()


# --------------------------------------------------------------------------- load


def request(conn, method: str, path: str, headers: dict, body: bytes | None = None):
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def closed_loop(port: int, path: str, headers: dict, concurrency: int, count: int, seconds: float):
    """`concurrency` clients back to back until `count` requests or `seconds` have passed."""
    lock, latencies, statuses = threading.Lock(), [], {}
    issued = [0]

    def client() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=120)
        request(conn, "GET", path, headers)  # warm-up, not counted
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= count:
                    return
                issued[0] += 1
            t0 = time.perf_counter()
            status, _ = request(conn, "GET", path, headers)
            took = time.perf_counter() - t0
            with lock:
                latencies.append(took)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return summary(latencies, wall, statuses)


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank: the smallest sample with at least p % at or below it."""
    index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
    return ordered[int(index)]


def summary(latencies: list[float], wall: float, statuses: dict) -> dict:
    ordered = sorted(latencies)
    if not ordered:
        return {"requests": 0, "statuses": statuses}
    ms = {f"p{p}_ms": round(percentile(ordered, p) * 1000, 1) for p in (50, 95, 99)}
    return {
        "requests": len(ordered),
        "seconds": round(wall, 2),
        "rps": round(len(ordered) / wall, 2),
        "mean_ms": round(sum(ordered) / len(ordered) * 1000, 1),
        **ms,
        "max_ms": round(ordered[-1] * 1000, 1),
        "statuses": {str(k): v for k, v in statuses.items()},
    }


# --------------------------------------------------------------------------- processes


def bench_env(source_env: dict[str, str], authority: str) -> dict[str, str]:
    from run_foundation import server_env

    env = server_env(source_env, APP_URL)
    env.update(
        REGIE_BROKER_URL="filesystem://",
        REGIE_BROKER_FOLDER=str(DATA / "broker"),
        REGIE_ENTRA_AUTHORITY=authority,
        REGIE_API_AUDIENCE="api://regie",
    )
    return env


def start(cmd: list[str], env: dict, cwd: Path, log: Path, ready) -> subprocess.Popen:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{cmd[1]} exited with {proc.returncode}; see {log}")
        if ready():
            return proc
        time.sleep(0.5)
    raise SystemExit(f"{cmd[1]} not ready within 90 s; see {log}")


def server_ready(port: int, workers: int, proc_ref: list) -> bool:
    from run_foundation import children, get

    try:
        status, _ = get(port, "/ready", timeout=2)
    except OSError:
        return False
    return status == 200 and (workers == 1 or len(children(proc_ref[0].pid)) >= workers)


def start_server(args, env: dict) -> subprocess.Popen:
    cmd = [args.regie, "serve", "--host", HOST, "--port", str(args.port)]
    cmd += ["--workers", str(args.workers)]
    ref: list = []
    log = DATA / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=args.source_dir, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    ref.append(proc)
    deadline = time.monotonic() + 90
    while not server_ready(args.port, args.workers, ref):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"regie serve did not start; see {log}")
        time.sleep(0.5)
    return proc


def start_worker(args, env: dict) -> subprocess.Popen:
    log = DATA / "worker.log"
    cmd = [args.regie, "worker", "--concurrency", "1", "--pool", "solo"]
    proc = start(cmd, env, args.source_dir, log, lambda: b"reports.generate" in log.read_bytes())
    time.sleep(3)  # the task list is printed just before it starts consuming
    return proc


def rss(proc: subprocess.Popen) -> list[dict]:
    from run_foundation import api_processes

    return [
        {"pid": i["pid"], "rss_mb": i["rss_mb"], "peak_mb": i["hwm_mb"], "cmd": i["cmd"][:60]}
        for i in api_processes(proc.pid)
    ]


# --------------------------------------------------------------------------- scenarios


def periods(now: datetime) -> tuple[str, str, date]:
    """The last closed month and quarter before `now` (Amsterdam), and the month's first day."""
    from services.kpi.figures import month_of

    current = month_of(now)
    month = date(current.year - (current.month == 1), (current.month - 2) % 12 + 1, 1)
    quarter_index = (current.month - 1) // 3  # the current quarter's index, 0-3
    year = current.year if quarter_index else current.year - 1
    quarter = quarter_index if quarter_index else 4
    return month.isoformat()[:7], f"{year}-Q{quarter}", month


def http_scenarios(args, key: str, supplier_token, month: str, quarter: str) -> dict:
    paths = {
        "month": f"/api/v1/kpis?period={month}",
        "quarter": f"/api/v1/kpis?period={quarter}",
        "evidence": f"/api/v1/kpis/evidence?period={month}&kpi=response&limit=100",
        "overview": f"/api/v1/kpis/overview?period={month}",
    }
    results: dict = {}
    for name in args.scenarios.split(","):
        count, seconds = BOUNDS[name]
        count = max(4, int(count * args.bound_scale))
        token = supplier_token() if name == "overview" else key
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if name == "overview":  # act in a client tenant, as tests/services/test_kpi.py does
            headers["Regie-Tenant"] = "sla-01"
        check = http.client.HTTPConnection(HOST, args.port, timeout=120)
        status, body = request(check, "GET", paths[name], headers)
        if status != 200:
            raise SystemExit(f"{name}: {paths[name]} answered {status}: {body[:300]!r}")
        results[name] = {"path": paths[name], "answer_bytes": len(body)}
        if name == "overview":
            results[name]["tenants"] = len(json.loads(body)["items"])
        for c in (int(x) for x in args.concurrency.split(",")):
            print(f"[sla] {name} at concurrency {c}", flush=True)
            results[name][f"c{c}"] = closed_loop(args.port, paths[name], headers, c, count, seconds)
            print(f"      {results[name][f'c{c}']}", flush=True)
    return results


def end_to_end_reports(args, key: str, month: str) -> dict:
    """POST a pdf report and follow it to done, `args.reports` times, one at a time."""
    conn = http.client.HTTPConnection(HOST, args.port, timeout=60)
    runs, last = [], None
    for _ in range(args.reports):
        headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        body = json.dumps({"month": month, "formats": ["pdf"]}).encode()
        t0 = time.perf_counter()
        status, answer = request(conn, "POST", "/api/v1/sla/reports", headers, body)
        if status != 202:
            return {"error": f"POST answered {status}: {answer[:300]!r}"}
        job = json.loads(answer)
        while time.perf_counter() - t0 < 120:
            time.sleep(0.05)
            _, answer = request(conn, "GET", f"/api/v1/sla/reports/{job['id']}", headers)
            last = json.loads(answer)
            if last["state"] in ("done", "failed"):
                break
        runs.append({"state": last["state"], "seconds": round(time.perf_counter() - t0, 3)})
        if last["state"] != "done":
            return {"runs": runs, "error": last.get("error"), "job": last}
    return {"runs": runs, "median_s": sorted(r["seconds"] for r in runs)[len(runs) // 2]}


def clock_module(source_dir: Path) -> dict:
    out = subprocess.run(
        [sys.executable, str(source_dir / "bench" / "sla_clock.py"), "--tickets", "20000"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def oidc(dataset: dict):
    """The test suite's provider with the dataset's supplier directory and user."""
    saved = dict(os.environ)
    from tests.support import oidc_provider  # its harness import sets test variables

    os.environ.clear()
    os.environ.update(saved)
    # Node resolves oidc-provider from the script's folder: use this tree's copy, whose
    # node_modules are installed (a snapshot has none).
    oidc_provider.SCRIPT = ROOT / "tests" / "support" / "oidc" / "provider.mjs"
    from tests.regie.test_up import free_port

    provider = oidc_provider.OidcProvider(Path(tempfile.mkdtemp()), free_port())
    tid = uuid.UUID(dataset["supplier"]["directory"])
    provider.directories[tid] = []
    client = provider.principal(
        tid, oid=dataset["supplier"]["user"], roles=[], scp="access", idtyp="user"
    )
    provider.start()
    return provider, lambda: provider.token(tid, client)


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        reexec_in_snapshot(args.snapshot, __file__)
    from _source import resolve

    args.source_dir, source, args.source_env = resolve(args.snapshot)
    sys.path.insert(1, str(args.source_dir))  # its tests package: the OpenID provider
    dataset = json.loads((DATA / "dataset.json").read_text())
    provider, supplier_token = oidc(dataset)
    env = bench_env(args.source_env, provider.authority)
    os.environ.update({k: v for k, v in env.items() if k.startswith("REGIE_")})
    import sla_inprocess as inproc
    from run_foundation import report_head, stop_server

    tenant_id = uuid.UUID(dataset["measured_tenant"]["id"])
    month, quarter, first_day = periods(datetime.fromisoformat(dataset["now"]))
    key = inproc.issue_key(tenant_id)
    started = datetime.now(UTC)
    report: dict = {
        **report_head(started, source, args.workers),
        "periods": {"month": month, "quarter": quarter},
        "aims_ms": AIMS_MS,
        "dataset": {k: dataset.get(k) for k in ("source", "now", "measured_tenant", "rows")},
    }
    server = worker = None
    try:
        server = start_server(args, env)
        report["http"] = http_scenarios(args, key, supplier_token, month, quarter)
        report["rss_after_load"] = rss(server)
        report["load_average_after_http"] = os.getloadavg()
        if args.reports:
            worker = start_worker(args, env)
            report["report_end_to_end"] = end_to_end_reports(args, key, month)
    finally:
        for proc in (worker, server):
            if proc is not None:
                stop_server(proc)
        provider.stop()
    if args.http_only:
        return finish(report, started)
    report["compute_in_process"] = {
        "month": inproc.compute_timed(tenant_id, month, 5),
        "quarter": inproc.compute_timed(tenant_id, quarter, 3),
    }
    report["explain_month"] = inproc.explain_month(tenant_id, month)
    report["report_in_process"] = inproc.report_parts(tenant_id, first_day, 3)
    report["clock_module"] = clock_module(args.source_dir)
    return finish(report, started)


def finish(report: dict, started: datetime) -> int:
    """Write the results and print their table."""
    report["load_average_after"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"sla-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    print(table(report))
    return 0


def table(report: dict) -> str:
    lines = ["| scenario | concurrency | p50 ms | p95 ms | p99 ms | req/s | statuses |"]
    lines.append("|---|---|---|---|---|---|---|")
    for name, result in report.get("http", {}).items():
        for key, r in result.items():
            if key.startswith("c") and isinstance(r, dict) and "p50_ms" in r:
                lines.append(
                    f"| {name} | {key[1:]} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | "
                    f"{r['rps']} | {r['statuses']} |"
                )
    for plan in report.get("explain_month", []):
        took, found = plan["execution_ms"], plan["rows"]
        lines.append(f"explain {took} ms, {found} rows: {plan['statement'][:90]}")
    lines.append(json.dumps(report.get("report_in_process")))
    lines.append(json.dumps(report.get("report_end_to_end")))
    clock = report.get("clock_module", {})
    lines.append(f"clock: {clock.get('tickets_per_second')} tickets/s")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
