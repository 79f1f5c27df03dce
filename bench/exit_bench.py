"""Time and peak memory of `regie tenant export` and `regie tenant import` on PostgreSQL.

    .venv/bin/python bench/tickets_dataset.py --tickets 101000 --tenants 2 --measured 100000 \\
        --database exit_bench_src --out bench/.data/exit
    .venv/bin/python bench/exit_bench.py

The dataset holds `tickets-01` with 100,000 tickets, their history and replies, and
`tickets-02` with 1,000 (the small export shows whether memory grows with the tenant). This
script first gives `tickets-01` an audit log of one entry per ticket (appended by the
database's own `audit_append`, chained like any other) and a signed checkpoint, then runs
each command under `/usr/bin/time -v` as a separate process: export of both tenants from
`exit_bench_src`, import of `tickets-01` into a freshly migrated `exit_bench_dst`, and
`regie audit verify` there. Writes bench/results/exit-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from dataset import APP_ROLE, OWNER_ROLE, prepare_database  # noqa: E402

WORK = HERE / ".data" / "exit"
APPEND = """
SELECT audit_append(CAST(:t AS uuid), (
  SELECT jsonb_agg(jsonb_build_object(
    'occurred_at', created_at, 'action', 'create', 'entity_type', 'tickets_ticket',
    'entity_id', id::text, 'actor_kind', 'user', 'actor_id', 'bench',
    'body', jsonb_build_object(
      'tenant', CAST(:t AS text), 'time', created_at, 'action', 'create',
      'entity', jsonb_build_object('type', 'tickets_ticket', 'id', id::text),
      'actor', jsonb_build_object('kind', 'user', 'id', 'bench'),
      'changes', jsonb_build_object('title', title))::text) ORDER BY created_at, id)
  FROM (SELECT id, created_at, title FROM tickets_ticket WHERE tenant_id = CAST(:t AS uuid)
        ORDER BY created_at, id LIMIT :n OFFSET :o) s))
"""


def urls(admin: str, database: str) -> tuple[str, str]:
    host = re.sub(r"^postgresql(\+psycopg)?://[^@]*@", "", admin).split("/")[0]
    return (
        f"postgresql+psycopg://{OWNER_ROLE}@{host}/{database}",
        f"postgresql+psycopg://{APP_ROLE}@{host}/{database}",
    )


def env_for(admin: str, database: str) -> dict[str, str]:
    owner, app = urls(admin, database)
    return {
        **os.environ,
        "REGIE_DATABASE_URL": app,
        "REGIE_DATABASE_OWNER_URL": owner,
        "REGIE_BROKER_URL": "filesystem://",
        "REGIE_BROKER_FOLDER": str(WORK / "broker"),
        "REGIE_LOG_LEVEL": "warning",
        "PYTHONPATH": str(ROOT),
        "REGIE_AUDIT_KEY_FILE": str(WORK / "audit-signing.key"),
        "REGIE_AUDIT_CHECKPOINT_DIR": str(WORK / "checkpoints"),
    }


def timed(args: list[str], env: dict[str, str]) -> dict:
    """Run one command under /usr/bin/time -v; seconds, peak RSS and its output."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-v", *args], env=env, cwd=WORK, capture_output=True, text=True
    )
    seconds = time.perf_counter() - t0
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"{args} failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return {
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(args)),
        "seconds": round(seconds, 1),
        "peak_rss_mib": round(int(rss.group(1)) / 1024, 1) if rss else None,
        "output": proc.stdout.strip(),
    }


def seed_audit_log(admin: str, tenant_id: str, tickets: int) -> float:
    from sqlalchemy import create_engine, text

    owner, _app = urls(admin, "exit_bench_src")
    engine = create_engine(owner)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": tenant_id})
        size = conn.execute(
            text("SELECT size FROM audit_head WHERE tenant_id = CAST(:t AS uuid)"), {"t": tenant_id}
        ).scalar()
        if size:
            return 0.0  # seeded by an earlier run
        for offset in range(0, tickets, 10_000):
            conn.execute(text(APPEND), {"t": tenant_id, "n": 10_000, "o": offset})
    engine.dispose()
    return time.perf_counter() - t0


def load() -> dict:
    return {
        "loadavg": os.getloadavg(),
        "cpus": os.cpu_count(),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = p.parse_args()
    regie = str(ROOT / ".venv" / "bin" / "regie")
    shutil.rmtree(WORK / "out", ignore_errors=True)
    (WORK / "out").mkdir(parents=True)
    meta = json.loads((WORK / "dataset.json").read_text())
    measured = meta["measured_tenant"]
    src = env_for(args.admin_url, "exit_bench_src")
    result: dict = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_before": load(),
    }
    timed([regie, "migrate"], src)  # the dataset script may have migrated with older code
    result["audit_seed_seconds"] = round(
        seed_audit_log(args.admin_url, measured["id"], measured["tickets"]), 1
    )
    result["checkpoint"] = timed([regie, "audit", "checkpoint", "--tenant", "tickets-01"], src)
    result["export_small"] = timed(
        [regie, "tenant", "export", "tickets-02", "--out", str(WORK / "out" / "small")], src
    )
    result["export"] = timed(
        [regie, "tenant", "export", "tickets-01", "--out", str(WORK / "out" / "big")], src
    )
    result["export_bytes"] = sum(f.stat().st_size for f in (WORK / "out" / "big").rglob("*"))
    manifest = json.loads((WORK / "out" / "big" / "manifest.json").read_text())
    result["rows"] = manifest["tables"]
    prepare_database(args.admin_url.replace("+psycopg", ""), "exit_bench_dst")
    dst = env_for(args.admin_url, "exit_bench_dst")
    result["migrate"] = timed([regie, "migrate"], dst)
    result["import"] = timed([regie, "tenant", "import", str(WORK / "out" / "big")], dst)
    result["verify"] = timed([regie, "audit", "verify", "--tenant", "tickets-01"], dst)
    result["load_after"] = load()
    out = HERE / "results" / f"exit-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
