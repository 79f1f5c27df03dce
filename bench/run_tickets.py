"""Tickets benchmark: `regie serve` on the 1,000,000-ticket database, loaded with wrk.

    .venv/bin/python bench/tickets_dataset.py --snapshot REV   # once: regie_bench_tickets
    .venv/bin/python bench/run_tickets.py --snapshot REV        # about 3 minutes

Starts `regie serve --workers 2` as the app role (row-level security on), checks that each
scenario answers as expected, then per scenario 5 s of warm-up and 30 s measured with 32
connections and 2 wrk threads (bench/wrk/tickets.lua), all in the tenant tickets-01:
  get     GET /api/v1/tickets/{id}, a random ticket of the tenant per request
  list    GET /api/v1/tickets?<filters>&limit=50, rotating status/priority, group, assignee,
          createdFrom combinations (bench/.data/tickets/lists.txt)
  search  GET /api/v1/tickets?q=<word>&limit=50, Dutch and English words found in 0.5 % to
          40 % of the tenant's tickets (bench/.data/tickets/search.txt)
  message POST /api/v1/tickets/{id}/messages, an internal note on a random ticket
  create  POST /api/v1/tickets, a complete incident report (runs last: it adds tickets)
With --data and --database a smaller dataset built with tickets_dataset.py --out/--database.
CPU and memory are accounted as in run_foundation.py. Figures go to
bench/results/tickets-<timestamp>.json and stdout.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _source import resolve
from run_foundation import (
    HOST,
    _install_wrk,
    busy_cores,
    get,
    machine,
    measure,
    run_wrk,
    start_server,
    stop_server,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data" / "tickets"
RESULTS = HERE / "results"
LUA = HERE / "wrk" / "tickets.lua"
APP_URL = "postgresql://regie_bench_app@127.0.0.1:5432/regie_bench_tickets"
API = "/api/v1/tickets"
SCENARIOS = ("get", "list", "search", "message", "create")
AIMS_P95_MS = {"create": 30, "get": 15, "list": 50, "search": 100, "message": 30}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8766)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=30, help="measured seconds per scenario")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per scenario")
    p.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated subset")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--wrk", default=shutil.which("wrk") or _install_wrk())
    p.add_argument("--snapshot", metavar="REV", help="serve the code of this commit")
    p.add_argument("--wait-quiet", type=int, default=0, metavar="SECONDS")
    p.add_argument("--data", type=Path, default=DATA, help="the dataset's --out folder")
    p.add_argument("--database", default="regie_bench_tickets", help="the dataset's database")
    p.add_argument("--pin-workers", action="store_true", help="regie serve --pin-workers")
    p.set_defaults(log_prefix="serve-tickets", variant=None)
    args = p.parse_args()
    args.serve_options = ["--pin-workers"] if args.pin_workers else []
    args.database_url = APP_URL.rsplit("/", 1)[0] + "/" + args.database
    args.token_file = args.data / "token"
    return args


# --------------------------------------------------------------------------- requests


def incident_body() -> dict:
    """A complete incident report (what tests/tickets/helpers.py `incident()` sends)."""
    return {
        "type": "incident",
        "title": "Zaaksysteem geeft foutmelding bij openen dossier",
        "description": "Sinds vanochtend krijgt de gebruiker een foutmelding bij het openen "
        "van een dossier in het zaaksysteem. Opnieuw opstarten heeft niet geholpen.",
        "impact": "high",
        "urgency": "medium",
        "occurredAt": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
        "precedingActions": "Ingelogd en het dossieroverzicht geopend.",
        "reproducible": True,
        "investigation": "Andere browser geprobeerd; dezelfde foutmelding.",
        "causeOutsideService": False,
    }


def write_paths(data: Path) -> dict[str, dict[str, str]]:
    """Per scenario the wrk environment: its paths file, and method and body for the posts."""
    ids = (data / "ids.txt").read_text().split()
    lists = (data / "lists.txt").read_text().split()
    words = [line.split("\t")[0] for line in (data / "search.txt").read_text().splitlines()]
    files = {
        "get": [f"{API}/{i}" for i in ids],
        "list": [f"{API}?{q}" for q in lists],
        "search": [f"{API}?q={w}&limit=50" for w in words],
        "message": [f"{API}/{i}/messages" for i in ids[:2000]],
        "create": [API],
    }
    env = {}
    for name, lines in files.items():
        path = data / f"paths-{name}.txt"
        path.write_text("\n".join(lines) + "\n")
        env[name] = {"BENCH_PATHS_FILE": str(path), "BENCH_METHOD": "GET", "BENCH_BODY_FILE": ""}
    body = data / "create-body.json"
    body.write_text(json.dumps(incident_body()))
    env["create"].update(BENCH_METHOD="POST", BENCH_BODY_FILE=str(body))
    note = data / "message-body.json"
    note.write_text(json.dumps(NOTE))
    env["message"].update(BENCH_METHOD="POST", BENCH_BODY_FILE=str(note))
    return env


NOTE = {"body": "Logboeken van de applicatieserver nagekeken.", "visibility": "internal"}


def post(port: int, path: str, token: str, body: dict) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        conn.request("POST", path, body=json.dumps(body), headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def sanity(port: int, token: str, env: dict[str, dict[str, str]]) -> None:
    """Each scenario's first request answers as it should before anything is measured."""
    for name in ("get", "list", "search"):
        first = Path(env[name]["BENCH_PATHS_FILE"]).read_text().split("\n", 1)[0]
        status, body = get(port, first, token, timeout=30)
        if status != 200:
            raise SystemExit(f"{name}: {first} answered {status}: {body[:300]!r}")
    status, body = post(port, API, token, incident_body())
    if status != 201:
        raise SystemExit(f"create answered {status}: {body[:300]!r}")
    first = Path(env["message"]["BENCH_PATHS_FILE"]).read_text().split("\n", 1)[0]
    status, body = post(port, first, token, NOTE)
    if status != 201:
        raise SystemExit(f"message answered {status}: {body[:300]!r}")


# --------------------------------------------------------------------------- main


def quiet_machine(wait: int) -> float:
    background = busy_cores(3)
    deadline = time.monotonic() + wait
    while background >= 0.25 and time.monotonic() < deadline:
        print(f"waiting for a quiet machine: {background} cores busy", flush=True)
        background = busy_cores(5)
    print(f"background load before the run: {background} cores busy", flush=True)
    return background


def run(args: argparse.Namespace, token: str, env: dict[str, dict[str, str]]) -> dict:
    print(f"== regie serve --workers {args.workers} {' '.join(args.serve_options)}", flush=True)
    proc, log = start_server(args, args.workers)
    try:
        sanity(args.port, token, env)
        results = {}
        for name in args.scenarios.split(","):
            scenario_env = {"BENCH_TOKEN_FILE": str(args.token_file), **env[name]}
            load_before = os.getloadavg()[0]
            results[name] = measure(
                args,
                proc,
                name,
                lambda seconds, e=scenario_env: run_wrk(args, seconds, LUA, e),
            )
            results[name].pop("peak_rss_mb")
            r = results[name]
            r["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            r["api_cpu_ms_per_request"] = round(1000 * r["api_cpu_cores"] / max(r["rps"], 1), 2)
        return {"scenarios": results, "server_log": str(log.relative_to(ROOT))}
    finally:
        stop_server(proc)


def table(results: dict, connections: int) -> str:
    rows = [
        "| scenario | connections | p50 | p95 | p99 | req/s | API CPU per request | "
        "load average (before, after) | non-2xx | aim (p95) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        aim = AIMS_P95_MS[name]
        verdict = "met" if r["p95_ms"] <= aim else "missed"
        rows.append(
            f"| {name} | {connections} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | "
            f"{r['p99_ms']:.1f} ms | {r['rps']:.0f} | {r['api_cpu_ms_per_request']} ms | "
            f"{r['load_average_1m'][0]}, {r['load_average_1m'][1]} | {r['errors']['status']} | "
            f"≤ {aim} ms: {verdict} |"
        )
    return "\n".join(rows)


def main() -> int:
    args = parse_args()
    args.source_dir, source, args.source_env = resolve(args.snapshot)
    print(f"code: {source['kind']} {source['commit']}", flush=True)
    if not (args.data / "dataset.json").exists():
        raise SystemExit("no dataset: run .venv/bin/python bench/tickets_dataset.py first")
    dataset = json.loads((args.data / "dataset.json").read_text())
    if dataset.get("source", {}).get("commit") != source["commit"]:
        print(f"warning: the dataset was migrated with {dataset.get('source')}", flush=True)
    token = args.token_file.read_text().strip()
    env = write_paths(args.data)
    background = quiet_machine(args.wait_quiet)
    started = datetime.now(UTC)
    outcome = run(args, token, env)
    report = {
        "date": started.isoformat(timespec="seconds"),
        "source": source,
        "machine": machine(),
        "background_cpu_cores_before": background,
        "workers": args.workers,
        "pinWorkers": args.pin_workers,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "aims_p95_ms": AIMS_P95_MS,
        "dataset": {k: dataset.get(k) for k in ("source", "measured_tenant", "rows", "size")},
        **outcome,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"tickets-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}\n")
    print(table(outcome["scenarios"], args.connections))
    return 0


if __name__ == "__main__":
    sys.exit(main())
