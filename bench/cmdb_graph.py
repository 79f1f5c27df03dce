"""CMDB graph benchmark: impact analysis on a large CI graph, on PostgreSQL as the app role.

    .venv/bin/python bench/cmdb_graph.py                 # ~3 minutes: rebuilds regie_cmdb_bench
    .venv/bin/python bench/cmdb_graph.py --reuse         # measure again on the built database
    .venv/bin/python bench/cmdb_graph.py --reuse --details-only --import-rows 0
                                                         # only a CI and its state ?at=

Builds its own database (`regie_cmdb_bench`; the owner and app roles of bench/dataset.py, so
row-level security is on), the tenant `cmdb-bench` with --cis CIs (100,000) and --relations
current relations (300,000), and two other tenants with a tenth of that each, so the
measured tenant's rows share the tables with others'. The graph is layered like a real
landscape: business services -> applications -> components -> servers -> databases,
networks and SaaS services; each CI above the bottom layer has about four relations to
the layer below (depends-on, runs-on,
provided-by, part-of), and one in twenty connects two CIs of the same layer
(connects-to), which makes cycles. CIs and relations are loaded with COPY as the
superuser (row-level security refuses COPY for the roles it applies to), then VACUUM
(ANALYZE).

Before measuring, gives the measured tenant two years of past once (`add_history`): each CI
created 730 days ago with one to five versions, relations created across that span and one
in ten recorded once more as removed. Then measures `cmdb.history.detail` as
`GET /api/v1/cis/{id}` calls it (the HTTP layer not in the figure), --samples random CIs
each: a CI with its current relations, and its state `?at=` a random past date (the version
then in force and the relations in force then). Then measures `cmdb.impact.affected` in
this process, connected as the app role inside the
tenant's row-level security scope, the same call `GET /api/v1/cis/{id}/impact` makes (the
HTTP layer and the tickets added by tickets/ are not in the figure): --samples random
starts per case, downward from the top two layers and upward from the bottom two, at depth 3
and 5. Then times an import of --import-rows new servers (50,000) as the worker runs it
(`cmdb.imports.run.run`, audit capture on): a dry run first, then the real import, then the
same file again (every row unchanged). Prints and writes p50/p95/p99 and the CIs reached,
the import times, and the machine's load, to bench/results/cmdb-graph-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from _source import describe_worktree

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DB = "regie_cmdb_bench"
TENANT = "cmdb-bench"
OWNER_ROLE, APP_ROLE = "regie_bench_owner", "regie_bench_app"
# Share of the CIs in each layer, top to bottom, and the built-in class of each layer.
LAYERS = (
    (0.02, "business-service"),
    (0.10, "application"),
    (0.28, "component"),
    (0.30, "server"),
    (0.30, "database"),
)
DOWN_TYPES = ("depends-on", "runs-on", "part-of", "provided-by")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--cis", type=int, default=100_000)
    p.add_argument("--relations", type=int, default=300_000)
    p.add_argument("--others", type=int, default=2, help="other tenants, a tenth the size each")
    p.add_argument("--samples", type=int, default=300)
    p.add_argument("--seed", type=int, default=20261205)
    p.add_argument("--import-rows", type=int, default=50_000)
    p.add_argument("--reuse", action="store_true", help="measure on the database built before")
    p.add_argument("--details-only", action="store_true", help="only a CI and its state ?at=")
    p.add_argument("--db", default=DB, help="database name (dropped and rebuilt unless --reuse)")
    return p.parse_args()


def connect_as_app(admin_url: str) -> None:
    from sqlalchemy.engine import make_url

    base = make_url(admin_url).set(database=DB, password=None, drivername="postgresql+psycopg")
    os.environ["REGIE_DATABASE_OWNER_URL"] = base.set(username=OWNER_ROLE).render_as_string(False)
    os.environ["REGIE_DATABASE_URL"] = base.set(username=APP_ROLE).render_as_string(False)
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/13")
    sys.path.insert(0, str(ROOT))  # this tree's code, ahead of the editable install


def build_database(admin_url: str) -> None:
    """A fresh database, migrated as the owner."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, " NOSUPERUSER NOBYPASSRLS")):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f"CREATE ROLE {role} LOGIN{extra}")
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB} OWNER {OWNER_ROLE}")
    from core.settings import get_settings
    from regie import migrate

    migrate.upgrade(get_settings())


def graph(rng: random.Random, cis: int, relations: int) -> tuple[list[tuple], list[tuple]]:
    """(id, class key, layer) per CI and (source, target, type) per relation, no duplicates."""
    nodes: list[tuple] = []
    layers: list[list[uuid.UUID]] = []
    for index, (share, key) in enumerate(LAYERS):
        ids = [uuid.uuid4() for _ in range(max(1, int(cis * share)))]
        layers.append(ids)
        nodes += [(i, key, index) for i in ids]
    edges: set[tuple] = set()
    # A source is any CI above the bottom layer, so each has about the same number of
    # relations (about four with the defaults), wherever it sits.
    upper = [i for i in range(len(LAYERS) - 1) for _ in layers[i]]
    while len(edges) < relations:
        layer = rng.choice(upper)
        if rng.random() < 0.05:
            source, target = rng.sample(layers[layer], 2)
            edges.add((source, target, "connects-to"))
        else:
            source = rng.choice(layers[layer])
            target = rng.choice(layers[layer + 1])
            edges.add((source, target, DOWN_TYPES[layer]))
    return nodes, list(edges)


def load(admin_url: str, tenant_id: uuid.UUID, nodes: list[tuple], edges: list[tuple]) -> None:
    import psycopg

    from cmdb import builtin

    class_of = {b.key: b.id for b in builtin.BUILTINS}
    now = datetime.now(UTC)
    with psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{DB}") as conn, conn.cursor() as cur:
        columns = "tenant_id, id, class_id, name, natural_key, status, attributes, version, "
        with cur.copy(f"COPY cmdb_ci ({columns} created_at, updated_at) FROM STDIN") as copy:
            for n, (ci, key, _layer) in enumerate(nodes):
                name = f"{key}-{n:06d}"
                attributes = '{"criticality": "high"}' if key == "business-service" else "{}"
                copy.write_row(
                    (tenant_id, ci, class_of[key], name, name, "active", attributes, 1, now, now)
                )
        columns = "tenant_id, id, source_id, target_id, type, created_at, created_by"
        with cur.copy(f"COPY cmdb_ci_relation ({columns}, created_by_name) FROM STDIN") as copy:
            for source, target, type_ in edges:
                copy.write_row(
                    (tenant_id, uuid.uuid4(), source, target, type_, now, "bench", "Bench")
                )
        conn.commit()


def make_tenants(args: argparse.Namespace, rng: random.Random) -> dict:
    from core.db import unit_of_work
    from core.tenancy import Tenant

    sizes = [(TENANT, args.cis, args.relations)] + [
        (f"cmdb-other-{i}", args.cis // 10, args.relations // 10) for i in range(args.others)
    ]
    described = {}
    for slug, cis, relations in sizes:
        tenant = Tenant(slug=slug, name=slug)
        with unit_of_work(None) as session:
            session.add(tenant)
        nodes, edges = graph(rng, cis, relations)
        started = time.perf_counter()
        load(args.admin_url, tenant.id, nodes, edges)
        print(
            f"{slug}: {len(nodes)} CIs, {len(edges)} relations in "
            f"{time.perf_counter() - started:.1f}s",
            flush=True,
        )
        described[slug] = {"tenantId": str(tenant.id), "cis": len(nodes), "relations": len(edges)}
    import psycopg

    with psycopg.connect(args.admin_url.rsplit("/", 1)[0] + f"/{DB}", autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) cmdb_ci, cmdb_ci_relation")
    return described


HISTORY_DAYS = 730


def add_history(admin_url: str, tenant_id: uuid.UUID) -> dict:
    """Two years of the measured tenant's past, written as the CMDB writes it: each CI created
    HISTORY_DAYS ago with one to five versions (one every 90 days), each relation created at
    a moment in that span, and one in ten of them recorded once more as removed later (a
    relation that was replaced), so `?at=` has versions and ended relations to choose from."""
    import psycopg

    spread = "abs(hashtext(id::text)) %% 5"
    with psycopg.connect(admin_url.rsplit("/", 1)[0] + f"/{DB}", autocommit=True) as conn:
        if conn.execute(
            "SELECT 1 FROM cmdb_ci_version WHERE tenant_id = %s LIMIT 1", (tenant_id,)
        ).fetchone():
            return {"added": False}
        conn.execute(
            f"UPDATE cmdb_ci SET version = 1 + {spread}, created_at = now() - interval "
            f"'{HISTORY_DAYS} days' WHERE tenant_id = %s",
            (tenant_id,),
        )
        versions = conn.execute(
            "INSERT INTO cmdb_ci_version (tenant_id, ci_id, version, action, at, actor, "
            "actor_name, class_id, name, natural_key, status, attributes, owner) "
            "SELECT tenant_id, id, v, CASE v WHEN 1 THEN 'created' ELSE 'updated' END, "
            f"now() - interval '{HISTORY_DAYS} days' + (v - 1) * interval '90 days', 'bench', "
            "'Bench', class_id, name || CASE v WHEN version THEN '' ELSE ' v' || v END, "
            "natural_key, status, attributes, NULL "
            "FROM cmdb_ci, generate_series(1, version) AS v WHERE tenant_id = %s",
            (tenant_id,),
        ).rowcount
        conn.execute(
            f"UPDATE cmdb_ci_relation SET created_at = now() - interval '{HISTORY_DAYS} days' "
            "+ (abs(hashtext(id::text)) %% 600) * interval '1 day' WHERE tenant_id = %s",
            (tenant_id,),
        )
        removed = conn.execute(
            "INSERT INTO cmdb_ci_relation (tenant_id, id, source_id, target_id, type, created_at, "
            "created_by, created_by_name, removed_at, removed_by, removed_by_name) "
            "SELECT tenant_id, gen_random_uuid(), source_id, target_id, type, created_at - "
            "interval '120 days', 'bench', 'Bench', created_at, 'bench', 'Bench' "
            "FROM cmdb_ci_relation WHERE tenant_id = %s AND removed_at IS NULL "
            "AND abs(hashtext(id::text)) %% 10 = 0",
            (tenant_id,),
        ).rowcount
        conn.execute("VACUUM (ANALYZE) cmdb_ci, cmdb_ci_relation, cmdb_ci_version")
    return {"added": True, "versions": versions, "removedRelations": removed}


def detail_cases(args: argparse.Namespace, tenant_id: uuid.UUID, rng: random.Random) -> list[dict]:
    """`cmdb.history.detail` as GET /api/v1/cis/{id} calls it: now, and `?at=` a past date."""
    from datetime import timedelta

    from sqlalchemy import text

    from cmdb import history
    from cmdb import permissions as cmdb_permissions
    from core.db import unit_of_work
    from core.identity.permissions import Principal

    actor = Principal(
        tenant_id=tenant_id,
        actor_id=uuid.uuid4(),
        kind="user",
        name="Bench",
        permissions=frozenset({cmdb_permissions.READ}),
    )
    with unit_of_work(tenant_id, read_only=True) as session:
        ids = [row[0] for row in session.execute(text("SELECT id FROM cmdb_ci"))]
    now = datetime.now(UTC)
    results = []
    for case in ("now", "at"):
        times, counts = [], []
        for n in range(args.samples + 10):
            ci_id = rng.choice(ids)
            at = now - timedelta(days=rng.randint(1, HISTORY_DAYS - 1)) if case == "at" else None
            began = time.perf_counter()
            with unit_of_work(tenant_id, read_only=True) as session:
                _ci, shown = history.detail(session, actor, ci_id=ci_id, at=at)
                shown.model_dump_json(by_alias=True)
            if n >= 10:  # ten to warm the caches and the pool
                times.append((time.perf_counter() - began) * 1000)
                counts.append(len(shown.relations))
        cuts = statistics.quantiles(times, n=100, method="inclusive")
        row = {
            "case": "ci with relations" if case == "now" else "state ?at= a past date",
            "samples": len(times),
            "p50Ms": round(cuts[49], 1),
            "p95Ms": round(cuts[94], 1),
            "p99Ms": round(cuts[98], 1),
            "relationsMedian": statistics.median(counts),
            "relationsMax": max(counts),
            "aimP95Ms": 20 if case == "now" else 50,
            "loadavg": os.getloadavg(),
        }
        print(json.dumps(row), flush=True)
        results.append(row)
    return results


def starts(tenant_id: uuid.UUID) -> dict[str, list[uuid.UUID]]:
    """CI ids by layer (top, bottom), read as the app role."""
    from sqlalchemy import text

    from cmdb import builtin
    from core.db import unit_of_work

    by_key = {b.id: b.key for b in builtin.BUILTINS}
    top, bottom = {"business-service", "application"}, {"server", "database"}
    found: dict[str, list[uuid.UUID]] = {"top": [], "bottom": []}
    with unit_of_work(tenant_id, read_only=True) as session:
        for ci_id, class_id in session.execute(text("SELECT id, class_id FROM cmdb_ci")):
            key = by_key.get(class_id)
            if key in top:
                found["top"].append(ci_id)
            elif key in bottom:
                found["bottom"].append(ci_id)
    return found


def measure(args: argparse.Namespace, tenant_id: uuid.UUID, rng: random.Random) -> list[dict]:
    from cmdb import impact
    from cmdb.schemas import ImpactDirection
    from core.db import unit_of_work

    pool = starts(tenant_id)
    results = []
    for direction, layer in ((ImpactDirection.down, "top"), (ImpactDirection.up, "bottom")):
        for depth in (3, 5):
            chosen = [rng.choice(pool[layer]) for _ in range(args.samples)]
            for ci in chosen[:10]:  # warm the caches and the pool
                with unit_of_work(tenant_id, read_only=True) as session:
                    impact.affected(session, ci, direction=direction, depth=depth)
            times, reached = [], []
            for ci in chosen:
                began = time.perf_counter()
                with unit_of_work(tenant_id, read_only=True) as session:
                    found, _cut = impact.affected(session, ci, direction=direction, depth=depth)
                times.append((time.perf_counter() - began) * 1000)
                reached.append(len(found))
            cuts = statistics.quantiles(times, n=100, method="inclusive")
            row = {
                "direction": direction.value,
                "depth": depth,
                "samples": len(times),
                "p50Ms": round(cuts[49], 1),
                "p95Ms": round(cuts[94], 1),
                "p99Ms": round(cuts[98], 1),
                "reachedMedian": statistics.median(reached),
                "reachedMax": max(reached),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
    return results


def time_import(args: argparse.Namespace, tenant_id: uuid.UUID) -> list[dict]:
    """Seconds for a dry run, the import, and the same file again, of new servers."""
    from cmdb import builtin
    from cmdb.imports.models import CiImport, ImportFormat
    from cmdb.imports.run import run
    from core.db import unit_of_work
    from regie import wiring

    wiring.wire()  # the audit capture, as in the worker
    server = next(b.id for b in builtin.BUILTINS if b.key == "server")
    batch = uuid.uuid4().hex[:8]
    lines = ["name,naturalKey,hostname,cpuCount,environment"] + [
        f"Import {batch} {i},imp-{batch}-{i},imp{i}.example.nl,{1 + i % 16},production"
        for i in range(args.import_rows)
    ]
    content = ("\n".join(lines) + "\n").encode()
    timings = []
    for label, dry in (("dry run", True), ("import", False), ("again, unchanged", False)):
        job = CiImport(
            class_id=server,
            format=ImportFormat.csv,
            dry_run=dry,
            content=content,
            size=len(content),
            requested_by="apikey:" + str(uuid.uuid4()),
            requested_by_name="bench",
        )
        with unit_of_work(tenant_id) as session:
            session.add(job)
        began = time.perf_counter()
        state = run(tenant_id, job.id)
        row = {
            "run": label,
            "rows": args.import_rows,
            "state": state,
            "seconds": round(time.perf_counter() - began, 1),
        }
        print(json.dumps(row), flush=True)
        timings.append(row)
    return timings


def main() -> None:
    global DB
    args = parse_args()
    DB = args.db
    rng = random.Random(args.seed)
    connect_as_app(args.admin_url)
    data_file = HERE / ".data" / "cmdb-graph.json"
    if args.reuse:
        described = json.loads(data_file.read_text())
    else:
        build_database(args.admin_url)
        described = make_tenants(args, rng)
        data_file.parent.mkdir(exist_ok=True)
        data_file.write_text(json.dumps(described, indent=2))
    load_before = os.getloadavg()
    tenant_id = uuid.UUID(described[TENANT]["tenantId"])
    history_added = add_history(args.admin_url, tenant_id)
    details = detail_cases(args, tenant_id, rng)
    results = measure(args, tenant_id, rng) if not args.details_only else []
    imports = time_import(args, tenant_id) if args.import_rows else []
    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": describe_worktree(),
        "dataset": described,
        "nproc": os.cpu_count(),
        "loadavgBefore": load_before,
        "loadavgAfter": os.getloadavg(),
        "history": history_added,
        "details": details,
        "results": results,
        "imports": imports,
    }
    name = f"cmdb-graph-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    (HERE / "results" / name).write_text(json.dumps(out, indent=2) + "\n")
    print(f"load average before {load_before}, after {os.getloadavg()}; wrote bench/results/{name}")


if __name__ == "__main__":
    main()
