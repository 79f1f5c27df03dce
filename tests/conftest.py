"""Test harness: a migrated database (SQLite, or PostgreSQL when REGIE_TEST_DATABASE_URL is
set) with the same roles as production, a real broker, and a real Celery worker on demand.

On PostgreSQL the tests connect as `regie_test_app`, a role that owns nothing and has no
BYPASSRLS, exactly as the application does in production; migrations run as the owner role.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from sqlalchemy.engine import make_url

TEST_PG = os.environ.get("REGIE_TEST_DATABASE_URL")
TMP = Path(tempfile.mkdtemp(prefix="regie-test-"))
atexit.register(shutil.rmtree, TMP, ignore_errors=True)
# Per-run database (and Redis db) names, so two test runs on one machine never collide.
OWNER_ROLE, APP_ROLE = "regie_test_owner", "regie_test_app"
TEST_DB = f"regie_test_{os.getpid()}"


def _pg_urls(admin_url: str) -> tuple[str, str]:
    base = make_url(admin_url).set(database=TEST_DB, password=None)
    owner = base.set(username=OWNER_ROLE).render_as_string(hide_password=False)
    app = base.set(username=APP_ROLE).render_as_string(hide_password=False)
    return owner, app


def _prepare_postgres(admin_url: str) -> None:
    """Fresh database and roles, created through the admin (trust-auth) connection."""
    import psycopg

    conninfo = make_url(admin_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for role, extra in ((OWNER_ROLE, ""), (APP_ROLE, " NOBYPASSRLS NOSUPERUSER")):
            # Parallel test processes share the roles: the first to create one wins.
            conn.execute(
                f"DO $$ BEGIN CREATE ROLE {role} LOGIN{extra}; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {TEST_DB} OWNER {OWNER_ROLE}")
    atexit.register(_drop_postgres, conninfo)


def _drop_postgres(conninfo: str) -> None:
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {TEST_DB} WITH (FORCE)")


def _broker_url(given: str | None) -> str:
    """A Redis database of this process's own: the given one, counted down per pytest-xdist
    worker (gw0, gw1, ...), so that parallel workers never take each other's tasks."""
    if not given:
        return f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}"
    url = make_url(given)
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:])
    return url.set(database=str(int(url.database or 0) - worker)).render_as_string(False)


# Settings are read from the environment once; set it before anything imports them.
os.environ["REGIE_ENV"] = "development"
os.environ["REGIE_LOG_LEVEL"] = "warning"
os.environ["REGIE_OUTBOX_POLL_SECONDS"] = "1"
if TEST_PG:
    _prepare_postgres(TEST_PG)
    os.environ["REGIE_DATABASE_OWNER_URL"], os.environ["REGIE_DATABASE_URL"] = _pg_urls(TEST_PG)
    os.environ["REGIE_BROKER_URL"] = _broker_url(os.environ.get("REGIE_TEST_BROKER_URL"))
else:
    os.environ["REGIE_DATABASE_URL"] = f"sqlite:///{TMP}/regie.db"
    os.environ.pop("REGIE_DATABASE_OWNER_URL", None)
    os.environ["REGIE_BROKER_URL"] = "filesystem://"
os.environ["REGIE_BROKER_FOLDER"] = str(TMP / "broker")

pytest_plugins = ["tests.fixtures"]


CHROMIUM = Path("/usr/bin/chromium")
# Files of one or two long tests (3.5 and 1 minutes here), which the order by number of tests
# would otherwise put last, where each runs alone while the other process is idle.
LONGEST = ("tests/regie/test_openapi_contract.py", "tests/regie/test_up.py")


def pytest_configure(config):
    """Split over processes (pytest-xdist), the files go out in the order collected below:
    xdist's own reordering by number of tests would put the longest, single-test files last."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (row-level security itself) are deselected on SQLite, not skipped.

    Browser tests run on the embedded default wherever Chromium is installed (`bin/setup
    --with-browser`), and wherever they are asked for with `-m browser`; the fault suite only
    when asked for with `-m reliability`."""
    markexpr = config.getoption("markexpr", "") or ""
    asked_browser, asked_faults = "browser" in markexpr, "reliability" in markexpr

    def unwanted(item) -> bool:
        if "reliability" in item.keywords and not asked_faults:
            return True
        if "browser" in item.keywords and not asked_browser:
            return bool(TEST_PG or not CHROMIUM.exists())
        return not TEST_PG and "postgres" in item.keywords

    keep = [i for i in items if not unwanted(i)]
    dropped = [i for i in items if unwanted(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    # The longest files first, then (as xdist would) the files with the most tests: the
    # last files handed out are short ones, so both processes finish at about the same time.
    tests_in = Counter(_file(item) for item in items)
    items.sort(key=lambda item: (_file(item) not in LONGEST, -tests_in[_file(item)]))


def _file(item) -> str:
    return item.nodeid.split("::")[0]
