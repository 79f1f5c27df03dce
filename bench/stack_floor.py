"""What the fixed stack costs for a ticket's GET before any of Regie's own code runs: the floor
under issue 17's aim of 1 ms of API CPU per get.

    .venv/bin/python bench/tickets_dataset.py --tickets 200000     # once: regie_bench_tickets
    .venv/bin/python bench/stack_floor.py [--rounds 2] [--duration 20] [--warmup 5]

Serves the same answer, GET of a random ticket of tickets-01, four ways, each with 2 uvicorn
workers (uvloop and httptools, as `regie serve` runs them; a socket per worker, as
regie.listening binds them), as the app role with row-level security on, and loads each with
wrk (32 connections, bench/wrk/tickets.lua), accounted as run_tickets.py accounts (API CPU per
request, req/s, p50/p95/p99, PostgreSQL's CPU, the machine's other load and steal):

- `asgi`: a Starlette route answering the ticket's JSON, encoded once at start: uvicorn, the
  HTTP parser, the event loop and Starlette's routing.
- `fastapi`: a FastAPI plain `def` route, the ticket's id a UUID path parameter and
  `TicketPublic` the response model, answering the ticket read at start: adds FastAPI's
  routing and parameter validation, one threadpool hand-off, the answer's serialisation.
- `fastapi-db`: adds per request the database work of Regie's GET, with Regie's statements
  executed by SQLAlchemy: a connection from Regie's engine (a pool as large as the
  connections), BEGIN with the tenant setting in one exchange, the API key's row, the
  ticket's row, COMMIT; the answer built from the row.
- `psycopg`, `psycopg-pipeline`: as `fastapi-db`, the same statements on a psycopg
  connection of the thread's own, without SQLAlchemy: its part of the floor. The pipeline
  sends all five (BEGIN, the setting, the key, the ticket, COMMIT) at once and reads their
  answers in one round trip: what a read that knew its statements before it began would cost.
- `regie`: `regie serve`, GET /api/v1/tickets/{id}: adds authentication (the key's secret
  checked, its expiry and the tenant's status), the permission, the unit of work, the
  middleware (problem answers, the HTTP conventions, admission, OpenTelemetry's server span).

Each round serves the levels in turn, the order reversed every other round. Figures go to
bench/results/stack-floor-<UTC time>.json and stdout. `serve --level L --port P` runs one
level's server (what the benchmark starts).

`--in-process N` instead calls each database level's endpoint function N times in this
process, one after another on one thread (no server, no threadpool, no other request): the CPU
and the wall time of the database part alone.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import psycopg
from psycopg.rows import dict_row
from run_tickets import APP_URL, DATA, HERE, LUA, RESULTS, ROOT
from sqlalchemy.dialects import postgresql

LEVELS = ("asgi", "fastapi", "psycopg-pipeline", "psycopg", "fastapi-db", "regie")
FLOOR = "/floor/tickets"


# --------------------------------------------------------------------------- the floor apps


def app() -> Any:
    """The ASGI app of the level FLOOR_LEVEL names (uvicorn calls this in each worker)."""
    from fastapi import FastAPI, HTTPException

    from core.db import TENANT_SETTING, make_engine
    from core.identity import bearer_secrets
    from core.identity.service import _KEY as KEY  # the key's statement, as Regie reads it
    from core.identity.service import PREFIX
    from tickets.repository import _ROW as ROW  # the ticket's statement, as Regie's GET reads it
    from tickets.schemas import TicketPublic

    level = os.environ["FLOOR_LEVEL"]
    token = Path(os.environ["FLOOR_TOKEN_FILE"]).read_text().strip()
    tenant, key_id, _secret = bearer_secrets.parse(token, PREFIX, "Regie API key")
    begin = f"BEGIN; SELECT set_config('{TENANT_SETTING}', '{tenant}', true)".encode()
    # A connection for every request a worker may hold at once: no connection is opened and
    # closed per request (Regie admits its pool's size, core.api.admission).
    engine = make_engine(os.environ["REGIE_DATABASE_URL"], pool_size=32, max_overflow=0)

    def read(ticket_id: uuid.UUID) -> Any:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.pgconn.exec_(begin)  # as core.db begins a unit: one exchange
            conn.execute(KEY.statement, {"tenant": tenant, "key": key_id}).one()
            row = conn.execute(ROW.statement, {"tenant": tenant, "id": ticket_id}).first()
            conn.commit()
        return row

    # The statements as psycopg takes them, and the columns it hands back as text that the
    # answer holds as enums (SQLAlchemy's Enum type converts them).
    dialect = postgresql.dialect(paramstyle="pyformat")
    key_sql = str(KEY.statement.compile(dialect=dialect))
    row_sql = str(ROW.statement.compile(dialect=dialect))
    columns = ROW.statement.selected_columns
    enums = {c.name: c.type.enum_class for c in columns if _enum_class(c.type)}
    options = "-c jit=off -c TimeZone=UTC"
    dsn = os.environ["REGIE_DATABASE_URL"]
    own = threading.local()

    def connection() -> psycopg.Connection:
        if not hasattr(own, "conn"):
            own.conn = psycopg.connect(dsn, options=options, row_factory=dict_row)
            own.conn.autocommit = level == "psycopg-pipeline"
        return own.conn

    def read_direct(ticket_id: uuid.UUID) -> Any:
        conn = connection()
        with conn.cursor() as cur:
            # psycopg sends its BEGIN alone: the setting goes in a statement of its own here
            cur.execute("SELECT set_config(%s, %s, true)", (TENANT_SETTING, str(tenant)))
            cur.execute(key_sql, {"tenant": tenant, "key": key_id})
            cur.fetchone()
            cur.execute(row_sql, {"tenant": tenant, "id": ticket_id})
            row = cur.fetchone()
        conn.commit()
        return row

    def read_pipelined(ticket_id: uuid.UUID) -> Any:
        conn = connection()
        with conn.cursor() as setup, conn.cursor() as key, conn.cursor() as found:
            with conn.pipeline():
                setup.execute("BEGIN")
                setup.execute("SELECT set_config(%s, %s, true)", (TENANT_SETTING, str(tenant)))
                key.execute(key_sql, {"tenant": tenant, "key": key_id})
                found.execute(row_sql, {"tenant": tenant, "id": ticket_id})
                setup.execute("COMMIT")
            key.fetchone()
            return found.fetchone()

    def answered(row: dict[str, Any] | None) -> TicketPublic:
        if row is None:
            raise HTTPException(404)
        for name, kind in enums.items():
            if row[name] is not None:
                row[name] = kind(row[name])
        return TicketPublic.stored(SimpleNamespace(**row))

    first = read(uuid.UUID(Path(os.environ["FLOOR_IDS_FILE"]).read_text().split()[0]))
    answer = TicketPublic.stored(first)
    ready = {"status": "ready"}

    if level == "asgi":
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        encoded = answer.model_dump_json(by_alias=True).encode()

        async def one(_request: Request) -> Response:
            return Response(encoded, media_type="application/json")

        async def is_ready(_request: Request) -> Response:
            return JSONResponse(ready)

        routes = [Route(FLOOR + "/{ticket_id}", one), Route("/ready", is_ready)]
        return Starlette(routes=routes)

    api = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @api.get("/ready")
    async def is_ready() -> dict[str, str]:
        return ready

    if level == "fastapi":

        @api.get(FLOOR + "/{ticket_id}", response_model=TicketPublic)
        def fixed(ticket_id: uuid.UUID) -> TicketPublic:
            return answer

    elif level == "fastapi-db":

        @api.get(FLOOR + "/{ticket_id}", response_model=TicketPublic)
        def from_database(ticket_id: uuid.UUID) -> TicketPublic:
            row = read(ticket_id)
            if row is None:
                raise HTTPException(404)
            return TicketPublic.stored(row)

    elif level == "psycopg":

        @api.get(FLOOR + "/{ticket_id}", response_model=TicketPublic)
        def direct(ticket_id: uuid.UUID) -> TicketPublic:
            return answered(read_direct(ticket_id))

    elif level == "psycopg-pipeline":

        @api.get(FLOOR + "/{ticket_id}", response_model=TicketPublic)
        def pipelined(ticket_id: uuid.UUID) -> TicketPublic:
            return answered(read_pipelined(ticket_id))

    else:
        raise SystemExit(f"unknown level {level!r}")
    return api


def _enum_class(column_type: Any) -> bool:
    return getattr(column_type, "enum_class", None) is not None


def serve(level: str, port: int, workers: int) -> None:
    """One level's server, bound and supervised as `regie serve --workers N` does."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from regie.listening import OwnSocket, reserve

    os.environ["FLOOR_LEVEL"] = level
    config = uvicorn.Config(
        "stack_floor:app",
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        log_config=None,
        server_header=False,
    )
    with reserve(config.host, config.port):
        Multiprocess(config, sockets=[OwnSocket(config.host, config.port)]).run()  # type: ignore[list-item]


# --------------------------------------------------------------------------- the benchmark


def parse_args() -> argparse.Namespace:
    from run_foundation import _install_wrk

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--levels", default=",".join(LEVELS))
    p.add_argument("--port", type=int, default=8767)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--duration", type=int, default=20, help="measured seconds per level")
    p.add_argument("--warmup", type=int, default=5, help="warm-up seconds per level")
    p.add_argument("--data", type=Path, default=DATA, help="the dataset's --out folder")
    p.add_argument("--database", default="regie_bench_tickets", help="the dataset's database")
    p.add_argument("--in-process", type=int, default=0, metavar="N", help="see above")
    p.add_argument("--wrk", default=shutil.which("wrk") or _install_wrk())
    args = p.parse_args()
    args.database_url = APP_URL.rsplit("/", 1)[0] + "/" + args.database
    args.token_file = args.data / "token"
    return args


def start(args: argparse.Namespace, level: str) -> tuple[subprocess.Popen, Path]:
    from run_foundation import server_env, wait_ready

    log = HERE / ".data" / f"stack-floor-{level}.log"
    if level == "regie":
        cmd = [str(ROOT / ".venv" / "bin" / "regie"), "serve", "--host", "127.0.0.1"]
    else:
        cmd = [sys.executable, str(Path(__file__)), "serve", "--level", level]
    cmd += ["--port", str(args.port), "--workers", str(args.workers)]
    env = server_env(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)]),
            "FLOOR_TOKEN_FILE": str(args.token_file),
            "FLOOR_IDS_FILE": str(args.data / "ids.txt"),
        },
        args.database_url,
    )
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    wait_ready(proc, log, args.port, args.workers)
    return proc, log


def paths_file(args: argparse.Namespace, level: str) -> Path:
    prefix = "/api/v1/tickets" if level == "regie" else FLOOR
    ids = (args.data / "ids.txt").read_text().split()
    path = args.data / f"paths-floor-{level}.txt"
    path.write_text("".join(f"{prefix}/{i}\n" for i in ids))
    return path


def measure_level(args: argparse.Namespace, level: str, token: str) -> dict:
    from run_foundation import get, measure, run_wrk, stop_server

    paths = paths_file(args, level)
    proc, log = start(args, level)
    try:
        first = paths.read_text().split("\n", 1)[0]
        status, body = get(args.port, first, token, timeout=30)
        if status != 200 or b'"number"' not in body:
            raise SystemExit(f"{level}: {first} answered {status}: {body[:300]!r}")
        env = {
            "BENCH_TOKEN_FILE": str(args.token_file),
            "BENCH_PATHS_FILE": str(paths),
            "BENCH_METHOD": "GET",
            "BENCH_BODY_FILE": "",
        }
        load_before = os.getloadavg()[0]
        result = measure(args, proc, level, lambda seconds: run_wrk(args, seconds, LUA, env))
        result.pop("peak_rss_mb")
        result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        result["api_cpu_ms_per_request"] = round(
            1000 * result["api_cpu_cores"] / max(result["rps"], 1), 3
        )
        result["answer_bytes"] = len(body)
        result["server_log"] = str(log.relative_to(ROOT))
        return result
    finally:
        stop_server(proc)
        time.sleep(1)


def table(rounds: list[dict[str, dict]]) -> str:
    rows = [
        "| round | level | API CPU per request | req/s | p50 / p95 / p99 | PostgreSQL cores "
        "| steal | other cores | connections per worker | non-2xx |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, results in enumerate(rounds, 1):
        for level, r in results.items():
            rows.append(
                f"| {number} | {level} | {r['api_cpu_ms_per_request']:.2f} ms | {r['rps']:.0f} | "
                f"{r['p50_ms']:.1f} / {r['p95_ms']:.1f} / {r['p99_ms']:.1f} ms | "
                f"{r['postgres_cpu_cores']} | {r['machine_cpu_steal_pct']} % | "
                f"{r['other_cpu_cores']} | {list(r['connections_per_process'].values())} | "
                f"{r['errors']['status']} |"
            )
    return "\n".join(rows)


def in_process(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    """CPU and wall time per call of each level's endpoint, called directly."""
    os.environ.update(
        REGIE_DATABASE_URL=args.database_url,
        REGIE_LOG_LEVEL="warning",
        FLOOR_TOKEN_FILE=str(args.token_file),
        FLOOR_IDS_FILE=str(args.data / "ids.txt"),
    )
    ids = [uuid.UUID(i) for i in (args.data / "ids.txt").read_text().split()]
    found = {}
    for level in args.levels.split(","):
        if level in ("asgi", "fastapi", "regie"):
            continue
        os.environ["FLOOR_LEVEL"] = level
        endpoint = next(r.endpoint for r in app().routes if r.path.startswith(FLOOR))
        for ticket_id in ids[:200]:  # warm-up: the pool, prepared statements, caches
            endpoint(ticket_id)
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(args.in_process):
            endpoint(ids[n % len(ids)])
        found[level] = {
            "cpu_ms": round((time.process_time() - cpu) / args.in_process * 1000, 3),
            "wall_ms": round((time.perf_counter() - wall) / args.in_process * 1000, 3),
        }
        print(f"  {level}: {found[level]['cpu_ms']} ms CPU, {found[level]['wall_ms']} ms wall")
    return found


def main() -> int:
    if sys.argv[1:2] == ["serve"]:
        p = argparse.ArgumentParser(prog="stack_floor.py serve")
        p.add_argument("--level", required=True, choices=[x for x in LEVELS if x != "regie"])
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--workers", type=int, default=2)
        options = p.parse_args(sys.argv[2:])
        serve(options.level, options.port, options.workers)
        return 0
    from _source import describe_worktree
    from run_foundation import machine

    args = parse_args()
    token = args.token_file.read_text().strip()
    levels = args.levels.split(",")
    started = datetime.now(UTC)
    rounds: list[dict[str, dict]] = []
    if args.in_process:
        for number in range(args.rounds):
            print(f"== round {number + 1}, {args.in_process} calls each", flush=True)
            rounds.append(in_process(args))
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        out = RESULTS / f"stack-floor-in-process-{stamp}.json"
        report = {"date": started.isoformat(timespec="seconds"), "source": describe_worktree()}
        report |= {"machine": machine(), "calls": args.in_process, "rounds": rounds}
        out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"results: {out.relative_to(ROOT)}")
        return 0
    for number in range(args.rounds):
        order = levels if number % 2 == 0 else levels[::-1]
        print(f"== round {number + 1}: {', '.join(order)}", flush=True)
        rounds.append({level: measure_level(args, level, token) for level in order})
    report = {
        "date": started.isoformat(timespec="seconds"),
        "source": describe_worktree(),
        "machine": machine(),
        "workers": args.workers,
        "load": {
            "tool": "wrk",
            "connections": args.connections,
            "threads": args.threads,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
        },
        "dataset": json.loads((args.data / "dataset.json").read_text()).get("rows"),
        "rounds": rounds,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"stack-floor-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}\n")
    print(table(rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
