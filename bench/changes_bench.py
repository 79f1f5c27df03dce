"""Changes benchmark: conflict check, calendar across clients, approval round trip.

    .venv/bin/python bench/changes_dataset.py --db benchfig_cmdb     # once, see there
    .venv/bin/python bench/changes_bench.py --db benchfig_cmdb       # about 3 minutes

On the dataset of bench/changes_dataset.py (10,000 changes per tenant, 20 tenants, the
CMDB graph of bench/cmdb_graph.py in three of them), as the app role (row-level security on):

  conflict   `changes.calendar.conflicts_of` of one live change of the measured tenant
             (cmdb-bench, 100,000 CIs), in this process inside the tenant's unit of work:
             the call GET /api/v1/changes/{id} makes for the warnings of its window
             (overlapping live changes on a shared service or a CI within two relations,
             freezes, the DAP's maintenance windows). --samples random live changes.
  calendar   a month (a random month start within the planned year ahead or behind) of
             every tenant, as GET /api/v1/change-calendar/overview builds it for supplier
             staff: `changes.calendar.calendars`, one read-only transaction with each tenant
             under its own row-level security, then the route's answer (`overview_json`). In this
             process; the supplier's grants lookup (`reach`) and HTTP are not in the figure.
             First the worker's periodic sweep (`changes.tasks.refresh_calendars`) writes
             every stale or never written entry, as a running worker keeps them (its time
             and count are reported). The months as computed: run the code before stored
             entries from an export (`git archive`, PYTHONPATH) on the same database.
  approval   `regie serve --workers 2` as the app role, signed in with Entra-shaped bearer
             tokens of the test suite's OpenID provider (8 change managers of cmdb-bench,
             provisioned by SCIM as users in two groups each, as Entra provisions them);
             --clients clients (8), each its own person, its own assessed changes and its
             own kept-alive connection: GET /api/v1/changes/{id} for the ETag, then
             POST .../votes with If-Match. Both the POST alone and the round trip GET + POST
             are reported, with the CPU per round trip of the API workers, of PostgreSQL's
             backends and of this process (the client threads), and how many connections
             each worker holds. --pin-workers serves with `regie serve --pin-workers`.
             Each run uses up 63 votable changes per client: `changes_dataset.py
             --reset-votes` makes them votable again, so runs can repeat on one dataset.

Prints and writes p50/p95/p99, throughput for the approvals and the machine's load average
to bench/results/changes-<UTC time>.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
AIMS_P95_MS = {"conflict": 50, "calendar": 300, "approval": 100}


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--db", default="benchfig_cmdb")
    p.add_argument("--samples", type=int, default=300, help="conflict checks")
    p.add_argument("--months", type=int, default=40, help="calendar months measured")
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--workers", type=int, default=2, help="API worker processes")
    p.add_argument("--votes", type=int, default=100, help="votes per client")
    p.add_argument("--port", type=int, default=8791)
    p.add_argument("--cases", default="conflict,calendar,approval")
    p.add_argument("--label", default="", help="suffix of the results file, e.g. before")
    p.add_argument("--variant", help="serve bench/experiments/serve_variant.py's variant(s)")
    p.add_argument("--pin-workers", action="store_true", help="regie serve --pin-workers")
    return p.parse_args()


def cuts(times: list[float]) -> dict:
    q = statistics.quantiles(times, n=100, method="inclusive")
    return {
        "samples": len(times),
        "p50Ms": round(q[49], 1),
        "p95Ms": round(q[94], 1),
        "p99Ms": round(q[98], 1),
        "maxMs": round(max(times), 1),
    }


def env_for(args: argparse.Namespace) -> None:
    from sqlalchemy.engine import make_url

    base = make_url(args.admin_url).set(database=args.db, drivername="postgresql+psycopg")
    os.environ["REGIE_DATABASE_OWNER_URL"] = base.set(
        username="regie_bench_owner"
    ).render_as_string(False)
    os.environ["REGIE_DATABASE_URL"] = base.set(username="regie_bench_app").render_as_string(False)
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/13")


def conflict(args: argparse.Namespace, data: dict, rng: random.Random) -> dict:
    from sqlmodel import col, select

    from changes import calendar
    from changes.models import Change
    from core.db import unit_of_work

    tenant_id = uuid.UUID(data["tenants"][0]["id"])
    with unit_of_work(tenant_id, read_only=True) as session:
        ids = list(session.exec(select(Change.id).where(col(Change.status).in_(calendar.LIVE))))
    chosen = [rng.choice(ids) for _ in range(args.samples + 10)]
    times, found = [], []
    for n, change_id in enumerate(chosen):
        began = time.perf_counter()
        with unit_of_work(tenant_id, read_only=True) as session:
            change = session.exec(select(Change).where(Change.id == change_id)).one()
            warnings = calendar.conflicts_of(session, change)
        if n >= 10:  # the first ten warm the caches and the pool
            times.append((time.perf_counter() - began) * 1000)
            found.append(len(warnings))
    return {
        "case": "conflict",
        "tenant": data["tenants"][0]["slug"],
        **cuts(times),
        "conflictsMedian": statistics.median(found),
        "conflictsMax": max(found),
    }


def supplier_readers(by_id: dict, tenants: list[uuid.UUID]) -> list:
    """Each tenant with a supplier's reader of changes acting there, as `reach` gives them."""
    from changes import permissions
    from core.identity.permissions import Principal

    reading = frozenset({permissions.READ})
    return [
        (
            by_id[t],
            Principal(
                tenant_id=t,
                actor_id=uuid.uuid4(),
                kind="user",
                name="Leverancier",
                permissions=reading,
            ),
        )
        for t in tenants
    ]


def calendar_month(args: argparse.Namespace, data: dict, rng: random.Random) -> dict:
    from sqlmodel import select

    from changes import calendar
    from changes.calendar_api import overview_json
    from core.db import unit_of_work
    from core.tenancy import Tenant

    tenants = [uuid.UUID(t["id"]) for t in data["tenants"]]
    with unit_of_work(None, read_only=True) as session:
        by_id = {t.id: t for t in session.exec(select(Tenant))}
    swept = sweep()
    now = datetime.now(UTC)
    times, sizes, cpus = [], [], []
    for n in range(args.months + 2):
        first = (now + timedelta(days=rng.randint(-365, 365))).replace(
            day=1, hour=0, minute=0, second=0, microsecond=0
        )
        last = (first + timedelta(days=32)).replace(day=1)
        began, cpu = time.perf_counter(), time.process_time()
        found = calendar.calendars(supplier_readers(by_id, tenants), first, last)
        overview_json(found)  # the route's answer, serialised
        if n >= 2:  # two warm-up months
            times.append((time.perf_counter() - began) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            sizes.append(sum(len(t.entries) for t in found))
    return {
        "case": "calendar",
        "tenants": len(tenants),
        **cuts(times),
        "changesPerMonthMedian": statistics.median(sizes),
        # CPU of this process alone: the Python side, much less sensitive to the machine's
        # other load than the wall-clock figures.
        "processCpuMsMedian": round(statistics.median(cpus), 1),
        **swept,
    }


def sweep() -> dict:
    """The worker's sweep over every tenant: what the calendar then reads as stored."""
    try:
        from changes.tasks import refresh_calendars
    except ImportError:  # code from before the entries were stored
        return {}
    from regie import wiring

    wiring.wire()
    began, cpu = time.perf_counter(), time.process_time()
    written = refresh_calendars()
    return {
        "sweptEntries": written,
        "sweepMs": round((time.perf_counter() - began) * 1000),
        "sweepCpuMs": round((time.process_time() - cpu) * 1000),
    }


# --------------------------------------------------------------------------- approvals


def request(conn: http.client.HTTPConnection, method, path, token, headers=None, body=None):
    """One request on the client's kept-alive connection, as a browser or API client sends
    it (a connection per request measured the TCP set-up, not the approval)."""
    h = {"Authorization": f"Bearer {token}", **(headers or {})}
    if body is not None:
        h["Content-Type"] = "application/json"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    resp = conn.getresponse()
    return resp.status, resp.getheader("ETag"), resp.read()


def approval(args: argparse.Namespace, data: dict) -> dict:
    app_url = os.environ["REGIE_DATABASE_URL"]  # importing the test support changes it
    import psycopg
    from run_foundation import (
        api_processes,
        comm_cpu,
        role_of,
        start_server,
        stop_server,
    )

    from tests.regie.test_up import free_port
    from tests.support.oidc_provider import OidcProvider

    votable = data["votable"]
    need = args.clients * (args.votes + 3)
    if len(votable) < need:
        raise SystemExit(f"{len(votable)} votable changes left, {need} needed: rebuild the dataset")
    provider = OidcProvider(Path(tempfile.mkdtemp()), free_port())
    tid = provider.directory()
    people = [
        provider.principal(
            tid, roles=["change-manager"], scp="access", idtyp="user", name=f"CAB {i}"
        )
        for i in range(args.clients)
    ]
    provider.start()
    admin_db = args.admin_url.rsplit("/", 1)[0] + f"/{args.db}"
    proc = None
    try:
        with psycopg.connect(admin_db, autocommit=True) as conn:
            conn.execute(
                "UPDATE core_tenant SET entra_tenant_id = %s WHERE id = %s",
                (tid, data["tenants"][0]["id"]),
            )
            provision(conn, data["tenants"][0]["id"], tid, [provider.oid(tid, p) for p in people])
        tokens = [provider.token(tid, p) for p in people]
        os.environ["REGIE_ENTRA_AUTHORITY"] = provider.authority
        server = argparse.Namespace(
            regie=str(ROOT / ".venv" / "bin" / "regie"),
            port=args.port,
            source_dir=ROOT,
            source_env={"REGIE_ENTRA_AUTHORITY": provider.authority},
            database_url=app_url,
            log_prefix="serve-changes",
            variant=args.variant,
            serve_options=["--pin-workers"] if args.pin_workers else [],
        )
        proc, _log = start_server(server, args.workers)
        posts: list[float] = []
        trips: list[float] = []
        statuses: dict[int, int] = {}

        def record(
            k: int, n: int, began: float, mid: float, end: float, status: int, answer: bytes
        ) -> None:
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200 and statuses[status] <= 3:
                print(f"client {k} answered {status}: {answer[:300]!r}", flush=True)
            if n >= 3:  # three warm-up votes per client
                posts.append((end - mid) * 1000)
                trips.append((end - began) * 1000)

        mine = [
            votable[k * (args.votes + 3) : (k + 1) * (args.votes + 3)] for k in range(args.clients)
        ]
        workers = [
            i["pid"]
            for i in api_processes(proc.pid)
            if role_of(i, proc.pid, args.workers) == "worker"
        ]
        settle(workers)
        cpu_before = (_cpu(workers), sum(comm_cpu("postgres").values()), time.process_time())
        began = time.perf_counter()
        spread = clients(args, mine, tokens, record)
        elapsed = time.perf_counter() - began
        trips_done = sum(statuses.values())
        cpu = {
            "apiWorkers": _cpu(workers) - cpu_before[0],
            "postgres": sum(comm_cpu("postgres").values()) - cpu_before[1],
            "clients": time.process_time() - cpu_before[2],
        }
        if statuses.get(200):
            data["votable"] = votable[need:]  # those are approved now
        (HERE / ".data" / "changes.json").write_text(json.dumps(data, indent=2))
        return {
            "case": "approval",
            "clients": args.clients,
            "workers": args.workers,
            "variant": args.variant,
            "pinWorkers": args.pin_workers,
            "statuses": {str(k): v for k, v in statuses.items()},
            "post": cuts(posts),
            "roundTrip": cuts(trips),
            **cuts(posts),
            "votesPerSecond": round(trips_done / elapsed, 1),
            "connectionsPerWorker": spread,  # uvicorn's workers share one listening socket
            # CPU per round trip (GET + POST), in ms: the API's two workers, PostgreSQL's
            # backends (as visible in /proc), this process (the clients and the provider).
            "cpuMsPerRoundTrip": {k: round(v * 1000 / trips_done, 2) for k, v in cpu.items()},
        }
    finally:
        if proc is not None:
            stop_server(proc)
        provider.stop()


BODY = {"decision": "approve", "reason": "Risico aanvaardbaar, terugval getest."}


def provision(conn, tenant_id: str, tid: uuid.UUID, oids: list[uuid.UUID]) -> None:  # type: ignore[no-untyped-def]
    """The CAB's people as SCIM provisions Entra users, each in two groups, so that signing
    in reads what it reads in production: the person's standing, groups and grants."""
    groups = [(uuid.uuid4(), f"CAB {name}") for name in ("wijzigingen", "leverancier")]
    for group_id, name in groups:
        conn.execute(
            "INSERT INTO core_scim_group (tenant_id, id, display_name, directory_id, object_id,"
            " document, version, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, '{}', 1, now(), now())",
            (tenant_id, group_id, name, tid, uuid.uuid4()),
        )
    for oid in oids:
        user_id, login = uuid.uuid4(), f"cab-{oid}@bench.example"
        conn.execute(
            "INSERT INTO core_scim_user (tenant_id, id, user_name, user_name_key, directory_id,"
            " object_id, active, document, version, created_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, true, '{}', 1, now(), now())",
            (tenant_id, user_id, login, login, tid, oid),
        )
        for group_id, name in groups:
            conn.execute(
                "INSERT INTO core_scim_member (tenant_id, group_id, user_id, display)"
                " VALUES (%s, %s, %s, %s)",
                (tenant_id, group_id, user_id, name),
            )


def clients(args, mine, tokens, record) -> list[int]:  # type: ignore[no-untyped-def]
    """A thread each, http.client on a kept-alive connection; how the connections spread
    over the workers (they share one listening socket: all on one leaves a core idle)."""
    from run_foundation import connections_by_pid

    lock, gate = threading.Lock(), threading.Barrier(args.clients)
    spread: list[int] = []

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30)
        gate.wait()
        for n, change_id in enumerate(mine[k]):
            if k == 0 and n == 3:  # every client has connected during its warm-up
                spread.extend(sorted(connections_by_pid(args.port).values(), reverse=True))
            path = f"/api/v1/changes/{change_id}"
            began = time.perf_counter()
            _, etag, _ = request(conn, "GET", path, tokens[k])
            mid = time.perf_counter()
            headers = {"If-Match": etag or ""}
            status, _, answer = request(conn, "POST", path + "/votes", tokens[k], headers, BODY)
            end = time.perf_counter()
            with lock:
                record(k, n, began, mid, end, status, answer)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(args.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return spread


def settle(workers: list[int], timeout: float = 60.0) -> None:
    """Wait until every API worker has booted (its CPU time stands still): the clients
    connect at once, and a worker still importing the app takes none of them."""
    give_up = time.monotonic() + timeout
    last = [_cpu([pid]) for pid in workers]
    while time.monotonic() < give_up:
        time.sleep(0.5)
        now = [_cpu([pid]) for pid in workers]
        if all(b - a < 0.05 for a, b in zip(last, now, strict=True)):
            return
        last = now


def _cpu(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def main() -> None:
    args = parse_args()
    env_for(args)
    sys.path.insert(0, str(HERE))
    from _source import describe_worktree

    data = json.loads((HERE / ".data" / "changes.json").read_text())
    rng = random.Random(20261213)
    load_before = os.getloadavg()
    results = []
    # The approval case last: importing the test support points this process's settings at
    # the test database, so an in-process case after it would read the wrong one.
    for case in sorted(args.cases.split(","), key=lambda case: case == "approval"):
        one_before = os.getloadavg()
        if case == "conflict":
            row = conflict(args, data, rng)
        elif case == "calendar":
            row = calendar_month(args, data, rng)
        else:
            row = approval(args, data)
        row["aimP95Ms"] = AIMS_P95_MS[case]
        row["loadavgBefore"], row["loadavgAfter"] = one_before, os.getloadavg()
        print(json.dumps(row), flush=True)
        results.append(row)
    out = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": describe_worktree(),
        "dataset": {k: v for k, v in data.items() if k != "votable"},
        "nproc": os.cpu_count(),
        "loadavgBefore": load_before,
        "loadavgAfter": os.getloadavg(),
        "results": results,
    }
    suffix = f"-{args.label}" if args.label else ""
    name = f"changes-{datetime.now(UTC):%Y%m%dT%H%M%SZ}{suffix}.json"
    (HERE / "results" / name).write_text(json.dumps(out, indent=2, default=str) + "\n")
    print(f"load average before {load_before}, after {os.getloadavg()}; wrote bench/results/{name}")


if __name__ == "__main__":
    main()
