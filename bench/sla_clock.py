"""SLA clock throughput: synthetic ticket histories replayed by `services.sla.clock.compute`.

    .venv/bin/python bench/sla_clock.py                  # 20,000 tickets, a few seconds
    .venv/bin/python bench/sla_clock.py --tickets 50000 --seed 7

Each ticket (seeded random) opens at a random moment in 2025-2027 with a random priority,
gets a first response, one or two waits for the reporter or a third party, sometimes a
priority change, a resolution, sometimes a reopening and a second resolution, and a closing;
`now` falls somewhere in or after that history, so some clocks still run, some are paused
and most are stopped. All three clocks (response, platform and application restore) are
computed for every ticket on one default calendar, after a warm-up pass over 500 other
tickets (holiday tables loaded, day cache filled as in a long-running process). Prints one
JSON line with wall-clock and CPU-time rates and the load average at the end. Pure CPU,
one process: no database.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# This tree's code, not another checkout's editable install.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from services.sla.calendar import ServiceCalendar
from services.sla.clock import DEFAULT_POLICY, KINDS, PRIORITIES, Event, compute

FIRST = datetime(2025, 1, 1, tzinfo=UTC)
SPAN_MINUTES = 3 * 365 * 24 * 60
WAITS = ("waiting_reporter", "waiting_third_party", "waiting_change", "needs_information")


def later(rng: random.Random, at: datetime, low_minutes: int, high_minutes: int) -> datetime:
    return at + timedelta(minutes=rng.randint(low_minutes, high_minutes))


def ticket(rng: random.Random) -> tuple[list[Event], datetime]:
    """One synthetic history and the moment it is looked at."""
    at = FIRST + timedelta(minutes=rng.randrange(SPAN_MINUTES))
    events = [Event(at, "opened", status="new", priority=rng.choice(PRIORITIES))]
    at = later(rng, at, 5, 6 * 60)
    events += [Event(at, "responded"), Event(at, "status", status="in_progress")]
    for _ in range(rng.randint(1, 2)):
        at = later(rng, at, 30, 3 * 24 * 60)
        events.append(Event(at, "status", status=rng.choice(WAITS)))
        at = later(rng, at, 30, 5 * 24 * 60)
        events.append(Event(at, "status", status="in_progress"))
    if rng.random() < 0.2:
        events.append(Event(later(rng, at, 1, 60), "priority", priority=rng.choice(PRIORITIES)))
    at = later(rng, at, 60, 10 * 24 * 60)
    events.append(Event(at, "status", status="resolved"))
    if rng.random() < 0.1:
        at = later(rng, at, 60, 5 * 24 * 60)
        events.append(Event(at, "status", status="in_progress"))
        at = later(rng, at, 60, 5 * 24 * 60)
        events.append(Event(at, "status", status="resolved"))
    events.append(Event(later(rng, at, 2 * 24 * 60, 5 * 24 * 60), "status", status="closed"))
    span = int((events[-1].at - events[0].at).total_seconds() // 60)
    now = events[0].at + timedelta(minutes=rng.randint(0, span + 7 * 24 * 60))
    return events, now


def run(
    calendar: ServiceCalendar, tickets: list[tuple[list[Event], datetime]]
) -> tuple[float, float]:
    """Wall and CPU seconds taken to compute every clock of every ticket."""
    wall, cpu = time.perf_counter(), time.process_time()
    for events, now in tickets:
        for kind in KINDS:
            compute(calendar, DEFAULT_POLICY, events, kind=kind, now=now)
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    calendar = ServiceCalendar()
    run(calendar, [ticket(rng) for _ in range(500)])
    tickets = [ticket(rng) for _ in range(args.tickets)]
    seconds, cpu_seconds = run(calendar, tickets)
    report = {
        "benchmark": "sla_clock",
        "tickets": args.tickets,
        "seed": args.seed,
        "clocks_per_ticket": len(KINDS),
        "events_per_ticket": round(sum(len(e) for e, _ in tickets) / args.tickets, 2),
        "seconds": round(seconds, 3),
        "cpu_seconds": round(cpu_seconds, 3),
        "tickets_per_second": round(args.tickets / seconds),
        "clocks_per_second": round(args.tickets * len(KINDS) / seconds),
        # Per CPU second of this process: steadier than wall time when the machine is shared.
        "tickets_per_cpu_second": round(args.tickets / cpu_seconds),
        "load_average_1m": os.getloadavg()[0],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
