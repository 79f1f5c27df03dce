"""Foundation benchmark: `regie serve` on PostgreSQL as the app role, loaded with wrk.

    .venv/bin/python bench/dataset.py          # once: database regie_bench + bench/.data/
    .venv/bin/python bench/run_foundation.py   # --workers 1 and 2, about 3 minutes

For each worker count: start the API, wait for /ready, check one GET and one list answer 200,
then (5 s warm-up, 30 s measured, 32 connections, 2 wrk threads each)
  a) GET /api/v1/services/{id}, a random id of the main tenant per request
  b) GET /api/v1/services?limit=50
and read VmRSS of the API processes (uvicorn supervisor and workers) idle, at peak during the
load and after it. Figures go to bench/results/foundation-<timestamp>.json and stdout.

`--snapshot HEAD` serves a `git archive` export of that commit instead of the working tree
(run bench/dataset.py with the same --snapshot so the schema matches); `--variant` serves a
what-if build (bench/experiments/serve_variant.py).

`--profile /path/to/py-spy` instead records the GET scenario (one worker) with py-spy
(GIL-holding samples) into bench/.data/ and prints the hottest functions; its figures are
slowed down by the sampler and are not benchmark figures.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from _source import resolve

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
RESULTS = HERE / "results"
LUA = HERE / "wrk" / "foundation.lua"
APP_URL = "postgresql://regie_bench_app@127.0.0.1:5432/regie_bench"
HOST = "127.0.0.1"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=30, help="measured seconds per scenario")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per scenario")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--wrk", default=shutil.which("wrk") or _install_wrk())
    p.add_argument(
        "--token-file",
        type=Path,
        default=DATA / "token",
        help="Bearer credential to load with (default: the dataset's API key)",
    )
    p.add_argument("--profile", metavar="PY_SPY", help="profile GET by id with this py-spy")
    p.add_argument("--profile-scenario", choices=["get", "list"], default="get")
    p.add_argument("--variant", help="what-if server, see bench/experiments/serve_variant.py")
    p.add_argument(
        "--snapshot",
        metavar="REV",
        help="serve the code of this commit (git archive) instead of the working tree",
    )
    p.set_defaults(database_url=APP_URL, log_prefix="serve")
    p.add_argument(
        "--wait-quiet",
        type=int,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the machine to be idle (< 0.25 cores busy)",
    )
    return p.parse_args()


# --------------------------------------------------------------------------- processes


def children(pid: int) -> list[int]:
    """All descendants of `pid`, from /proc (no psutil needed)."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent_of[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        current = frontier.pop()
        kids = [c for c, p in parent_of.items() if p == current]
        found += kids
        frontier += kids
    return found


def proc_info(pid: int) -> dict | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    rss = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    hwm = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    ticks = os.sysconf("SC_CLK_TCK")
    return {
        "pid": pid,
        "rss_mb": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "hwm_mb": round(int(hwm.group(1)) / 1024, 1) if hwm else None,
        "cpu_s": (int(stat[11]) + int(stat[12])) / ticks,
        "threads": int(stat[17]),
        "cmd": cmd[:160],
    }


def api_processes(root_pid: int) -> list[dict]:
    infos = [proc_info(p) for p in [root_pid, *children(root_pid)]]
    return [i for i in infos if i is not None]


SIDE_ROLES = ("supervisor", "resource tracker")


def role_of(info: dict, root_pid: int, workers: int) -> str:
    if "resource_tracker" in info["cmd"]:
        return "resource tracker"
    if info["pid"] == root_pid:
        return "server (single process)" if workers == 1 else "supervisor"
    return "worker"


def connections_by_pid(port: int) -> dict[int, int]:
    """Established client connections to `port`, counted per server process (via ss)."""
    try:
        out = subprocess.run(
            ["ss", "-Htnp", "state", "established", f"( sport = :{port} )"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return {}
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


class RssSampler(threading.Thread):
    """Peak VmRSS per process while the load runs, and how the connections are spread."""

    def __init__(self, root_pid: int, port: int) -> None:
        super().__init__(daemon=True)
        self.root_pid, self.port, self.peak, self.stop = root_pid, port, {}, threading.Event()
        self.connections: dict[int, int] = {}

    def run(self) -> None:
        started = time.monotonic()
        while not self.stop.is_set():
            for info in api_processes(self.root_pid):
                if info["rss_mb"] is not None:
                    self.peak[info["pid"]] = max(self.peak.get(info["pid"], 0), info["rss_mb"])
            if not self.connections and time.monotonic() - started > 3:
                self.connections = connections_by_pid(self.port)
            self.stop.wait(0.5)


def comm_cpu(name: str) -> dict[int, float]:
    """CPU seconds of every process whose command name is `name` (e.g. PostgreSQL backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1 : stat.rindex(")")] == name:
            fields = stat.rsplit(")", 1)[1].split()
            found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def steal_jiffies() -> int:
    """Time the hypervisor gave this VM's CPUs to someone else."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return int(fields[7]) if len(fields) > 7 else 0


def busy_cores(seconds: float) -> float:
    """How many cores the machine keeps busy over `seconds` (before we add any load)."""
    busy0, total0 = cpu_times()
    time.sleep(seconds)
    busy1, total1 = cpu_times()
    return round((os.cpu_count() or 1) * (busy1 - busy0) / max(1, total1 - total0), 2)


def cpu_times() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# --------------------------------------------------------------------------- server


def server_env(extra: dict[str, str], database_url: str = APP_URL) -> dict[str, str]:
    env = dict(os.environ, **extra)
    env.update(
        {
            "REGIE_DATABASE_URL": database_url,
            "REGIE_BROKER_URL": "redis://127.0.0.1:6379/14",
            "REGIE_LOG_LEVEL": "warning",
            "REGIE_ENV": "development",
        }
    )
    env.pop("REGIE_DATABASE_OWNER_URL", None)
    env.pop("REGIE_OTLP_ENDPOINT", None)
    return env


def get(port: int, path: str, token: str | None = None, timeout: float = 5) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def start_server(args: argparse.Namespace, workers: int) -> tuple[subprocess.Popen, Path]:
    log = DATA / f"{args.log_prefix}-w{workers}.log"
    cmd = [args.regie, "serve"]
    if args.variant:
        log = DATA / f"serve-{args.variant.replace(',', '+')}-w{workers}.log"
        cmd = [sys.executable, str(HERE / "experiments" / "serve_variant.py"), args.variant]
    cmd += ["--host", HOST, "--port", str(args.port), "--workers", str(workers)]
    cmd += getattr(args, "serve_options", [])  # e.g. --pin-workers
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=args.source_dir,
            env=server_env(args.source_env, args.database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    wait_ready(proc, log, args.port, workers)
    return proc, log


def wait_ready(proc: subprocess.Popen, log: Path, port: int, workers: int) -> None:
    """Until the server answers /ready with all its workers started (stopped after 90 s)."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[:2]} exited with {proc.returncode}; see {log}")
        try:
            status, _ = get(port, "/ready", timeout=2)
            if status == 200 and (workers == 1 or len(children(proc.pid)) >= workers):
                return
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"not ready within 90 s; see {log}")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server we started; SIGKILL it and its own children if it lingers."""
    kids = children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    for pid in kids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --------------------------------------------------------------------------- load


def _install_wrk() -> str:
    """wrk comes from Debian's packages; install it the first time (as root, like CI)."""
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def wrk(args: argparse.Namespace, seconds: int, path: str, ids: bool) -> dict:
    env = {
        "BENCH_TOKEN_FILE": str(args.token_file),
        "BENCH_PATH": path,
        "BENCH_IDS_FILE": str(DATA / "ids.txt") if ids else "",
    }
    return run_wrk(args, seconds, LUA, env)


def run_wrk(args: argparse.Namespace, seconds: int, script: Path, extra: dict[str, str]) -> dict:
    """Run wrk with a Lua script whose done() prints a `BENCH_JSON {...}` line; parse it."""
    env = dict(os.environ, **extra)
    cmd = [
        args.wrk,
        f"-t{min(args.threads, args.connections)}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://{HOST}:{args.port}",
    ]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if out.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    return json.loads(line.removeprefix("BENCH_JSON "))


def scenario(
    args: argparse.Namespace, proc: subprocess.Popen, name: str, path: str, ids: bool
) -> dict:
    return measure(args, proc, name, lambda seconds: wrk(args, seconds, path, ids))


def measure(
    args: argparse.Namespace, proc: subprocess.Popen, name: str, load: Callable[[int], dict]
) -> dict:
    """Warm up, then run `load` for the measured seconds while accounting CPU and memory."""
    print(f"  [{name}] warm-up {args.warmup} s", flush=True)
    load(args.warmup)
    before = {i["pid"]: i["cpu_s"] for i in api_processes(proc.pid)}
    pg_before = comm_cpu("postgres")
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy0, total0 = cpu_times()
    steal0 = steal_jiffies()
    sampler = RssSampler(proc.pid, args.port)
    sampler.start()
    print(f"  [{name}] measuring {args.duration} s, {args.connections} connections", flush=True)
    result = load(args.duration)
    sampler.stop.set()
    sampler.join()
    busy1, total1 = cpu_times()
    steal1 = steal_jiffies()
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pg_after = comm_cpu("postgres")
    after = api_processes(proc.pid)
    secs = result["seconds"]
    per_process = {i["pid"]: round((i["cpu_s"] - before.get(i["pid"], 0)) / secs, 2) for i in after}
    result["api_cpu_cores"] = round(sum(per_process.values()), 2)
    result["api_cpu_cores_per_process"] = per_process
    # Backends that exit during the window (pool overflow churn) are missed: a lower bound.
    result["postgres_cpu_cores"] = round(
        sum(c - pg_before.get(pid, 0) for pid, c in pg_after.items()) / secs, 2
    )
    result["wrk_cpu_cores"] = round(
        (wrk_after.ru_utime + wrk_after.ru_stime - wrk_before.ru_utime - wrk_before.ru_stime)
        / secs,
        2,
    )
    result["machine_cpu_busy_pct"] = round(100 * (busy1 - busy0) / max(1, total1 - total0), 1)
    result["machine_cpu_steal_pct"] = round(100 * (steal1 - steal0) / max(1, total1 - total0), 1)
    # Whatever else ran on the machine meanwhile (other users' jobs skew the figures).
    result["other_cpu_cores"] = round(
        (os.cpu_count() or 1) * result["machine_cpu_busy_pct"] / 100
        - result["api_cpu_cores"]
        - result["postgres_cpu_cores"]
        - result["wrk_cpu_cores"],
        2,
    )
    result["peak_rss_mb"] = sampler.peak
    result["connections_per_process"] = sampler.connections
    print(
        f"  [{name}] {result['rps']:.0f} req/s  p50 {result['p50_ms']:.1f}  "
        f"p95 {result['p95_ms']:.1f}  p99 {result['p99_ms']:.1f} ms  "
        f"non-2xx {result['errors']['status']}  CPU cores: API {result['api_cpu_cores']} "
        f"{list(per_process.values())}, PostgreSQL {result['postgres_cpu_cores']}, "
        f"wrk {result['wrk_cpu_cores']}, other {result['other_cpu_cores']}, "
        f"steal {result['machine_cpu_steal_pct']}%; "
        f"connections per process {list(sampler.connections.values())}",
        flush=True,
    )
    return result


def sanity(port: int, token: str, an_id: str) -> None:
    status, body = get(port, f"/api/v1/services/{an_id}", token)
    if status != 200:
        raise SystemExit(f"GET by id answered {status}: {body[:300]!r}")
    status, body = get(port, "/api/v1/services?limit=50", token)
    items = json.loads(body).get("items", []) if status == 200 else []
    if status != 200 or len(items) != 50:
        raise SystemExit(f"list answered {status} with {len(items)} items: {body[:300]!r}")


def run_workers(args: argparse.Namespace, workers: int, token: str, an_id: str) -> dict:
    server = f"variant {args.variant}" if args.variant else "regie serve"
    print(f"== {server} --workers {workers}", flush=True)
    proc, log = start_server(args, workers)
    try:
        sanity(args.port, token, an_id)
        idle = api_processes(proc.pid)
        get_one = scenario(args, proc, "GET by id", "/api/v1/services/", ids=True)
        listing = scenario(args, proc, "list of 50", "/api/v1/services?limit=50", ids=False)
        time.sleep(1)
        after = api_processes(proc.pid)
        idle_rss = {i["pid"]: i["rss_mb"] for i in idle}
        processes = [
            {
                "pid": i["pid"],
                "role": role_of(i, proc.pid, workers),
                "rss_idle_mb": idle_rss.get(i["pid"]),
                "rss_after_mb": i["rss_mb"],
                "rss_peak_mb": max(
                    get_one["peak_rss_mb"].get(i["pid"], 0), listing["peak_rss_mb"].get(i["pid"], 0)
                ),
                "hwm_mb": i["hwm_mb"],
                "threads": i["threads"],
            }
            for i in after
        ]
        for r in (get_one, listing):
            r.pop("peak_rss_mb")
        for p in processes:
            print(
                f"  RSS {p['role']:<24} pid {p['pid']}: idle {p['rss_idle_mb']} MB, "
                f"after load {p['rss_after_mb']} MB, peak {p['rss_peak_mb']} MB",
                flush=True,
            )
        return {
            "workers": workers,
            "get_by_id": get_one,
            "list_50": listing,
            "processes": processes,
            "server_log": str(log.relative_to(ROOT)),
        }
    finally:
        stop_server(proc)
        time.sleep(1)


# --------------------------------------------------------------------------- profile


def profile(args: argparse.Namespace, token: str, an_id: str) -> None:
    what = args.profile_scenario
    path, ids = (
        ("/api/v1/services/", True) if what == "get" else ("/api/v1/services?limit=50", False)
    )
    print(f"== profiling {path} with py-spy (--workers 1)", flush=True)
    proc, _log = start_server(args, 1)
    raw = DATA / f"profile-{what}.txt"
    svg = DATA / f"profile-{what}.svg"
    try:
        sanity(args.port, token, an_id)
        wrk(args, args.warmup, path, ids=ids)
        spies = [
            subprocess.Popen(
                [
                    args.profile,
                    "record",
                    "--pid",
                    str(proc.pid),
                    "--gil",
                    "--rate",
                    "200",
                    "--duration",
                    str(args.duration),
                    "--format",
                    fmt,
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for fmt, out in (("raw", raw), ("flamegraph", svg))
        ]
        result = wrk(args, args.duration, path, ids=ids)
        for spy in spies:
            spy.wait(timeout=60)
        print(f"  (under the sampler) {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms")
    finally:
        stop_server(proc)
    subprocess.run([sys.executable, str(HERE / "pyspy_summary.py"), str(raw)], check=False)
    print(f"  raw stacks: {raw}\n  flame graph: {svg}")


# --------------------------------------------------------------------------- main


def report_head(started, source: dict, workers: int) -> dict:
    """The fields every result file opens with: when, which code, which machine, its load."""
    return {
        "date": started.isoformat(timespec="seconds"),
        "source": source,
        "machine": machine(),
        "load_average_before": os.getloadavg(),
        "workers": workers,
    }


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model.group(1).strip() if model else platform.processor(),
        "mem_gib": round(int(mem.group(1)) / 1024 / 1024, 1) if mem else None,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def main() -> int:
    args = parse_args()
    args.source_dir, source, args.source_env = resolve(args.snapshot)
    dirty = source.get("uncommitted_files")
    print(
        f"code: {source['kind']} {source['commit']}"
        + (f" + {len(dirty)} uncommitted file(s)" if dirty else ""),
        flush=True,
    )
    token_file, ids_file = args.token_file, DATA / "ids.txt"
    if not token_file.exists() or not ids_file.exists():
        raise SystemExit("no dataset: run .venv/bin/python bench/dataset.py first")
    token = token_file.read_text().strip()
    an_id = ids_file.read_text().split("\n", 1)[0].strip()
    if args.profile:
        profile(args, token, an_id)
        return 0
    try:
        get(args.port, "/health", timeout=1)
        raise SystemExit(f"port {args.port} is already in use; pass --port")
    except OSError:
        pass
    dataset = json.loads((DATA / "dataset.json").read_text())
    if dataset.get("source", {}).get("commit") != source["commit"]:
        print(f"warning: the dataset was migrated with {dataset.get('source')}", flush=True)
    background = busy_cores(3)
    deadline = time.monotonic() + args.wait_quiet
    while background >= 0.25 and time.monotonic() < deadline:
        print(f"waiting for a quiet machine: {background} cores busy", flush=True)
        background = busy_cores(5)
    print(f"background load before the run: {background} cores busy", flush=True)
    started = datetime.now(UTC)
    runs = [run_workers(args, w, token, an_id) for w in args.workers]
    report = {
        "date": started.isoformat(timespec="seconds"),
        "server": f"variant {args.variant}" if args.variant else "regie serve",
        "source": source,
        "machine": machine(),
        "background_cpu_cores_before": background,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "dataset": {
            k: dataset.get(k)
            for k in (
                "source",
                "main_tenant",
                "other_tenants",
                "other_rows_each",
                "total_entries",
                "table_size",
            )
        },
        "runs": runs,
    }
    RESULTS.mkdir(exist_ok=True)
    suffix = f"-{args.variant.replace(',', '+')}" if args.variant else ""
    out = RESULTS / f"foundation-{started.strftime('%Y%m%dT%H%M%SZ')}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}\n")
    print(
        "| workers | GET p50 | GET p95 | GET p99 | GET req/s | list-50 p95 | list-50 req/s "
        "| RSS after load (MB) | API CPU cores per server process (GET; list) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in runs:
        g, lst = r["get_by_id"], r["list_50"]
        rss = ", ".join(f"{p['role']} {p['rss_after_mb']}" for p in r["processes"])
        servers = [p["pid"] for p in r["processes"] if p["role"] not in SIDE_ROLES]

        def split(res: dict, servers: list[int] = servers) -> str:
            per = res["api_cpu_cores_per_process"]
            return " / ".join(f"{per.get(pid, 0):.2f}" for pid in servers)

        print(
            f"| {r['workers']} | {g['p50_ms']:.1f} ms | {g['p95_ms']:.1f} ms | "
            f"{g['p99_ms']:.1f} ms | {g['rps']:.0f} | {lst['p95_ms']:.1f} ms | "
            f"{lst['rps']:.0f} | {rss} | {split(g)}; {split(lst)} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
