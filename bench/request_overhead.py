"""What the framework around an endpoint costs: two builds of the app in one process, their
requests interleaved in blocks, so that the machine's drift falls on both alike.

    .venv/bin/python bench/request_overhead.py --data bench/.data/perf --database perf_bench_tickets

- **now**: the app as `create_app()` builds it: the route index (core/api/routing.py) and the
  plain ASGI OpenTelemetry middleware, whose span is named once routing has matched;
- **before**: the same app with FastAPI's own try-every-router matching, FastAPI's
  OpenTelemetry instrumentation, which matches the path against every route a second time to
  name the span and opens a span for every ASGI message, and the API key checked in a
  transaction of its own rather than in the read's (core/api/deps.py).

The data and the calls are those of profile_tickets.py (API key of tickets-01, the app role,
row-level security on); what the app hands to its threadpool runs in the calling thread.
The before build needs the package the app no longer uses:
`.venv/bin/pip install opentelemetry-instrumentation-fastapi==0.66b1`.
Prints the CPU per request of each build per scenario (the median of the blocks, and the mean)
and writes them to bench/results/request-overhead-<UTC time>.json.
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
from datetime import UTC, datetime
from pathlib import Path

from profile_tickets import NOTE, caller, in_one_thread

HERE = Path(__file__).resolve().parent


def before(app):  # type: ignore[no-untyped-def]
    """The app as it was built before: undo the index and swap the instrumentation."""
    from fastapi.routing import _IncludedRouter
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    try:
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    except ImportError:
        sys.exit(
            "the before build needs FastAPI's instrumentation: "
            "pip install opentelemetry-instrumentation-fastapi==0.66b1"
        )

    from core.api.routing import _PrefixedRouter

    app.router.routes[:] = [
        _IncludedRouter(original_router=r.original_router, include_context=r.include_context)
        if isinstance(r, _PrefixedRouter)
        else r
        for r in app.router.routes
    ]
    app.user_middleware = [m for m in app.user_middleware if m.cls is not OpenTelemetryMiddleware]
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,ready,metrics")
    return app


def _apart(authenticate):  # type: ignore[no-untyped-def]
    """Authentication as before: in units of its own, never in the request's."""

    def apart(*args, opener=None, **kwargs):  # type: ignore[no-untyped-def]
        return authenticate(*args, **kwargs)

    return apart


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=HERE / ".data" / "tickets")
    p.add_argument("--database", default="regie_bench_tickets")
    p.add_argument("--blocks", type=int, default=20, help="blocks per build and scenario")
    p.add_argument("--block", type=int, default=100, help="requests per block")
    p.add_argument("--scenarios", default="get,list,message")
    args = p.parse_args()
    in_one_thread(args.database)
    from regie.app import create_app

    token = (args.data / "token").read_text().strip()
    ids = (args.data / "ids.txt").read_text().split()
    lists = (args.data / "lists.txt").read_text().split()
    from core.api import deps

    builds = {"now": create_app(), "before": before(create_app())}
    checks = {"now": deps.authenticate, "before": _apart(deps.authenticate)}
    calls = {name: caller(app, token) for name, app in builds.items()}
    rnd = random.Random(7)
    loop = asyncio.new_event_loop()

    def one(build: str, scenario: str) -> int:
        call = calls[build]
        if scenario == "get":
            return loop.run_until_complete(call("GET", f"/api/v1/tickets/{rnd.choice(ids)}"))
        if scenario == "list":
            return loop.run_until_complete(call("GET", f"/api/v1/tickets?{rnd.choice(lists)}"))
        path = f"/api/v1/tickets/{rnd.choice(ids[:2000])}/messages"
        return loop.run_until_complete(call("POST", path, NOTE))

    load = [os.getloadavg()[0]]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for scenario in args.scenarios.split(","):
        cpu: dict[str, list[float]] = {build: [] for build in builds}
        for build in builds:
            deps.authenticate = checks[build]  # type: ignore[assignment]
            for _ in range(20):  # warm-up: caches, pool, statement preparation
                one(build, scenario)
        for block in range(args.blocks * 2):
            build = ("now", "before", "before", "now")[block % 4]
            deps.authenticate = checks[build]  # type: ignore[assignment]
            began = time.process_time()
            codes = {one(build, scenario) for _ in range(args.block)}
            cpu[build].append((time.process_time() - began) / args.block * 1000)
            assert codes <= {200, 201}, codes
        results[scenario] = {
            build: {"median_ms": statistics.median(v), "mean_ms": statistics.fmean(v)}
            for build, v in cpu.items()
        }
        now, old = (results[scenario][b]["median_ms"] for b in ("now", "before"))
        print(
            f"{scenario}: before {old:.2f} ms, now {now:.2f} ms CPU per request "
            f"({(now - old) / old:+.1%}), {args.blocks} blocks of {args.block} each"
        )
    load.append(os.getloadavg()[0])
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    out = {
        "commit": commit,
        "machine": f"{os.cpu_count()} CPUs",
        "load_average_before_after": load,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "blocks": args.blocks,
        "block": args.block,
        "results": results,
    }
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (HERE / "results" / f"request-overhead-{stamp}.json").write_text(json.dumps(out, indent=2))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
