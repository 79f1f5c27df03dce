"""Where the API's CPU goes per request on the ticket path: cProfile in process.

    .venv/bin/python bench/profile_tickets.py --data bench/.data/perf --database perf_bench_tickets

Builds the real app (every middleware, authentication, the tenant-scoped session) against a
dataset from tickets_dataset.py as the app role, calls it as an ASGI application one request
after another, and prints the CPU per request and the functions with the most own and
cumulative time. So that one profiler sees all of it, work the app hands to its threadpool
runs in the calling thread here: the thread hand-offs themselves are not in these figures
(bench/run_tickets.py measures the whole).

`--instructions` counts the instructions the process executes per request instead (valgrind's
callgrind, started by the script, counting only the measured requests): the same code and
data give the same count whatever else the machine does, where its CPU time drifts by
10-20 % from minute to minute here. About 2-4 minutes for 100 requests of each scenario.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import sys
import time
from pathlib import Path

import callgrind  # bench/, the script's own directory

HERE = Path(__file__).resolve().parent

NOTE = {"body": "Logboeken van de applicatieserver nagekeken.", "visibility": "internal"}


def caller(app, token: str):  # type: ignore[no-untyped-def]
    """`call(method, target, body, if_match)`: one request through the whole ASGI app, its
    status (and its headers, lower-cased, `with_headers`)."""

    async def call(  # type: ignore[no-untyped-def]
        method: str,
        target: str,
        body: object = None,
        if_match: str | None = None,
        with_headers: bool = False,
    ):
        path, _, query = target.partition("?")
        raw = json.dumps(body).encode() if body is not None else b""
        headers = [(b"host", b"localhost"), (b"authorization", f"Bearer {token}".encode())]
        if body is not None:
            length = str(len(raw)).encode()
            headers += [(b"content-type", b"application/json"), (b"content-length", length)]
        if if_match is not None:
            headers.append((b"if-match", if_match.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("localhost", 80),
        }
        done, status, sent, answered = asyncio.Event(), [0], [False], {}

        async def receive() -> dict:
            if not sent[0]:
                sent[0] = True
                return {"type": "http.request", "body": raw, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                answered.update((k.decode(), v.decode()) for k, v in message["headers"])
            elif not message.get("more_body"):
                done.set()

        await app(scope, receive, send)
        return (status[0], answered) if with_headers else status[0]

    return call


def in_one_thread(database: str) -> None:
    """Point the app at the bench database as the app role, and run what it hands to its
    threadpool in the calling thread, so that one profiler or CPU clock sees all of it."""
    os.environ["REGIE_DATABASE_URL"] = f"postgresql://regie_bench_app@127.0.0.1:5432/{database}"
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ["REGIE_LOG_LEVEL"] = "warning"
    sys.path.insert(0, str(HERE))
    import anyio.to_thread

    async def inline(func, *fargs, **_kw):  # type: ignore[no-untyped-def]
        return func(*fargs)

    anyio.to_thread.run_sync = inline  # type: ignore[assignment]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=HERE / ".data" / "tickets")
    p.add_argument("--database", default="regie_bench_tickets")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--scenarios", default="get,list,message,create")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--cpu-only", action="store_true", help="no profiler: CPU per request only")
    p.add_argument("--callers", default="", help="also print who calls functions matching this")
    p.add_argument(
        "--instructions", action="store_true", help="instructions per request (callgrind)"
    )
    args = p.parse_args()
    if args.instructions and not callgrind.under_callgrind():
        return instructions(args)
    in_one_thread(args.database)
    from run_tickets import incident_body

    from regie.app import create_app

    token = (args.data / "token").read_text().strip()
    ids = (args.data / "ids.txt").read_text().split()
    lists = (args.data / "lists.txt").read_text().split()
    app = create_app()
    rnd = random.Random(7)
    loop = asyncio.new_event_loop()

    call = caller(app, token)

    body = incident_body()

    def one(name: str) -> int:
        if name == "get":
            return loop.run_until_complete(call("GET", f"/api/v1/tickets/{rnd.choice(ids)}"))
        if name == "list":
            return loop.run_until_complete(call("GET", f"/api/v1/tickets?{rnd.choice(lists)}"))
        if name == "message":
            path = f"/api/v1/tickets/{rnd.choice(ids[:2000])}/messages"
            return loop.run_until_complete(call("POST", path, NOTE))
        return loop.run_until_complete(call("POST", "/api/v1/tickets", body))

    for name in args.scenarios.split(","):
        for _ in range(20):  # warm-up: caches, pool, statement preparation
            one(name)
        prof = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
        cpu0 = time.process_time()
        if not args.cpu_only:
            prof.enable()
        with callgrind.counted(name):
            codes = [one(name) for _ in range(args.requests)]
        prof.disable()
        cpu = (time.process_time() - cpu0) / args.requests * 1000
        print(
            f"\n===== {name}: {cpu:.2f} ms CPU per request "
            f"(profiler {'off' if args.cpu_only else 'on'}), "
            f"status {sorted(set(codes))}, load average {os.getloadavg()[0]:.2f}"
        )
        if args.cpu_only:
            continue
        for key in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats(key).print_stats(args.top)
            print("\n".join(out.getvalue().splitlines()[6:]))
        if args.callers:
            out = io.StringIO()
            pstats.Stats(prof, stream=out).print_callers(args.callers)
            print(out.getvalue())
    print(json.dumps({"note": "profile done"}))
    return 0


def instructions(args: argparse.Namespace) -> int:
    """The instructions per request of each scenario, counted under callgrind."""
    argv = ["--cpu-only", *(a for a in sys.argv[1:] if a != "--instructions")]
    counts = callgrind.rerun_counted(__file__, argv)
    for name in args.scenarios.split(","):
        per = counts[name] / args.requests / 1e6
        print(f"===== {name}: {per:.3f} M instructions per request ({args.requests} requests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
