"""Build the `regie_slabench` database the service level benchmark runs against.

    .venv/bin/python bench/sla_dataset.py --snapshot REV              # 1,000,000 tickets
    .venv/bin/python bench/sla_dataset.py --scale 0.02                # a small one, to try

Roles as in bench/dataset.py (the owner migrates; the API connects as a NOSUPERUSER
NOBYPASSRLS role). 50 client tenants `sla-01`..`sla-50` and the supplier `sla-supplier`.
`sla-01` holds 100,000 tickets over 24 months (~4,200 a month), the other 49 about 18,400
each: 1,000,000 in all (`--scale` multiplies every count).

The dataset holds the inputs of the KPI figures only: the per-ticket facts
(`services_kpi_ticket`), three stored SLA clocks per incident (`services_sla_clock`; the
default agreement counts incidents only), one agreement version per tenant, outages
(`services_availability_outage`, 0-4 per tenant per month) and exclusions (two accepted and
one proposed per tenant per month). No `tickets_ticket` rows: services/kpi/repository.py
reads only these tables (services may not import tickets), the listener derives the facts
and clocks from the tickets, so what the KPI routes, the overview and the report read is
exactly what a desk with these tickets would have. Distributions: sla_rows.py.

Loading: COPY as the `postgres` superuser (PostgreSQL refuses COPY FROM into a table with
row-level security for every role the policy applies to), in opening order across all
tenants, one 30-day window per transaction, so a tenant's rows interleave on disk with the
others' as in production. The secondary indexes are dropped first and rebuilt from their own
definitions after, then VACUUM (ANALYZE). The agreements, the supplier tenant and its grants
are made through the ORM (audited, like a real setup).

Supplier access for the overview: the supplier tenant is bound to a fixed Entra directory id
and one supplier user (fixed object id) holds the role service-level-manager in every client
tenant. bench/sla_bench.py starts the test suite's OpenID provider with those ids and mints
that user's token, as bench/bearer_tokens.py does.

Writes bench/.data/sla/dataset.json (no secrets).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sla_rows as rows  # noqa: E402
from dataset import (  # noqa: E402
    APP_ROLE,
    OWNER_ROLE,
    migrated_database,
    reexec_in_snapshot,
    source_description,
)
from tickets_dataset import default_terms, drop_indexes, rebuild_indexes  # noqa: E402

# SLA_BENCH_DATABASE / SLA_BENCH_DATA: another database and data folder (a private copy).
DATABASE = os.environ.get("SLA_BENCH_DATABASE", "regie_slabench")
OUT = Path(os.environ.get("SLA_BENCH_DATA", HERE / ".data" / "sla"))
MEASURED = "sla-01"
SUPPLIER = "sla-supplier"
# Fixed, so the benchmark's OpenID provider can issue tokens the grants match.
SUPPLIER_DIRECTORY = uuid.UUID("5a1b0000-0000-4000-8000-00000000d1e0")
SUPPLIER_USER = uuid.UUID("5a1b0000-0000-4000-8000-0000000000a1")
TABLES = ("services_kpi_ticket", "services_sla_clock")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="superuser connection: roles, database, and the COPY load",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--tenants", type=int, default=50)
    p.add_argument("--measured", type=int, default=100_000, help="tickets of sla-01")
    p.add_argument("--others", type=int, default=18_367, help="tickets of every other tenant")
    p.add_argument("--scale", type=float, default=1.0, help="multiplies both ticket counts")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--snapshot", metavar="REV", help="migrate with the code of this commit")
    p.add_argument(
        "--existing",
        action="store_true",
        help="add to the existing database (e.g. a tickets dataset's) instead of recreating it",
    )
    return p.parse_args()


def windows(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    edges = [start + timedelta(days=30 * i) for i in range(int((end - start).days // 30) + 1)]
    return list(itertools.pairwise([*edges, end + timedelta(seconds=1)]))


# --------------------------------------------------------------------------- setup (ORM)


def create_tenants(count: int) -> tuple[list, object]:
    """The client tenants, the supplier bound to its directory, and one agreement each."""
    from core.db import unit_of_work
    from core.tenancy import Tenant, TenantKind

    clients = [Tenant(slug=f"sla-{n:02d}", name=f"Gemeente {n:02d}") for n in range(1, count + 1)]
    supplier = Tenant(
        slug=SUPPLIER,
        name="Leverancier",
        kind=TenantKind.supplier,
        entra_tenant_id=SUPPLIER_DIRECTORY,
    )
    with unit_of_work(None) as session:
        session.add_all([*clients, supplier])
    return clients, supplier


def agreement_and_grant(tenant_id: uuid.UUID, effective: date) -> uuid.UUID:
    """Version 1 of the default terms from `effective`, and the supplier user's grant."""
    from core.db import unit_of_work
    from core.identity.models import Grant, SubjectKind
    from core.identity.roles import Role

    with unit_of_work(tenant_id) as session:
        agreement = default_terms(1, effective)
        session.add(agreement)
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=SUPPLIER_DIRECTORY,
                subject_oid=SUPPLIER_USER,
                subject_name="Service level manager (benchmark)",
                role=Role.service_level_manager,
                granted_by="benchmark",
            )
        )
        session.flush()
        return agreement.id


# --------------------------------------------------------------------------- load (COPY)


def copy_lines(conn, table: str, columns: list[str], lines: list[str]) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), 5000):
            copy.write("".join(lines[start : start + 5000]))


def load(superuser_url: str, tenants: list, counts: list[int], rng, now: datetime) -> dict:
    """Facts, clocks, outages and exclusions, window by window across all tenants."""
    import psycopg

    start = now - timedelta(days=730)
    opened = [
        sorted(start + timedelta(seconds=rng.random() * 730 * 86400) for _ in range(n))
        for n in counts
    ]
    cursors = [0] * len(tenants)
    outage_numbers = [1] * len(tenants)
    made = {"facts": 0, "clocks": 0, "outages": 0, "exclusions": 0, "open": 0}
    by_month: dict[tuple[int, date], list[uuid.UUID]] = {}
    with psycopg.connect(superuser_url) as conn:
        for w_start, w_end in windows(start, now):
            batch = []
            for n in range(len(tenants)):
                while cursors[n] < len(opened[n]) and opened[n][cursors[n]] < w_end:
                    batch.append((opened[n][cursors[n]], n))
                    cursors[n] += 1
            batch.sort()
            facts, clocks, outages = [], [], []
            for at, n in batch:
                fact, clock, summary = rows.ticket_rows(rng, tenants[n], at, now)
                facts.append(fact)
                clocks += clock
                made["open"] += summary["open"]
                if summary["finished"] is not None:
                    by_month.setdefault((n, month_of(summary["finished"])), []).append(
                        summary["id"]
                    )
            for n, tenant in enumerate(tenants):
                found = rows.outage_rows(rng, tenant, w_start, outage_numbers[n])
                outage_numbers[n] += len(found)
                outages += found
            copy_lines(conn, "services_kpi_ticket", rows.FACT_COLUMNS, facts)
            copy_lines(conn, "services_sla_clock", rows.CLOCK_COLUMNS, clocks)
            copy_lines(conn, "services_availability_outage", rows.OUTAGE_COLUMNS, outages)
            conn.commit()
            made["facts"] += len(facts)
            made["clocks"] += len(clocks)
            made["outages"] += len(outages)
            print(f"[sla] up to {w_end:%Y-%m-%d}: {made}", flush=True)
        exclusions = exclusion_lines(rng, tenants, by_month)
        copy_lines(conn, "services_kpi_exclusion", rows.EXCLUSION_COLUMNS, exclusions)
        conn.commit()
        made["exclusions"] = len(exclusions)
    return made


def month_of(at: datetime) -> date:
    from services.kpi.figures import month_of as local_month

    return local_month(at)


def exclusion_lines(rng, tenants: list, by_month: dict) -> list[str]:
    """Two accepted and one proposed ticket exclusion per tenant per month of finishes."""
    lines = []
    for (n, month), ids in sorted(by_month.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        picked = rng.sample(ids, min(3, len(ids)))
        at = datetime(month.year, month.month, 1, 12, tzinfo=UTC) + timedelta(days=33)
        for i, subject in enumerate(picked):
            state = "proposed" if i == 2 else "accepted"
            lines.append(rows.exclusion_row(rng, tenants[n], month, subject, at, state))
    return lines


def sizes(conn) -> dict:
    mb = 1024 * 1024
    found = {}
    for table in (*TABLES, "services_availability_outage", "services_kpi_exclusion"):
        total, heap = conn.execute(
            "SELECT pg_total_relation_size(%s::regclass), pg_relation_size(%s::regclass)",
            (table, table),
        ).fetchone()
        found[table] = {"total_mb": round(total / mb), "heap_mb": round(heap / mb)}
    db = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    return {"database_mb": round(db / mb), "tables": found}


def measured_counts(app_url: str, tenant_id: uuid.UUID) -> dict:
    """What the app role sees of sla-01 inside its RLS scope."""
    import psycopg

    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT set_config('regie.tenant_id', %s, false)", (str(tenant_id),))
        facts = conn.execute("SELECT count(*) FROM services_kpi_ticket").fetchone()[0]
        clocks = conn.execute("SELECT count(*) FROM services_sla_clock").fetchone()[0]
        met = conn.execute(
            "SELECT avg((breached_at IS NULL)::int) FROM services_sla_clock WHERE state = 'stopped'"
        ).fetchone()[0]
        open_ = conn.execute(
            "SELECT count(*) FROM services_kpi_ticket WHERE finished_at IS NULL"
        ).fetchone()[0]
    return {
        "facts": facts,
        "clocks": clocks,
        "open": open_,
        "stopped_clocks_met_share": round(float(met or 0), 3),
    }


# --------------------------------------------------------------------------- main


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        reexec_in_snapshot(args.snapshot, __file__)
    source = source_description()
    t0 = time.perf_counter()
    print(f"[sla] creating roles and database {DATABASE}", flush=True)
    app_url, superuser_url = migrated_database(
        args, DATABASE, "filesystem://", fresh=not args.existing
    )
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    clients, supplier = create_tenants(args.tenants)
    effective = (now - timedelta(days=800)).date()
    tenants = [rows.Tenant(t.id, agreement_and_grant(t.id, effective)) for t in clients]
    counts = [round(args.measured * args.scale)]
    counts += [round(args.others * args.scale)] * (args.tenants - 1)

    indexes = drop_indexes(superuser_url, list(TABLES))
    t_load = time.perf_counter()
    made = load(superuser_url, tenants, counts, rng, now)
    load_seconds = time.perf_counter() - t_load
    index_seconds = rebuild_indexes(superuser_url, indexes)

    import psycopg

    t_vac = time.perf_counter()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        vacuum_seconds = time.perf_counter() - t_vac
        size = sizes(conn)
    from core.db import get_engine

    get_engine().dispose()
    measured = measured_counts(app_url, clients[0].id)
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "now": now.isoformat(),
        "source": source,
        "database": DATABASE,
        "owner_role": OWNER_ROLE,
        "app_role": APP_ROLE,
        "scale": args.scale,
        "tickets_per_tenant": {"measured": counts[0], "others": counts[1:2]},
        "measured_tenant": {"slug": MEASURED, "id": str(clients[0].id), **measured},
        "supplier": {
            "slug": SUPPLIER,
            "id": str(supplier.id),
            "directory": str(SUPPLIER_DIRECTORY),
            "user": str(SUPPLIER_USER),
        },
        "tenants": [{"slug": t.slug, "id": str(t.id)} for t in clients],
        "rows": made,
        "size": size,
        "seconds": {
            "copy": round(load_seconds, 1),
            "indexes": round(index_seconds, 1),
            "vacuum_analyze": round(vacuum_seconds, 1),
            "total": round(time.perf_counter() - t0, 1),
        },
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps({k: v for k, v in meta.items() if k != "tenants"}, indent=2))
    return 0 if measured["facts"] == counts[0] else 1


if __name__ == "__main__":
    sys.exit(main())
