"""EXPLAIN ANALYZE of the SQL the ticket list and search routes issue, on the tickets dataset.

    .venv/bin/python bench/tickets_explain.py [--snapshot REV] [--repeat 5] [--plans]

Builds each statement with tickets/repository.py's own filter, search and keyset code (plus
the tenant criterion the session adds), and runs it as the app role inside tickets-01's
row-level-security scope, like a request. Prints the execution time (best of --repeat, so
the cache is warm) and the plan's outline; --plans prints whole plans. Run it with
`--index "CREATE INDEX ..."` to try an index (created, measured, dropped again).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data" / "tickets"
APP_URL = "postgresql://regie_bench_app@127.0.0.1:5432/{}"
SUPERUSER_URL = "postgresql://postgres@127.0.0.1:5432/{}"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--snapshot", metavar="REV", help="build the SQL with this commit's code")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--plans", action="store_true", help="print every plan in full")
    p.add_argument("--only", choices=["list", "search", "get"], help="one kind of query")
    p.add_argument("--index", action="append", default=[], help="CREATE INDEX to try")
    p.add_argument("--data", type=Path, default=DATA, help="the dataset's output folder")
    return p.parse_args()


LITERAL = {"literal_binds": True}


def statement(query: str, tenant_id: str, conn=None) -> str:
    """The page query of `GET /api/v1/tickets?<query>` with literal values (`conn` answers the
    search estimate that chooses its form, where the schema has one)."""
    import uuid
    from datetime import datetime
    from urllib.parse import parse_qs

    from sqlalchemy.dialects import postgresql
    from sqlmodel import col, select

    from core.api.pagination import keyset
    from tickets import search
    from tickets.models import Status, Ticket
    from tickets.repository import SORTS, Filters, _filtered

    given = parse_qs(query)
    one = {k: v[0] for k, v in given.items()}
    filters = Filters(
        q=one.get("q"),
        status=[Status(s) for s in given["status"]] if "status" in given else None,
        priority=one.get("priority"),
        group_id=uuid.UUID(one["groupId"]) if "groupId" in one else None,
        assignee_id=uuid.UUID(one["assigneeId"]) if "assigneeId" in one else None,
        created_from=datetime.fromisoformat(one["createdFrom"]) if "createdFrom" in one else None,
    )
    stmt = _filtered(select(Ticket), filters).where(Ticket.tenant_id == uuid.UUID(tenant_id))
    if filters.q:
        estimate = getattr(search, "estimate", None)
        asked = estimate and estimate("postgresql", filters.q, internal=True)
        extra = {}
        if asked is not None and conn is not None:  # the form the API chooses
            sql = str(asked.compile(dialect=postgresql.dialect(), compile_kwargs=LITERAL))
            extra = {"walk": conn.execute(sql).fetchone()[0] >= search.WALK_FROM}
        match = search.clause(
            "postgresql", filters.q, tenant_id=uuid.UUID(tenant_id), internal=True, **extra
        )
        stmt = stmt.where(match) if match is not None else stmt
    stmt = keyset(stmt, SORTS["createdAt"], col(Ticket.id), descending=True, after=None)
    stmt = stmt.limit(int(one.get("limit", 50)) + 1)
    return str(stmt.compile(dialect=postgresql.dialect(), compile_kwargs=LITERAL))


def outline(plan: dict, depth: int = 0) -> list[str]:
    """One line per plan node: type, index, rows and time."""
    name = plan["Node Type"] + (f" using {plan['Index Name']}" if "Index Name" in plan else "")
    line = (
        f"{'  ' * depth}{name} rows={plan.get('Actual Rows')} loops={plan.get('Actual Loops')} "
        f"time={plan.get('Actual Total Time')} ms"
    )
    lines = [line]
    for child in plan.get("Plans", []):
        lines += outline(child, depth + 1)
    return lines


def explain(conn, sql: str, repeat: int) -> tuple[float, dict]:
    best, plan = float("inf"), {}
    for _ in range(repeat):
        row = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).fetchone()[0][0]
        if row["Execution Time"] < best:
            best, plan = row["Execution Time"], row
    return best, plan


def queries(data: Path, only: str | None) -> list[tuple[str, str]]:
    lists = (data / "lists.txt").read_text().split()
    words = [line.split("\t") for line in (data / "search.txt").read_text().splitlines()]
    found = [("list", q) for q in lists]
    found += [("search", f"q={w}&limit=50  ({n} hits)") for w, n in words]
    return [(kind, q) for kind, q in found if only in (None, kind)]


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        sys.path.insert(0, str(HERE))
        from dataset import reexec_in_snapshot

        reexec_in_snapshot(args.snapshot, __file__)
    dataset = json.loads((args.data / "dataset.json").read_text())
    app_url = APP_URL.format(dataset["database"])
    superuser_url = SUPERUSER_URL.format(dataset["database"])
    os.environ.setdefault("REGIE_DATABASE_URL", app_url)
    import psycopg

    tenant_id = dataset["measured_tenant"]["id"]
    with psycopg.connect(superuser_url, autocommit=True) as admin:
        for ddl in args.index:
            admin.execute(ddl)
        admin.execute("ANALYZE tickets_ticket") if args.index else None
    try:
        with psycopg.connect(app_url, autocommit=True) as conn:
            conn.execute("SELECT set_config('regie.tenant_id', %s, false)", (tenant_id,))
            for kind, query in queries(args.data, args.only):
                sql = statement(query.split("  ")[0], tenant_id, conn)
                ms, plan = explain(conn, sql, args.repeat)
                print(f"{kind:6} {ms:8.2f} ms  {query}", flush=True)
                if args.plans or ms > 20:
                    print("\n".join("         " + x for x in outline(plan["Plan"])))
    finally:
        with psycopg.connect(superuser_url, autocommit=True) as admin:
            for ddl in args.index:
                name = ddl.split(" INDEX ", 1)[1].split()[0]
                name = name if name.upper() != "CONCURRENTLY" else ddl.split()[3]
                admin.execute(f"DROP INDEX IF EXISTS {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
