"""Instructions executed per request, counted by valgrind's callgrind: a measure this
machine's drift does not move (the same code and data give the same count, whatever else
runs), where CPU time drifts by 10-20 % from minute to minute.

A profile script calls `rerun_counted()` when asked for instructions: it runs itself again
under callgrind with counting off, and wraps each measured part in `counted(name)`, which
zeroes the counters, counts, and dumps them under `name`. PostgreSQL's own work is in
another process and not counted.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UNDER_CALLGRIND = "REGIE_BENCH_UNDER_CALLGRIND"


def under_callgrind() -> bool:
    return bool(os.environ.get(UNDER_CALLGRIND))


def _tell(command: str) -> None:
    """Have the callgrind this process runs under do `command` (it waits for it)."""
    subprocess.run(
        ["callgrind_control", command, str(os.getpid())], check=True, capture_output=True
    )


@contextmanager
def counted(name: str) -> Iterator[None]:
    """Count the block's instructions under `name` (nothing unless under callgrind)."""
    if not under_callgrind():
        yield
        return
    _tell("-z")
    _tell("--instr=on")
    try:
        yield
    finally:
        _tell("--instr=off")
        _tell(f"--dump={name}")


def rerun_counted(script: str, argv: list[str]) -> dict[str, int]:
    """Run `script` with `argv` under callgrind; the instructions of each `counted` block."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={tmp}/cg.%p",
                sys.executable,
                script,
                *argv,
            ],
            env={**os.environ, UNDER_CALLGRIND: "1"},
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        counts = {}
        for dump in Path(tmp).glob("cg.*.*"):
            text = dump.read_text(errors="replace")
            name = text.split("desc: Trigger: dump ", 1)[1].split("\n", 1)[0]
            counts[name] = int(text.split("\ntotals: ", 1)[1].split("\n", 1)[0])
    return counts
