"""What-if server for the benchmark: `regie serve` with one thing changed, app code untouched.

    .venv/bin/python bench/run_foundation.py --variant no-otel --workers 1

Each variant patches the app at import time, in this process only, to measure what a change
would buy before anyone makes it in the app. Variants (comma-separated to combine):
    baseline   nothing changed (checks this launcher matches `regie serve`)
    no-otel    skip regie.app._instrument (OpenTelemetry ASGI + SQLAlchemy instrumentation)
    pool32     SQLAlchemy pool_size=32, max_overflow=8 instead of 10/10 (no connection churn
               with 32 concurrent requests)
    inline     what the app hands its threadpool runs on the event loop's thread: one request
               at a time per worker, no thread hand-offs and no threads taking the GIL
               from each other (run with more workers than cores)
    pin        each worker process (its event loop and its threadpool) on a core of its own,
               the first core no other worker holds (a lock file per core)
    switch1ms, switch20ms
               the interpreter's switch interval (how long a thread may hold the GIL while
               another waits for it) 1 ms or 20 ms instead of 5 ms
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache

VARIANTS = {"baseline", "no-otel", "pool32", "inline", "switch1ms", "switch20ms", "pin"}


def apply(variants: set[str]) -> None:
    unknown = variants - VARIANTS
    if unknown:
        raise SystemExit(f"unknown variant(s): {', '.join(sorted(unknown))}")
    if "pool32" in variants:
        import core.db as db
        from core.settings import get_settings

        @lru_cache
        def get_engine():  # type: ignore[no-untyped-def]
            return db.make_engine(get_settings().database_url, pool_size=32, max_overflow=8)

        db.get_engine = get_engine
    if "inline" in variants:
        import anyio.to_thread

        async def inline(func, *args, **_kwargs):  # type: ignore[no-untyped-def]
            return func(*args)

        anyio.to_thread.run_sync = inline  # type: ignore[assignment]
    if "pin" in variants and __name__ != "__main__":
        import fcntl

        for core in sorted(os.sched_getaffinity(0)):
            held = open(f"/tmp/serve-variant-core-{core}.lock", "w")  # noqa: SIM115 (held)
            try:
                fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                held.close()
                continue
            globals()["_held"] = held  # the lock lasts as long as the worker
            os.sched_setaffinity(0, {core})
            break
    if "switch1ms" in variants:
        sys.setswitchinterval(0.001)
    if "switch20ms" in variants:
        sys.setswitchinterval(0.02)
    if "no-otel" in variants:
        import regie.app

        regie.app._instrument = lambda app: None


if __name__ != "__main__":  # imported by uvicorn (in each worker): patch, then build the app
    apply(set(filter(None, os.environ.get("BENCH_VARIANT", "baseline").split(","))))
    from regie.asgi import app  # noqa: F401  (after the patches)


def main() -> None:
    import argparse

    import uvicorn

    p = argparse.ArgumentParser()
    p.add_argument("variant")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--workers", type=int, default=1)
    a = p.parse_args()
    apply(set(a.variant.split(",")))  # validate early
    os.environ["BENCH_VARIANT"] = a.variant  # uvicorn (and each worker) imports this module
    # Same options as regie.cli.serve.
    uvicorn.run(
        "serve_variant:app",
        host=a.host,
        port=a.port,
        workers=a.workers,
        log_config=None,
        proxy_headers=True,
        server_header=False,
        app_dir=os.path.dirname(os.path.abspath(__file__)),
    )


if __name__ == "__main__":
    sys.exit(main())
