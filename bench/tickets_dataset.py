"""Build the `regie_bench_tickets` PostgreSQL database the tickets benchmark runs against.

    .venv/bin/python bench/tickets_dataset.py --snapshot main     # 1,000,000 tickets

Roles as in bench/dataset.py (the owner migrates; the API connects as a NOSUPERUSER
NOBYPASSRLS role). 50 tenants `tickets-01`..`tickets-50`; the measured tenant `tickets-01`
holds 40,000 tickets, the other 960,000 are spread over 49 tenants by a Zipf law (about
120,500 down to 7,900). Every ticket has its history in `tickets_event` and, once the
conversation table exists (migration of tickets/conversation), about two replies.

Rows are loaded with COPY as the `postgres` superuser: PostgreSQL refuses COPY FROM into a
table with row-level security for any role the policy applies to, and FORCE applies it to the
owner too. The superuser bypasses it, so the load is in creation order across all tenants
(like production, where tenants' rows interleave on disk), one month per transaction per table.
Secondary indexes are dropped first and rebuilt afterwards from their own definitions, and
foreign-key triggers are skipped (`session_replication_role = replica`): the generator
produces consistent rows, and the check at the end counts orphans. The search entries those
skipped triggers would write are filled month by month beside the load (`SearchFill`).

Writes to bench/.data/tickets/ (gitignored; holds a live API token):
    token         API key of tickets-01 with tickets:report, tickets:read, tickets:work
    ids.txt       the ticket ids of tickets-01, shuffled
    lists.txt     filtered-list query strings for tickets-01 (status, group, assignee, dates)
    search.txt    search words with their hit counts in tickets-01
    dataset.json  what was built: counts, sizes, timings; no secrets
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import queue
import random
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dataset import (  # noqa: E402
    migrated_database,
    reexec_in_snapshot,
    source_description,
)
from tickets_rows import EVENT_COLUMNS, MESSAGE_COLUMNS, TICKET_COLUMNS, Desk  # noqa: E402
from tickets_words import SEARCH_CANDIDATES  # noqa: E402

DATABASE = "regie_bench_tickets"
OUT = HERE / ".data" / "tickets"
MEASURED = "tickets-01"
LOADED_TABLES = ("tickets_ticket", "tickets_event", "tickets_message", "tickets_search_entry")
SEARCH_ENTRIES = HERE.parent / "regie" / "migrations" / "versions" / "0039_search_entries.py"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="superuser connection: roles, database, and the COPY load",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--tickets", type=int, default=1_000_000, help="tickets over all tenants")
    p.add_argument("--tenants", type=int, default=50)
    p.add_argument("--measured", type=int, default=40_000, help="tickets of tickets-01")
    p.add_argument("--no-replies", action="store_true", help="skip tickets_message rows")
    p.add_argument("--seed", type=int, default=20261126)
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--database", default=DATABASE, help="name of the database to (re)create")
    p.add_argument("--snapshot", metavar="REV", help="migrate with the code of this commit")
    return p.parse_args()


def tenant_sizes(total: int, tenants: int, measured: int) -> list[int]:
    """tickets-01 gets `measured`; the rest follow Zipf (exponent 0.7) over the others."""
    weights = [1 / (k**0.7) for k in range(1, tenants)]
    rest = total - measured
    sizes = [int(rest * w / sum(weights)) for w in weights]
    sizes[0] += rest - sum(sizes)
    return [measured, *sizes]


def creation_times(rng: random.Random, count: int, now: datetime) -> list[datetime]:
    """`count` moments in the last two years, oldest first."""
    span = 2 * 365 * 86400
    offsets = sorted((rng.random() * span for _ in range(count)), reverse=True)
    return [now - timedelta(seconds=s) for s in offsets]


def months(now: datetime) -> list[tuple[datetime, datetime]]:
    """Half-open monthly windows (30 days) covering the last two years and a bit."""
    start = now - timedelta(days=2 * 365 + 1)
    edges = [start + timedelta(days=30 * i) for i in range(26)] + [now + timedelta(seconds=1)]
    return list(itertools.pairwise(edges))


# --------------------------------------------------------------------------- database


def secondary_indexes(conn, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes that back no constraint."""
    return conn.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        (table,),
    ).fetchall()


def has_table(conn, table: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0]


def copy_rows(conn, table: str, columns: list[str], rows: list[tuple]) -> None:
    with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(
    superuser_url: str,
    desks: list[Desk],
    times: list[list[datetime]],
    replies: bool,
    fill: SearchFill | None,
):
    """COPY every tenant's tickets month by month, in creation order across tenants; each
    month's search entries handed to `fill` once the month is committed."""
    import psycopg

    now = desks[0].now
    counts = {"tickets": 0, "events": 0, "messages": 0}
    with psycopg.connect(superuser_url) as conn:
        conn.execute("SET session_replication_role = replica")  # skip FK triggers
        cursors = [0] * len(desks)
        for _start, end in months(now):
            batch = []
            for n, _desk in enumerate(desks):
                while cursors[n] < len(times[n]) and times[n][cursors[n]] < end:
                    batch.append((times[n][cursors[n]], n))
                    cursors[n] += 1
            batch.sort()
            made = [desks[n].ticket(created) for created, n in batch]
            copy_rows(conn, "tickets_ticket", TICKET_COLUMNS, [m[0] for m in made])
            conn.commit()
            copy_rows(conn, "tickets_event", EVENT_COLUMNS, [e for m in made for e in m[1]])
            conn.commit()
            if replies:
                copy_rows(conn, "tickets_message", MESSAGE_COLUMNS, [r for m in made for r in m[2]])
                conn.commit()
            if fill is not None:
                messages = [key(MESSAGE_COLUMNS, r) for m in made for r in m[2]] if replies else []
                fill.add([key(TICKET_COLUMNS, m[0]) for m in made], messages)
            counts["tickets"] += len(made)
            counts["events"] += sum(len(m[1]) for m in made)
            counts["messages"] += sum(len(m[2]) for m in made) if replies else 0
            print(f"[tickets] up to {end:%Y-%m-%d}: {counts}", flush=True)
    return counts


def key(columns: list[str], row: tuple) -> tuple:
    """A row's primary key, (tenant id, id)."""
    return row[columns.index("tenant_id")], row[columns.index("id")]


class SearchFill:
    """The search entries the skipped triggers would have written, by the migration's own
    fill, month by month on a connection of its own: PostgreSQL computes a month's entries
    on one core while this process generates the next month on the other. (One fill of all
    rows after the load took as long again as the load: 27 of 61 s at 200,000 tickets, more
    than 20 minutes at 5,000,000.)"""

    def __init__(self, superuser_url: str) -> None:
        import importlib.util

        spec = importlib.util.spec_from_file_location("search_entries", SEARCH_ENTRIES)
        assert spec and spec.loader
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        # Each statement fills from all rows of one table; here from the month's, by key.
        tables = ("FROM tickets_ticket", "FROM tickets_message")
        assert [s.endswith(t) for s, t in zip(migration.FILL, tables, strict=True)] == [True] * 2
        # By the whole primary key (tenant_id, id): by the id alone PostgreSQL 15 walks the
        # index for every row asked.
        month = " JOIN unnest(%s::uuid[], %s::uuid[]) AS month_rows (t, i)"
        on = " ON tenant_id = month_rows.t AND id = month_rows.i"
        self.statements = [s + month + on for s in migration.FILL]
        self.months: queue.Queue = queue.Queue(maxsize=2)  # the load waits when two behind
        self.busy = 0.0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(superuser_url,), daemon=True)
        self.thread.start()

    def add(self, tickets: list[tuple], messages: list[tuple]) -> None:
        """A month's rows, by their (tenant id, id), once committed."""
        self.months.put((tickets, messages))

    def close(self) -> tuple[float, float]:
        """Wait for the last month; (seconds the fill worked, seconds the load waited for it
        after its last month)."""
        began = time.perf_counter()
        self.months.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.busy, time.perf_counter() - began

    def _run(self, superuser_url: str) -> None:
        import psycopg

        try:
            with psycopg.connect(superuser_url) as conn:
                # The load leaves no statistics: the planner would scan each table whole for
                # every month's rows instead of taking them by primary key.
                conn.execute("SET enable_seqscan = off")
                while (month := self.months.get()) is not None:
                    began = time.perf_counter()
                    for statement, keys in zip(self.statements, month, strict=True):
                        if keys:
                            conn.execute(statement, [list(k) for k in zip(*keys, strict=True)])
                    conn.commit()
                    self.busy += time.perf_counter() - began
        except BaseException as exc:  # raised again by close(); the load must not hang
            self.error = exc
            while self.months.get() is not None:
                pass


def load_desks(superuser_url: str, desks: list[Desk], prefix: str = "TIC") -> None:
    """Groups, members and the settings whose counter continues after the loaded numbers."""
    import psycopg

    with psycopg.connect(superuser_url) as conn:
        groups = [r for d in desks for r in d.group_rows()]
        copy_rows(
            conn,
            "tickets_group",
            [
                "tenant_id",
                "id",
                "name",
                "line",
                "manager_id",
                "manager_name",
                "active",
                "created_at",
            ],
            groups,
        )
        members = [r for d in desks for r in d.member_rows()]
        copy_rows(
            conn,
            "tickets_group_member",
            ["tenant_id", "group_id", "member_id", "member_name"],
            members,
        )
        settings = [(d.tenant_id, prefix, d.next_number, 10, "warn", "{}", 1, d.now) for d in desks]
        copy_rows(
            conn,
            "tickets_settings",
            [
                "tenant_id",
                "prefix",
                "next_number",
                "reopen_days",
                "privacy_mode",
                "priority_matrix",
                "version",
                "updated_at",
            ],
            settings,
        )


def drop_indexes(superuser_url: str, tables: list[str]) -> list[tuple[str, str]]:
    import psycopg

    with psycopg.connect(superuser_url, autocommit=True) as conn:
        found = [ix for t in tables for ix in secondary_indexes(conn, t)]
        for name, _ddl in found:
            conn.execute(f"DROP INDEX {name}")
    return found


def rebuild_indexes(superuser_url: str, indexes: list[tuple[str, str]]) -> float:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        # Session settings only: a large sort memory makes the GIN build one pass.
        conn.execute("SET maintenance_work_mem = '1GB'")
        for name, ddl in indexes:
            t0 = time.perf_counter()
            conn.execute(ddl)
            print(f"[tickets] rebuilt {name} in {time.perf_counter() - t0:.0f} s", flush=True)
    return time.perf_counter() - started


def orphans(conn) -> int:
    """Events whose ticket is missing: must be 0, since FK checks were skipped in the load."""
    return conn.execute(
        "SELECT count(*) FROM tickets_event e WHERE NOT EXISTS (SELECT 1 FROM tickets_ticket t "
        "WHERE t.tenant_id = e.tenant_id AND t.id = e.ticket_id)"
    ).fetchone()[0]


def sizes(conn) -> dict:
    rows = conn.execute(
        "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) "
        "FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE 'tickets_%' ORDER BY 2 DESC"
    ).fetchall()
    database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    mb = 1024 * 1024
    return {
        "database_mb": round(database / mb),
        "tables": {n: {"total_mb": round(t / mb), "heap_mb": round(h / mb)} for n, t, h in rows},
    }


# --------------------------------------------------------------------------- measured tenant


def search_words(app_url: str, tenant_id: str) -> list[tuple[str, int]]:
    """Each candidate word and how many tickets of the tenant it finds (the API's clause)."""
    import psycopg

    found = []
    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT set_config('regie.tenant_id', %s, false)", (tenant_id,))
        entries = has_table(conn, "tickets_search_entry")
        for word in SEARCH_CANDIDATES:
            if entries:  # tickets whose text or a reply holds the word, as the API finds them
                sql, args = "SELECT count(DISTINCT t) FROM tickets_search(%s, true) t", (word,)
            else:
                sql = (
                    "SELECT count(*) FROM tickets_ticket WHERE search @@ "
                    "(websearch_to_tsquery('dutch', %s) || websearch_to_tsquery('english', %s))"
                )
                args = (word, word)
            hits = conn.execute(sql, args).fetchone()[0]
            found.append((word, hits))
    return sorted(found, key=lambda wh: -wh[1])


def list_queries(desk: Desk, now: datetime) -> list[str]:
    """Filter combinations an agent uses: status + priority, group, assignee, recent."""
    recent = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    queries = [
        "status=in-progress&priority=high",
        "status=new&priority=urgent",
        "status=new&status=assigned&status=in-progress",
        "status=waiting-reporter",
        f"createdFrom={recent}",
        f"createdFrom={recent}&status=new",
    ]
    for group in desk.groups:
        queries.append(f"groupId={group.id}&status=in-progress")
        queries.append(f"groupId={group.id}")
        for member in group.members[:2]:
            queries.append(f"assigneeId={member.id}")
    return [q + "&limit=50" for q in queries]


def issue_key(tenant_id) -> str:
    import tickets.permissions as perms  # declares the permissions
    from core.db import unit_of_work
    from core.identity.service import create_api_key

    with unit_of_work(tenant_id) as session:
        _key, token = create_api_key(
            session,
            name="tickets benchmark",
            permissions=[perms.REPORT, perms.READ, perms.WORK],
        )
    return token


def write_outputs(out: Path, token: str, ids: list[str], lists: list[str], words, meta) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "token").write_text(token + "\n")
    (out / "token").chmod(0o600)
    (out / "ids.txt").write_text("\n".join(ids) + "\n")
    (out / "lists.txt").write_text("\n".join(lists) + "\n")
    (out / "search.txt").write_text("".join(f"{w}\t{n}\n" for w, n in words))
    (out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")


# --------------------------------------------------------------------------- main


def create_tenants(count: int, now: datetime) -> list:
    """The tenants, each with its SLA agreement in effect since before its first ticket (as
    every client has one: a ticket write reads it)."""
    from core.db import unit_of_work
    from core.tenancy import Tenant

    tenants = [
        Tenant(slug=f"tickets-{n:02d}", name=f"Tickets tenant {n:02d}") for n in range(1, count + 1)
    ]
    with unit_of_work(None) as session:
        session.add_all(tenants)
    effective = (now - timedelta(days=3 * 365)).date()
    for tenant in tenants:
        with unit_of_work(tenant.id) as session:
            session.add(default_terms(1, effective))
    return tenants


def default_terms(number: int, effective: date):  # type: ignore[no-untyped-def]
    """An agreement version holding the default terms (DOMAIN.md's SLA) from `effective`."""
    from services.sla.models import Agreement
    from services.sla.terms import default_agreement

    base = default_agreement()
    kept = set(Agreement.model_fields) - {
        "tenant_id",
        "id",
        "number",
        "effective_from",
        "created_at",
    }
    columns = {name: getattr(base, name) for name in kept}
    return Agreement(number=number, effective_from=effective, **columns)


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        reexec_in_snapshot(args.snapshot, __file__)
    source = source_description()
    t0 = time.perf_counter()
    print(f"[tickets] creating roles and database {args.database}", flush=True)
    app_url, superuser_url = migrated_database(args, args.database, "redis://127.0.0.1:6379/14")
    now = datetime.now(UTC).replace(microsecond=0)
    tenants = create_tenants(args.tenants, now)

    import psycopg

    with psycopg.connect(superuser_url) as conn:
        replies = has_table(conn, "tickets_message") and not args.no_replies
        tables = [t for t in LOADED_TABLES if has_table(conn, t)]
    rng = random.Random(args.seed)
    desks = [Desk(rng, t.id, now) for t in tenants]
    counts = tenant_sizes(args.tickets, args.tenants, args.measured)
    times = [creation_times(rng, n, now) for n in counts]

    indexes = drop_indexes(superuser_url, tables)
    t_load = time.perf_counter()
    fill = SearchFill(superuser_url) if "tickets_search_entry" in tables else None
    loaded = load(superuser_url, desks, times, replies, fill)
    fill_seconds = {}
    if fill is not None:
        busy, waited = fill.close()
        fill_seconds = {"search_fill_busy": round(busy, 1), "search_fill_after": round(waited, 1)}
        print(f"[tickets] search entries: {busy:.0f} s beside the load, {waited:.0f} s after")
    load_seconds = time.perf_counter() - t_load
    index_seconds = rebuild_indexes(superuser_url, indexes)
    load_desks(superuser_url, desks)
    t_vac = time.perf_counter()
    with psycopg.connect(superuser_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        vacuum_seconds = time.perf_counter() - t_vac
        missing = orphans(conn)
        size = sizes(conn)
        measured_ids = [
            str(r[0])
            for r in conn.execute(
                "SELECT id FROM tickets_ticket WHERE tenant_id = %s", (tenants[0].id,)
            )
        ]
    token = issue_key(tenants[0].id)
    words = search_words(app_url, str(tenants[0].id))
    rng.shuffle(measured_ids)
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "database": args.database,
        "loaded_as": "postgres superuser (COPY; RLS bypassed), FK triggers skipped",
        "tenants": args.tenants,
        "tickets_per_tenant": dict(zip([t.slug for t in tenants], counts, strict=True)),
        "measured_tenant": {
            "slug": MEASURED,
            "id": str(tenants[0].id),
            "tickets": len(measured_ids),
        },
        "rows": loaded,
        "replies": replies,
        "orphan_events": missing,
        "size": size,
        "seconds": {
            "copy": round(load_seconds, 1),
            **fill_seconds,
            "indexes": round(index_seconds, 1),
            "vacuum_analyze": round(vacuum_seconds, 1),
            "total": round(time.perf_counter() - t0, 1),
        },
        "search_words": dict(words),
    }
    write_outputs(args.out, token, measured_ids, list_queries(desks[0], now), words, meta)
    print(json.dumps(meta, indent=2))
    return 0 if missing == 0 and len(measured_ids) == args.measured else 1


if __name__ == "__main__":
    sys.exit(main())
