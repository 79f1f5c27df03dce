"""Changes dataset: 10,000 scheduled changes per tenant over 20 tenants, on the CMDB graph.

    .venv/bin/python bench/cmdb_graph.py --db benchfig_cmdb --samples 5 --import-rows 0
    .venv/bin/python bench/changes_dataset.py --db benchfig_cmdb        # about 2 minutes

Adds to the database bench/cmdb_graph.py built (its tenants cmdb-bench, 100,000 CIs and
300,000 relations, and cmdb-other-*, a tenth of that each) as many further client tenants as
make --tenants (20). Each tenant gets --changes changes (10,000) whose planned windows (1 to
8 hours, one in ten over a weekend of up to 48 hours) are spread evenly over --months months
(24) centred on today: past windows are mostly closed (some implemented, failed or rolled
back), future ones scheduled, approved, assessed or submitted. Each names one to three of the
tenant's 40 services (ids only: the conflict check compares ids, it never reads the
catalogue), and in the tenants with a CMDB graph one to three of its CIs, so the CI conflicts
walk the graph. Per tenant: an approval rule per type and risk class, two freeze periods,
and the --votable (3,000) first future changes of the measured tenant cmdb-bench are assessed
with a tested rollback plan and a rule of one change-manager approval: the approval round
trip of bench/changes_bench.py votes on them. Rows are loaded with COPY as the superuser
(row-level security refuses COPY for the roles it applies to), then VACUUM (ANALYZE).
Writes bench/.data/changes.json (tenants, the votable change ids).

    .venv/bin/python bench/changes_dataset.py --db benchfig_cmdb --reset-votes   # ~15 s

puts every votable change back as it was built (assessed, no votes; the events and audit
entries of the votes stay, as history grows in production), makes the measured tenant's
calendar entries stale and has the worker's sweep write them again: approval runs can then
repeat on the same dataset instead of a rebuilt one.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MEASURED = "cmdb-bench"
SERVICES_PER_TENANT = 40
TYPES = (("normal", 0.6), ("standard", 0.3), ("emergency", 0.1))
PAST = (("closed", 0.8), ("implemented", 0.1), ("failed", 0.03), ("rolled-back", 0.02))
PAST_LEFT = (("cancelled", 0.03), ("rejected", 0.02))
FUTURE = (("scheduled", 0.55), ("approved", 0.2), ("assessed", 0.15), ("submitted", 0.1))
ROLE = "change-manager"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    p.add_argument("--db", default="benchfig_cmdb")
    p.add_argument("--tenants", type=int, default=20)
    p.add_argument("--changes", type=int, default=10_000, help="per tenant")
    p.add_argument("--months", type=int, default=24)
    p.add_argument("--votable", type=int, default=3_000)
    p.add_argument("--seed", type=int, default=20261213)
    p.add_argument("--reset-votes", action="store_true", help="only make the votable votable again")
    return p.parse_args()


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def rollback_plan(now: datetime, tested: bool) -> str:
    plan: dict = {
        "steps": [{"action": "Zet de snapshot van voor de wijziging terug"}],
        "expected_minutes": 30,
        "executor": "Beheer",
        "trigger": "De gezondheidscontrole faalt na de wijziging",
        "test": None,
    }
    if tested:
        plan["test"] = {
            "environment": "acceptatie",
            "tested_at": (now - timedelta(days=3)).isoformat(),
            "tested_by": "Beheer",
            "evidence_url": "https://example.nl/testrapport",
        }
    return json.dumps(plan)


def tenants(args: argparse.Namespace, admin_db: str) -> list[dict]:
    """The CMDB tenants first (their CI ids), then new client tenants up to --tenants."""
    import psycopg

    found = []
    with psycopg.connect(admin_db, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, slug FROM core_tenant WHERE slug LIKE 'cmdb-%%' "
            "ORDER BY slug = %s DESC, slug",
            (MEASURED,),
        ).fetchall()
        for tid, slug in rows:
            cis = [
                r[0] for r in conn.execute("SELECT id FROM cmdb_ci WHERE tenant_id = %s", (tid,))
            ]
            found.append({"id": tid, "slug": slug, "cis": cis})
    sys.path.insert(0, str(ROOT))
    from core.db import unit_of_work
    from core.tenancy import Tenant

    for n in range(len(found), args.tenants):
        tenant = Tenant(slug=f"changes-{n:02d}", name=f"Changes {n:02d}")
        with unit_of_work(None) as session:
            session.add(tenant)
        found.append({"id": tenant.id, "slug": tenant.slug, "cis": []})
    return found


def load_tenant(cur, rng: random.Random, args, tenant: dict, now: datetime) -> list[str]:
    """COPY one tenant's changes, rules and freezes; returns the votable change ids."""
    tid, cis = tenant["id"], tenant["cis"]
    services = [str(uuid.uuid4()) for _ in range(SERVICES_PER_TENANT)]
    start_of = now - timedelta(days=args.months * 15)
    span = timedelta(days=args.months * 30).total_seconds()
    votable: list[str] = []
    columns = (
        "tenant_id, id, number, type, status, title, description, reason, service_ids, ci_ids, "
        "planned_start, planned_end, requested_by, requested_by_name, causes_downtime, "
        "rollback_plan, risk_class, risk_score, approvers, version, created_at, updated_at"
    )
    measured = tenant["slug"] == MEASURED
    with cur.copy(f"COPY changes_change ({columns}) FROM STDIN") as copy:
        for n in range(args.changes):
            start = start_of + timedelta(seconds=span * n / args.changes)
            start = start.replace(minute=0, second=0, microsecond=0)
            long = rng.random() < 0.1
            end = start + timedelta(hours=rng.randint(8, 48) if long else rng.randint(1, 8))
            type_ = pick(rng, TYPES)
            risk = rng.choice(("low", "medium", "high"))
            approvers = [{"role": ROLE, "quorum": 1}]
            if start < now:
                status = pick(rng, PAST + PAST_LEFT)
            elif measured and len(votable) < args.votable:
                status, type_ = "assessed", "normal"
            else:
                status = pick(rng, FUTURE)
            change_id = uuid.uuid4()
            if measured and status == "assessed" and type_ == "normal" and start >= now:
                votable.append(str(change_id))
            named_services = rng.sample(services, rng.randint(1, 3))
            named_cis = [str(c) for c in rng.sample(cis, rng.randint(1, 3))] if cis else []
            created = start - timedelta(days=rng.randint(3, 30))
            copy.write_row(
                (
                    tid,
                    change_id,
                    f"CHG-{n + 1:06d}",
                    type_,
                    status,
                    f"Wijziging {n + 1}: onderhoud aan de omgeving",
                    "Patches en configuratie bijwerken volgens het draaiboek.",
                    "Leveranciersadvies en beveiligingsupdates.",
                    json.dumps(named_services),
                    json.dumps(named_cis),
                    start,
                    end,
                    "apikey:" + str(uuid.uuid4()),
                    "Aanvrager",
                    rng.random() < 0.05,
                    rollback_plan(now, tested=True),
                    risk,
                    {"low": 2, "medium": 5, "high": 9}[risk],
                    json.dumps(approvers) if status != "submitted" else None,
                    1,
                    created,
                    created,
                )
            )
    with cur.copy(
        "COPY changes_approval_rule (tenant_id, id, change_type, risk_class, approvers, version, "
        "updated_at) FROM STDIN"
    ) as copy:
        for type_, _ in TYPES:
            for risk in ("low", "medium", "high"):
                rule = json.dumps([{"role": ROLE, "quorum": 1}])
                copy.write_row((tid, uuid.uuid4(), type_, risk, rule, 1, now))
    with cur.copy(
        "COPY changes_freeze (tenant_id, id, name, starts_at, ends_at, created_by, created_at) "
        "FROM STDIN"
    ) as copy:
        for weeks in (3, 30):
            begins = now + timedelta(weeks=weeks)
            copy.write_row(
                (tid, uuid.uuid4(), "Jaarafsluiting", begins, begins + timedelta(days=5), "b", now)
            )
    return votable


def main() -> None:
    import psycopg

    args = parse_args()
    import os

    from sqlalchemy.engine import make_url

    base = make_url(args.admin_url).set(database=args.db, drivername="postgresql+psycopg")
    os.environ["REGIE_DATABASE_OWNER_URL"] = base.set(
        username="regie_bench_owner"
    ).render_as_string(False)
    os.environ["REGIE_DATABASE_URL"] = base.set(username="regie_bench_app").render_as_string(False)
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/13")
    admin_db = args.admin_url.rsplit("/", 1)[0] + f"/{args.db}"
    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if args.reset_votes:
        reset_votes(admin_db)
        return
    found = tenants(args, admin_db)
    votable: list[str] = []
    with psycopg.connect(admin_db) as conn, conn.cursor() as cur:
        for tenant in found:
            began = time.perf_counter()
            votable += load_tenant(cur, rng, args, tenant, now)
            conn.commit()
            print(f"{tenant['slug']}: {args.changes} changes in {time.perf_counter() - began:.1f}s")
    with psycopg.connect(admin_db, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) changes_change, changes_approval_rule, changes_freeze")
    out = {
        "when": now.isoformat(),
        "db": args.db,
        "changesPerTenant": args.changes,
        "months": args.months,
        "tenants": [{"id": str(t["id"]), "slug": t["slug"], "cis": len(t["cis"])} for t in found],
        "votable": votable,
        "votableAll": votable,
    }
    (HERE / ".data").mkdir(exist_ok=True)
    (HERE / ".data" / "changes.json").write_text(json.dumps(out, indent=2))
    print(f"{len(found)} tenants, {len(votable)} votable changes in {MEASURED}")


def reset_votes(admin_db: str) -> None:
    """Every votable change assessed again without votes, its tenant's entries written anew."""
    import psycopg

    path = HERE / ".data" / "changes.json"
    data = json.loads(path.read_text())
    ids = data["votableAll"]
    measured = data["tenants"][0]["id"]
    with psycopg.connect(admin_db) as conn:
        conn.execute("DELETE FROM changes_vote WHERE change_id = ANY(%s::uuid[])", (ids,))
        conn.execute(
            "UPDATE changes_change SET status = 'assessed', version = version + 1"
            " WHERE id = ANY(%s::uuid[])",
            (ids,),
        )
        conn.execute(
            "UPDATE changes_calendar_entry SET entry = NULL, epoch = epoch + 1"
            " WHERE tenant_id = %s",
            (measured,),
        )
    from changes.tasks import refresh_calendar
    from regie import wiring

    wiring.wire()
    written = refresh_calendar(measured)
    data["votable"] = ids
    path.write_text(json.dumps(data, indent=2))
    print(f"{len(ids)} votable changes again, {written} calendar entries written")


if __name__ == "__main__":
    main()
