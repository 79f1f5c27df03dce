"""Build the `regie_bench` PostgreSQL database the foundation benchmark runs against.

    .venv/bin/python bench/dataset.py            # 100,000 catalogue rows for the main tenant

Same role layout as tests/conftest.py and production: migrations run as the owner role, the
application (and this script's inserts) connect as a LOGIN NOSUPERUSER NOBYPASSRLS role, so
every row goes through the row-level-security WITH CHECK like an API write would.

Writes scratch output to bench/.data/ (gitignored; it holds a live API token):
    token        the bearer token (services.catalogue:read + :write) of the main tenant
    ids.txt      one catalogue entry id of the main tenant per line
    dataset.json what was built (sizes, tenant ids, timings); no secrets
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"

OWNER_ROLE, APP_ROLE, BENCH_DB = "regie_bench_owner", "regie_bench_app", "regie_bench"
MAIN_SLUG = "bench-main"

WORDS = [
    "access",
    "archive",
    "backup",
    "billing",
    "case",
    "citizen",
    "cloud",
    "collaboration",
    "contract",
    "data",
    "desk",
    "document",
    "email",
    "finance",
    "geo",
    "hosting",
    "identity",
    "incident",
    "integration",
    "intranet",
    "licence",
    "mail",
    "mobile",
    "monitoring",
    "network",
    "office",
    "payroll",
    "permit",
    "portal",
    "print",
    "records",
    "registry",
    "reporting",
    "sap",
    "security",
    "service",
    "sharepoint",
    "storage",
    "telephony",
    "ticketing",
    "voip",
    "web",
    "workplace",
]
DOMAINS = "ABCDEF"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"),
        help="superuser connection used only to create roles and the database",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5432)
    p.add_argument("--rows", type=int, default=100_000, help="entries of the main tenant")
    p.add_argument("--other-tenants", type=int, default=4)
    p.add_argument("--other-rows", type=int, default=5_000, help="entries per other tenant")
    p.add_argument("--seed", type=int, default=20261125)
    p.add_argument("--out", type=Path, default=DATA)
    p.add_argument(
        "--snapshot",
        metavar="REV",
        help="migrate with the code of this commit (git archive) instead of the tree",
    )
    return p.parse_args()


def reexec_in_snapshot(rev: str, script: str = __file__) -> None:
    """Run `script` (this one by default) again with the snapshot of `rev` first on PYTHONPATH."""
    sys.path.insert(0, str(HERE))
    from _source import resolve

    _path, desc, env = resolve(rev)
    env = dict(os.environ, **env, BENCH_SOURCE=json.dumps(desc))
    os.execve(sys.executable, [sys.executable, str(Path(script).resolve()), *sys.argv[1:]], env)


def role_urls(args: argparse.Namespace, database: str) -> tuple[str, str, str]:
    """The owner's, the app role's and the superuser's URLs of `database`."""
    from sqlalchemy.engine import make_url

    admin = make_url(args.admin_url)
    base = admin.set(host=args.host, port=args.port, database=database, password=None)
    superuser = admin.set(database=database)
    return tuple(
        u.render_as_string(hide_password=False)
        for u in (base.set(username=OWNER_ROLE), base.set(username=APP_ROLE), superuser)
    )


def source_description() -> dict:
    """The code measured: passed on by a snapshot re-exec, else the working tree."""
    if "BENCH_SOURCE" in os.environ:
        return json.loads(os.environ["BENCH_SOURCE"])
    from _source import describe_worktree

    return describe_worktree()


def migrated_database(
    args: argparse.Namespace, database: str, broker_url: str, fresh: bool = True
) -> tuple[str, str]:
    """Roles and a fresh `database` (or, with fresh=False, the existing one) migrated by the
    owner, with this process pointed at it as the app role; (app URL, superuser URL)."""
    owner_url, app_url, superuser_url = role_urls(args, database)
    os.environ["REGIE_DATABASE_OWNER_URL"] = owner_url
    os.environ["REGIE_DATABASE_URL"] = app_url
    os.environ.setdefault("REGIE_BROKER_URL", broker_url)
    os.environ.setdefault("REGIE_LOG_LEVEL", "warning")
    if fresh:
        prepare_database(args.admin_url, database)
    from core.settings import get_settings
    from regie import migrate

    migrate.upgrade(get_settings())
    return app_url, superuser_url


def prepare_database(admin_url: str, database: str = BENCH_DB) -> None:
    """Fresh database and roles, through the admin (trust-auth) connection."""
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, " NOSUPERUSER NOBYPASSRLS")):
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if not exists:
                conn.execute(f"CREATE ROLE {role} LOGIN{extra}")
            else:
                conn.execute(f"ALTER ROLE {role} LOGIN{extra}")
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database} OWNER {OWNER_ROLE}")


def entry_rows(
    rng: random.Random, tenant_id: uuid.UUID, count: int, prefix: str, now: datetime
) -> list[tuple]:
    from core.ids import new_id

    rows = []
    for i in range(count):
        words = rng.sample(WORDS, 3)
        name = f"{words[0].title()} {words[1]} {words[2]} {i:06d}"
        description = " ".join(rng.choices(WORDS, k=rng.randint(8, 40)))
        created = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        updated = created + timedelta(seconds=rng.randint(0, 86400 * 30))
        rows.append(
            (
                tenant_id,
                new_id(),
                f"{prefix}-{i:06d}",
                name,
                description,
                rng.choice(DOMAINS),
                rng.randint(1, 17),
                "retired" if rng.random() < 0.1 else "active",
                1,
                created,
                updated,
            )
        )
    return rows


def insert_entries(app_url: str, tenant_id: uuid.UUID, rows: list[tuple]) -> None:
    """Insert as the app role inside the tenant's RLS scope (pipelined executemany)."""
    import psycopg

    sql = (
        "INSERT INTO services_catalogue_entry (tenant_id, id, code, name, description, domain, "
        "subdomain, status, version, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    )
    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT set_config('regie.tenant_id', %s, true)", (str(tenant_id),))
        with conn.cursor() as cur:
            for start in range(0, len(rows), 10_000):
                cur.executemany(sql, rows[start : start + 10_000])
        conn.commit()


def main() -> int:
    args = parse_args()
    if args.snapshot and "BENCH_SOURCE" not in os.environ:
        reexec_in_snapshot(args.snapshot)
    if "BENCH_SOURCE" in os.environ:
        source = json.loads(os.environ["BENCH_SOURCE"])
    else:
        sys.path.insert(0, str(HERE))
        from _source import describe_worktree

        source = describe_worktree()
    t0 = time.perf_counter()
    from sqlalchemy.engine import make_url

    base = make_url(args.admin_url).set(
        host=args.host, port=args.port, database=BENCH_DB, password=None
    )
    owner_url = base.set(username=OWNER_ROLE).render_as_string(hide_password=False)
    app_url = base.set(username=APP_ROLE).render_as_string(hide_password=False)

    # Settings are read from the environment once; set it before anything imports them.
    os.environ["REGIE_DATABASE_OWNER_URL"] = owner_url
    os.environ["REGIE_DATABASE_URL"] = app_url
    os.environ.setdefault("REGIE_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ.setdefault("REGIE_LOG_LEVEL", "warning")

    print(f"[dataset] creating roles and database {BENCH_DB}", flush=True)
    prepare_database(args.admin_url)

    import regie
    from core.settings import get_settings
    from regie import migrate

    print(f"[dataset] code from {Path(regie.__file__).resolve().parent.parent}", flush=True)

    print("[dataset] migrating as", OWNER_ROLE, flush=True)
    migrate.upgrade(get_settings())

    import services.catalogue.permissions as catalogue  # declares the permissions
    from core.db import get_engine, unit_of_work
    from core.identity.service import create_api_key
    from core.tenancy import Tenant

    tenants = [Tenant(slug=MAIN_SLUG, name="Benchmark main tenant")]
    tenants += [
        Tenant(slug=f"bench-other-{n}", name=f"Benchmark tenant {n}")
        for n in range(1, args.other_tenants + 1)
    ]
    with unit_of_work(None) as session:
        session.add_all(tenants)
    main_tenant = tenants[0]

    rng = random.Random(args.seed)
    now = datetime.now(UTC)
    t_ins = time.perf_counter()
    print(f"[dataset] inserting {args.rows} entries for {MAIN_SLUG}", flush=True)
    main_rows = entry_rows(rng, main_tenant.id, args.rows, "SVC", now)
    insert_entries(app_url, main_tenant.id, main_rows)
    for t in tenants[1:]:
        print(f"[dataset] inserting {args.other_rows} entries for {t.slug}", flush=True)
        insert_entries(app_url, t.id, entry_rows(rng, t.id, args.other_rows, "OTH", now))
    insert_seconds = time.perf_counter() - t_ins

    import psycopg

    with psycopg.connect(owner_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    with unit_of_work(main_tenant.id) as session:
        _key, token = create_api_key(
            session, name="foundation benchmark", permissions=[catalogue.READ, catalogue.WRITE]
        )
    get_engine().dispose()

    # Check what the app role sees in the main tenant's scope.
    with psycopg.connect(app_url) as conn:
        conn.execute("SELECT set_config('regie.tenant_id', %s, true)", (str(main_tenant.id),))
        visible = conn.execute("SELECT count(*) FROM services_catalogue_entry").fetchone()[0]
    # The superuser bypasses row-level security: it sees every tenant's rows.
    admin_bench = make_url(args.admin_url).set(database=BENCH_DB).render_as_string(False)
    with psycopg.connect(admin_bench) as conn:
        total = conn.execute("SELECT count(*) FROM services_catalogue_entry").fetchone()[0]
        size = conn.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('services_catalogue_entry'))"
        ).fetchone()[0]

    args.out.mkdir(parents=True, exist_ok=True)
    token_file = args.out / "token"
    token_file.write_text(token + "\n")
    token_file.chmod(0o600)
    ids = [str(r[1]) for r in main_rows]
    rng.shuffle(ids)
    (args.out / "ids.txt").write_text("\n".join(ids) + "\n")
    meta = {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": source,
        "database": BENCH_DB,
        "owner_role": OWNER_ROLE,
        "app_role": APP_ROLE,
        "main_tenant": {"slug": MAIN_SLUG, "id": str(main_tenant.id), "entries": visible},
        "other_tenants": len(tenants) - 1,
        "other_rows_each": args.other_rows,
        "total_entries": total,
        "table_size": size,
        "insert_seconds": round(insert_seconds, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta, indent=2))
    if visible != args.rows:
        print(f"[dataset] expected {args.rows} visible entries, saw {visible}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
