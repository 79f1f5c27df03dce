"""API worker memory: RSS of `regie serve --workers 2` idle and after a mixed load.

    .venv/bin/python bench/tickets_dataset.py --tickets 200000 --database memory_bench \\
        --out bench/.data/memory                                     # ~4 min here
    SLA_BENCH_DATABASE=memory_bench SLA_BENCH_DATA=bench/.data/memory/sla \\
        .venv/bin/python bench/sla_dataset.py --existing --scale 0.03  # KPI inputs, ~30 s
    .venv/bin/python bench/memory_bench.py [--snapshot REV]           # ~3 minutes

Starts `regie serve --workers 2` as the app role (row-level security on), waits for /ready
and reads each process's RSS once the workers have been idle for --settle seconds. It checks
that every kind of request answers as it should, then runs --rounds rounds of --duration
seconds of wrk (32 connections, bench/wrk/mix.lua) over one mix of requests, each picked at
random, per 1,000:
  300 get       GET /api/v1/tickets/{id}                          (tickets-01, 40,000 tickets)
  150 list      GET /api/v1/tickets?<filters>&limit=50
   50 search    GET /api/v1/tickets?q=<word>&limit=50
   50 messages  GET /api/v1/tickets/{id}/messages
   50 note      POST /api/v1/tickets/{id}/messages, internal
   50 reply     POST /api/v1/tickets/{id}/messages, public (the reporter is notified)
  100 create    POST /api/v1/tickets, a complete incident report
   80 month     GET /api/v1/kpis?period=<last closed month>           (sla-01)
   40 quarter   GET /api/v1/kpis?period=<last closed quarter>
   80 evidence  GET /api/v1/kpis/evidence?period=<month>&kpi=response&limit=100
After each round it reads VmRSS (and its anonymous and file-backed parts) of the supervisor
and each worker, and their peak (VmHWM). Figures go to bench/results/memory-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from _source import resolve  # noqa: E402
from run_foundation import (  # noqa: E402
    _install_wrk,
    api_processes,
    get,
    machine,
    role_of,
    run_wrk,
    start_server,
    stop_server,
)
from run_tickets import NOTE, incident_body, post  # noqa: E402

DATA = HERE / ".data" / "memory"
RESULTS = HERE / "results"
LUA = HERE / "wrk" / "mix.lua"
APP_URL = "postgresql://regie_bench_app@127.0.0.1:5432/"
API = "/api/v1"
# Requests per 1,000 of the mix.
MIX = {
    "get": 300,
    "list": 150,
    "search": 50,
    "messages": 50,
    "note": 50,
    "reply": 50,
    "create": 100,
    "month": 80,
    "quarter": 40,
    "evidence": 80,
}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8768)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=60, help="seconds of load per round")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--settle", type=int, default=10, help="idle seconds before the idle RSS")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--wrk", default=shutil.which("wrk") or _install_wrk())
    p.add_argument("--snapshot", metavar="REV", help="serve the code of this commit")
    p.add_argument("--data", type=Path, default=DATA, help="the tickets dataset's --out folder")
    p.add_argument("--database", default="memory_bench")
    p.add_argument("--label", default="", help="a word for the results file name")
    p.set_defaults(log_prefix="serve-memory", variant=None)
    args = p.parse_args()
    args.database_url = APP_URL + args.database
    return args


# --------------------------------------------------------------------------- the mix


def kpi_token(args: argparse.Namespace, tenant_id: str) -> Path:
    """An API key of the KPI tenant, issued once (in process, as the app role) and kept."""
    path = args.data / "kpi-token"
    if not path.exists():
        os.environ["REGIE_DATABASE_URL"] = args.database_url
        os.environ.setdefault("REGIE_BROKER_URL", "filesystem://")
        import uuid

        import sla_inprocess

        path.write_text(sla_inprocess.issue_key(uuid.UUID(tenant_id)) + "\n")
    return path


def periods(now: str) -> tuple[str, str]:
    """The last closed month and quarter before the KPI dataset's `now` (as sla_bench.py)."""
    from sla_bench import periods as sla_periods

    month, quarter, _first = sla_periods(datetime.fromisoformat(now))
    return month, quarter


def mix_lines(data: Path, month: str, quarter: str) -> dict[str, list[str]]:
    """Per kind of request its wrk lines (METHOD, token, path, body), tab-separated."""
    ids = (data / "ids.txt").read_text().split()
    lists = (data / "lists.txt").read_text().split()
    words = [line.split("\t")[0] for line in (data / "search.txt").read_text().splitlines()]
    rng = random.Random(20261205)
    pick = {
        "get": lambda: f"GET\ttickets\t{API}/tickets/{rng.choice(ids)}",
        "list": lambda: f"GET\ttickets\t{API}/tickets?{rng.choice(lists)}",
        "search": lambda: f"GET\ttickets\t{API}/tickets?q={rng.choice(words)}&limit=50",
        "messages": lambda: f"GET\ttickets\t{API}/tickets/{rng.choice(ids)}/messages",
        "note": lambda: f"POST\ttickets\t{API}/tickets/{rng.choice(ids[:2000])}/messages\tnote",
        "reply": lambda: f"POST\ttickets\t{API}/tickets/{rng.choice(ids[:2000])}/messages\treply",
        "create": lambda: f"POST\ttickets\t{API}/tickets\tcreate",
        "month": lambda: f"GET\tkpi\t{API}/kpis?period={month}",
        "quarter": lambda: f"GET\tkpi\t{API}/kpis?period={quarter}",
        "evidence": lambda: f"GET\tkpi\t{API}/kpis/evidence?period={month}&kpi=response&limit=100",
    }
    return {name: [pick[name]() for _ in range(count)] for name, count in MIX.items()}


def write_mix(args: argparse.Namespace, lines: dict[str, list[str]], kpi: Path) -> dict:
    """The mix file and the bodies; the wrk environment."""
    bodies = {
        "create": incident_body(),
        "note": NOTE,
        "reply": {"body": "We kijken ernaar en laten het vandaag weten.", "visibility": "public"},
    }
    for name, body in bodies.items():
        (args.data / f"{name}-body.json").write_text(json.dumps(body))
    mix = args.data / "mix.txt"
    mix.write_text("\n".join(line for kind in lines.values() for line in kind) + "\n")
    return {
        "BENCH_MIX_FILE": str(mix),
        "BENCH_TOKENS": f"tickets={args.data / 'token'},kpi={kpi}",
        "BENCH_BODIES": ",".join(f"{n}={args.data / f'{n}-body.json'}" for n in bodies),
    }


def sanity(port: int, tokens: dict[str, str], lines: dict[str, list[str]], data: Path) -> None:
    """Every kind of request answers 200 (GET) or 201 (POST) before anything is measured."""
    for name, kind in lines.items():
        method, token, path, *body = kind[0].split("\t")
        if method == "GET":
            status, answer = get(port, path, tokens[token], timeout=60)
        else:
            payload = json.loads((data / f"{body[0]}-body.json").read_text())
            status, answer = post(port, path, tokens[token], payload)
        if status != (200 if method == "GET" else 201):
            raise SystemExit(f"{name}: {method} {path} answered {status}: {answer[:300]!r}")


# --------------------------------------------------------------------------- memory


def memory(root_pid: int, workers: int) -> list[dict]:
    """RSS, its anonymous and file-backed parts, and the peak of each API process."""
    found = []
    for info in api_processes(root_pid):
        try:
            status = Path(f"/proc/{info['pid']}/status").read_text()
        except OSError:
            continue
        kb = {k: int(v) for k, v in re.findall(r"^(Rss\w+|VmHWM):\s+(\d+) kB", status, re.M)}
        found.append(
            {
                "role": role_of(info, root_pid, workers),
                "pid": info["pid"],
                "rss_mb": info["rss_mb"],
                "anon_mb": round(kb.get("RssAnon", 0) / 1024, 1),
                "file_mb": round(kb.get("RssFile", 0) / 1024, 1),
                "peak_mb": round(kb.get("VmHWM", 0) / 1024, 1),
                "threads": info["threads"],
            }
        )
    return found


def show(label: str, processes: list[dict]) -> None:
    text = ", ".join(
        f"{p['role']} {p['pid']} {p['rss_mb']} MB (anon {p['anon_mb']}, peak {p['peak_mb']}, "
        f"{p['threads']} threads)"
        for p in processes
    )
    print(f"  [{label}] {text}", flush=True)


def run(args: argparse.Namespace, env: dict, tokens: dict, lines: dict) -> dict:
    proc, log = start_server(args, args.workers)
    try:
        time.sleep(args.settle)
        idle = memory(proc.pid, args.workers)
        show("idle", idle)
        sanity(args.port, tokens, lines, args.data)
        rounds = []
        for n in range(1, args.rounds + 1):
            load_before = os.getloadavg()[0]
            result = run_wrk(args, args.duration, LUA, env)
            result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            result["processes"] = memory(proc.pid, args.workers)
            print(
                f"  [round {n}] {result['rps']:.0f} req/s, p95 {result['p95_ms']:.0f} ms, "
                f"non-2xx {result['errors']['status']}, load {result['load_average_1m']}",
                flush=True,
            )
            show(f"after round {n}", result["processes"])
            rounds.append(result)
        return {"idle": idle, "rounds": rounds, "server_log": str(log.relative_to(ROOT))}
    finally:
        stop_server(proc)


def table(outcome: dict) -> str:
    rows = [
        "| process | idle | "
        + " | ".join(f"after round {n} (peak)" for n in range(1, len(outcome["rounds"]) + 1))
        + " |",
        "|---|---|" + "---|" * len(outcome["rounds"]),
    ]
    for i, p in enumerate(outcome["idle"]):
        after = [r["processes"][i] for r in outcome["rounds"] if i < len(r["processes"])]
        rows.append(
            f"| {p['role']} {p['pid']} | {p['rss_mb']} MB | "
            + " | ".join(f"{a['rss_mb']} MB ({a['peak_mb']})" for a in after)
            + " |"
        )
    return "\n".join(rows)


def main() -> int:
    args = parse_args()
    args.source_dir, source, args.source_env = resolve(args.snapshot)
    print(f"code: {source['kind']} {source['commit']}", flush=True)
    dataset = json.loads((args.data / "dataset.json").read_text())
    kpi_data = json.loads((args.data / "sla" / "dataset.json").read_text())
    month, quarter = periods(kpi_data["now"])
    kpi = kpi_token(args, kpi_data["measured_tenant"]["id"])
    lines = mix_lines(args.data, month, quarter)
    env = write_mix(args, lines, kpi)
    tokens = {
        "tickets": (args.data / "token").read_text().strip(),
        "kpi": kpi.read_text().strip(),
    }
    started = datetime.now(UTC)
    outcome = run(args, env, tokens, lines)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "source": source,
        "machine": machine(),
        "workers": args.workers,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "mix_per_1000": MIX,
            "periods": {"month": month, "quarter": quarter},
        },
        "dataset": {
            "database": args.database,
            "tickets": {k: dataset.get(k) for k in ("source", "measured_tenant", "rows", "size")},
            "kpi": {k: kpi_data.get(k) for k in ("scale", "measured_tenant", "rows")},
        },
        **outcome,
    }
    RESULTS.mkdir(exist_ok=True)
    label = f"-{args.label}" if args.label else ""
    out = RESULTS / f"memory-{started.strftime('%Y%m%dT%H%M%SZ')}{label}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}\n")
    print(table(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
