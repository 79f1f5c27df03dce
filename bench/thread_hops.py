"""What one hand-off to the threadpool costs: CPU and wall time of `run_in_threadpool` of a
function that does nothing, as FastAPI and Regie's dependencies call it.

    .venv/bin/python bench/thread_hops.py [--hops 5000] [--rounds 5]

A request's blocking work (authentication, the endpoint, the commit) each crossed from the
event loop to a worker thread and back; this is the price of one such crossing on this
machine, without the work. Prints each round's median and the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

from starlette.concurrency import run_in_threadpool


def nothing() -> None:
    return None


async def rounds(hops: int, count: int) -> list[tuple[float, float]]:
    for _ in range(200):  # the threadpool's threads started
        await run_in_threadpool(nothing)
    out = []
    for _ in range(count):
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(hops):
            await run_in_threadpool(nothing)
        out.append(
            ((time.process_time() - cpu) / hops * 1e6, (time.perf_counter() - wall) / hops * 1e6)
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--hops", type=int, default=5000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    before = os.getloadavg()[0]
    found = asyncio.run(rounds(args.hops, args.rounds))
    for cpu, wall in found:
        print(f"one hand-off: {cpu:.1f} µs CPU, {wall:.1f} µs wall")
    print(
        f"median: {statistics.median(c for c, _ in found):.1f} µs CPU, "
        f"{statistics.median(w for _, w in found):.1f} µs wall; "
        f"load average {before:.2f} -> {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
