"""Each API worker process on a core of its own (`regie serve --workers N --pin-workers`).

A worker runs Python in one thread at a time (the interpreter's lock), but hands each request
from its event loop to threadpool threads and back, and the scheduler puts those threads on
whichever core is free: the request's objects then move between the cores' caches. Kept on
one core, a worker's threads find them where the last one left them (bench/README.md: the
approval round trip's p95 2-37 % lower). Opt-in, for a machine or cpuset
given to this server: a pinned worker no longer moves to an idle core when its own is busy,
and servers that cannot see each other's locks (containers sharing a host) would pin to the
same cores.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path
from typing import IO

# Set by `regie serve --pin-workers` for its workers: the supervisor's pid, whose workers
# share the cores among themselves.
PIN_WORKERS = "REGIE_PIN_WORKERS"
_held: list[IO[str]] = []  # the core's lock lasts as long as the worker


def pin_to_a_free_core() -> int | None:
    """Pin this process (every thread) to the first core of its allowed set that no other
    worker of the same server holds; None when not asked or when every core is taken."""
    group = os.environ.get(PIN_WORKERS)
    if not group or not hasattr(os, "sched_setaffinity"):
        return None
    folder = Path(tempfile.gettempdir()) / f"regie-cores-{group}"
    folder.mkdir(exist_ok=True)
    for core in sorted(os.sched_getaffinity(0)):
        lock = (folder / str(core)).open("w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # another worker's
            lock.close()
            continue
        _held.append(lock)
        for thread in os.listdir("/proc/self/task"):
            os.sched_setaffinity(int(thread), {core})
        return core
    return None
