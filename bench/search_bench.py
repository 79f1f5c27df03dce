"""Search benchmark: `GET /api/v1/tickets?q=` over tickets and their replies, per word.

    .venv/bin/python bench/tickets_dataset.py --tickets 200000 --database regie_bench_search \
        --out bench/.data/search                                   # about 75 s here
    .venv/bin/python bench/search_bench.py --snapshot REV           # a few minutes

Starts `regie serve --workers 2` as the app role (row-level security on) on the dataset's
database, then for each word (a common one, one of the rarest, one no ticket or reply holds)
and each concurrency, a closed loop of keep-alive clients in this process, bounded by a
request count and seconds, all in the tenant tickets-01 (`limit=50`). `--pg-timeout-ms` sets
PostgreSQL's statement_timeout for the server's connections (PGOPTIONS), so a runaway
statement of old code cannot hold a core after the client stops waiting. Figures go to
bench/results/search-<timestamp>.json and stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dataset import reexec_in_snapshot  # noqa: E402

RESULTS = HERE / "results"
ABSENT = "zwaluwstaartverbinding"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=HERE / ".data" / "search")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=8768)
    p.add_argument("--concurrency", default="1,8")
    p.add_argument("--words", help="comma-separated; default: common, rare and absent")
    p.add_argument("--requests", type=int, default=200, help="at most, per word and concurrency")
    p.add_argument("--seconds", type=float, default=20, help="at most, per word and concurrency")
    p.add_argument("--pg-timeout-ms", type=int, default=0, help="0: the server's own setting")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--snapshot", metavar="REV", help="serve the code of this commit")
    return p.parse_args()


def words(args: argparse.Namespace, dataset: dict) -> dict[str, str]:
    """Role -> word: the most frequent, the least frequent of the dataset, and an absent one."""
    if args.words:
        return {w: w for w in args.words.split(",")}
    ranked = sorted(dataset["search_words"].items(), key=lambda wh: -wh[1])
    return {"common": ranked[0][0], "rare": ranked[-1][0], "absent": ABSENT}


def server_env(args: argparse.Namespace, dataset: dict) -> dict[str, str]:
    from run_foundation import server_env as base

    url = f"postgresql://regie_bench_app@127.0.0.1:5432/{dataset['database']}"
    env = base(args.source_env, url)
    env["REGIE_BROKER_URL"] = "filesystem://"
    env["REGIE_BROKER_FOLDER"] = str(args.data / "broker")
    if args.pg_timeout_ms:
        env["PGOPTIONS"] = f"-c statement_timeout={args.pg_timeout_ms}"
    return env


def measure(args: argparse.Namespace, token: str, chosen: dict[str, str]) -> dict:
    from sla_bench import closed_loop

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    out: dict = {}
    for role, word in chosen.items():
        path = f"/api/v1/tickets?q={quote(word)}&limit=50"
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            started = time.perf_counter()
            result = closed_loop(args.port, path, headers, concurrency, args.requests, args.seconds)
            result["load_average_after"] = os.getloadavg()
            out[f"{role}:{word}:{concurrency}"] = result
            print(f"{role} {word} x{concurrency}: {result} ({time.perf_counter() - started:.0f} s)")
    return out


def table(results: dict) -> str:
    rows = ["| word | clients | requests | p50 | p95 | statuses |", "|---|---|---|---|---|---|"]
    for key, r in results.items():
        role, word, clients = key.split(":")
        p50, p95 = r.get("p50_ms", "-"), r.get("p95_ms", "-")
        rows.append(
            f"| {role} `{word}` | {clients} | {r['requests']} | {p50} ms | {p95} ms | "
            f"{r['statuses']} |"
        )
    return "\n".join(rows)


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        reexec_in_snapshot(args.snapshot, __file__)
    import sla_bench
    from _source import resolve
    from run_foundation import report_head, stop_server

    sla_bench.DATA = args.data  # where its server start writes serve.log

    args.source_dir, source, args.source_env = resolve(args.snapshot)
    dataset = json.loads((args.data / "dataset.json").read_text())
    token = (args.data / "token").read_text().strip()
    chosen = words(args, dataset)
    started = datetime.now(UTC)
    report: dict = {
        **report_head(started, source, args.workers),
        "pg_statement_timeout_ms": args.pg_timeout_ms or None,
        "bounds": {"requests": args.requests, "seconds": args.seconds},
        "dataset": {k: dataset.get(k) for k in ("source", "database", "measured_tenant", "rows")},
        "hits": {w: dataset["search_words"].get(w, 0) for w in chosen.values()},
    }
    server = sla_bench.start_server(args, server_env(args, dataset))
    try:
        report["results"] = measure(args, token, chosen)
    finally:
        stop_server(server)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"search-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    print(table(report["results"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
