"""Summarise a py-spy `--format raw` (collapsed stacks) file: where the samples go.

    python bench/pyspy_summary.py bench/.data/profile-get.txt [--top 25]

Prints self time and inclusive time per function, and inclusive time per library.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def frame_parts(frame: str) -> tuple[str, str]:
    m = FRAME.match(frame)
    if not m:
        return frame, "?"
    return m.group("func"), m.group("file")


def library(path: str) -> str:
    """Top-level package of a py-spy frame path (py-spy prints paths from sys.path roots)."""
    path = path.split("site-packages/")[-1]
    return path.split("/", 1)[0].removesuffix(".py") if path else "?"


def short(frame: str) -> str:
    func, path = frame_parts(frame)
    return f"{path.split('site-packages/')[-1].removesuffix('.py')}:{func}"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("raw")
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--within", default="", help="only stacks through a frame holding this text")
    args = p.parse_args()
    total = 0
    self_t: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    libs: Counter[str] = Counter()
    with open(args.raw, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")  # not splitlines(): a garbled frame may hold \x85
    for line in lines:
        line = line.rstrip("\n")
        if not line:
            continue
        stack, _, count_s = line.rpartition(" ")
        count = int(count_s)
        frames = [
            f
            for f in stack.split(";")
            if f and not f.startswith("process ") and not f.startswith("thread ")
        ]
        if not frames or (args.within and not any(args.within in f for f in frames)):
            continue
        total += count
        self_t[short(frames[-1])] += count
        for name in {short(f) for f in frames}:
            incl[name] += count
        for lib in {library(frame_parts(f)[1]) for f in frames}:
            libs[lib] += count
    print(f"{total} samples (GIL-holding)")
    print(f"\nself time (top {args.top}):")
    for name, n in self_t.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print(f"\ninclusive time (top {args.top}):")
    for name, n in incl.most_common(args.top):
        print(f"  {100 * n / total:5.1f}%  {name}")
    print("\ninclusive time by library:")
    for name, n in libs.most_common(20):
        print(f"  {100 * n / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
