"""Which code the benchmark runs: the working tree, or a committed revision exported with
`git archive` into $TMPDIR/regie-bench-src/<sha>/ (read-only git commands; nothing in the
repository changes, and the copy stays out of the tree's linters and test discovery).

A snapshot is put first on PYTHONPATH, ahead of the editable install, for the API server and
for the dataset's migrations, so figures belong to one commit while others edit the tree.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SNAPSHOTS = Path(os.environ.get("BENCH_SNAPSHOT_DIR", tempfile.gettempdir())) / "regie-bench-src"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.rstrip()  # a status line may begin with a space


def describe_worktree() -> dict:
    try:
        head = _git("rev-parse", "HEAD")
        dirty = [
            line[3:]
            for line in _git("status", "--porcelain").splitlines()
            if not line[3:].startswith("bench/")
        ]
    except (OSError, subprocess.CalledProcessError):
        return {"kind": "working tree", "commit": None, "uncommitted_files": None}
    return {"kind": "working tree", "commit": head, "uncommitted_files": dirty}


def snapshot(rev: str) -> Path:
    """Export `rev` once into SNAPSHOTS/<sha>; return the directory."""
    sha = _git("rev-parse", f"{rev}^{{commit}}")
    dest = SNAPSHOTS / sha[:12]
    if not dest.exists():
        tmp = SNAPSHOTS / f"{sha[:12]}.partial"
        tmp.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", sha], cwd=ROOT, stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(tmp)], stdin=archive.stdout, check=True)
        if archive.wait() != 0:
            raise SystemExit(f"git archive {sha} failed")
        tmp.rename(dest)
    return dest


def resolve(rev: str | None) -> tuple[Path, dict, dict[str, str]]:
    """(directory to run in, description, extra environment) for `rev` or the working tree."""
    if not rev:
        return ROOT, describe_worktree(), {}
    path = snapshot(rev)
    sha = _git("rev-parse", f"{rev}^{{commit}}")
    pythonpath = os.pathsep.join(filter(None, [str(path), os.environ.get("PYTHONPATH")]))
    return (
        path,
        {"kind": "snapshot", "commit": sha, "dir": str(path)},
        {"PYTHONPATH": pythonpath},
    )
