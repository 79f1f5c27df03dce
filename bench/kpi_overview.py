"""The supplier's KPI overview and the monthly report's figures, in process, on the database
of bench/sla_dataset.py: wall time, CPU of this process and statements sent, per run.

    SLA_BENCH_DATABASE=regie_slabench .venv/bin/python bench/kpi_overview.py --runs 5

The overview is `services.kpi.service.overview` for the dataset's supplier person acting in
`sla-01` (all 50 clients, each under its own row-level security, as the app role), the
report's figures `services.reports.data.kpi_figures` of `sla-01` for the same month. No HTTP:
what is measured is the figures' own cost. Prints one JSON object (also written to
bench/results/kpi-overview-<UTC time>.json).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATABASE = os.environ.get("SLA_BENCH_DATABASE", "regie_slabench")
DATA = Path(os.environ.get("SLA_BENCH_DATA", HERE / ".data" / "sla"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--month", help="YYYY-MM (default: the dataset's running month)")
    p.add_argument("--label", default="")
    args = p.parse_args()
    dataset = json.loads((DATA / "dataset.json").read_text())
    month = args.month or datetime.fromisoformat(dataset["now"]).strftime("%Y-%m")
    sys.path.insert(0, str(HERE))
    from run_foundation import server_env

    app_url = f"postgresql://regie_bench_app@127.0.0.1:5432/{DATABASE}"
    os.environ.update({k: v for k, v in server_env({}, app_url).items() if k.startswith("REGIE_")})

    from sqlalchemy import event

    import services.kpi.permissions as kpi_permissions
    from core.db import get_engine
    from core.identity.permissions import Principal
    from regie.roles import wire
    from services.kpi import service
    from services.reports import data as report

    wire()  # the roles' permissions, as the app does at start
    measured = uuid.UUID(dataset["measured_tenant"]["id"])
    supplier = dataset["supplier"]
    actor = Principal(
        tenant_id=measured,
        actor_id=uuid.UUID(supplier["user"]),
        kind="user",
        name="bench",
        permissions=frozenset({kpi_permissions.READ}),
        directory_id=uuid.UUID(supplier["directory"]),
    )
    sent = [0]

    def count(*_args: object) -> None:
        sent[0] += 1

    event.listen(get_engine(), "before_cursor_execute", count)

    def overview() -> object:
        return service.overview(actor, period=month)

    def figures() -> object:
        from core.db import unit_of_work

        with unit_of_work(measured, read_only=True) as session:
            return report.kpi_figures(session, date.fromisoformat(f"{month}-01"))

    results = {}
    for name, run in (("overview", overview), ("report figures", figures)):
        run()  # warm-up: caches, the first connection
        walls, cpus, statements = [], [], []
        for _ in range(args.runs):
            sent[0] = 0
            t0, c0 = time.perf_counter(), time.process_time()
            run()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            statements.append(sent[0])
        results[name] = {
            "runs": args.runs,
            "wall_ms": [round(w * 1000) for w in walls],
            "wall_median_ms": round(statistics.median(walls) * 1000),
            "cpu_median_ms": round(statistics.median(cpus) * 1000),
            "statements": statements[-1],
        }
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    out = {
        "label": args.label,
        "database": DATABASE,
        "month": month,
        "commit": commit,
        "load_average": os.getloadavg(),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **results,
    }
    text = json.dumps(out, indent=2)
    print(text)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (HERE / "results" / f"kpi-overview-{stamp}.json").write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
