"""Web pages benchmark: every page of the web UI timed in Chromium on the 1,000,000-ticket database.

    .venv/bin/python bench/tickets_dataset.py --database regie_bench_tickets   # once (~25 min)
    .venv/bin/python bench/web_pages.py --rounds 20                            # a few minutes

Starts the test suite's OpenID provider and `regie serve --workers 2` as the app role (row-level
security on), binds the measured tenant `tickets-01` to one of the provider's directories and a
supplier tenant to another (the supplier's person holds agent-line-1 in every client tenant),
signs both people in through the provider in Debian's Chromium (Playwright, CSP enforced), and
then loads every page `--rounds` times, pages interleaved so that load on the machine spreads
over them. Each load reads the browser's navigation timing:
  server  responseStart - requestStart (the server's time to the first byte, as the browser saw it)
  load    loadEventEnd (from the start of the navigation to the end of the load event)
and the answer's status. Figures (p50/p95/p99 per page), the load average and the commit go to
stdout and bench/results/web-pages-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from _source import resolve  # noqa: E402
from run_foundation import HOST, get, machine, stop_server  # noqa: E402

from tests.regie.test_up import free_port  # noqa: E402
from tests.support.oidc_provider import OidcProvider  # noqa: E402

RESULTS = HERE / "results"
CHROMIUM = "/usr/bin/chromium"
MEASURED = "tickets-01"
SUPPLIER = "pagetiming-supplier"
WEB_SECRET = "web-pages-bench-secret"
# Fixed, so that the supplier's grants in the client tenants hold from one run to the next.
CLIENT_DIRECTORY = uuid.UUID("5a9e7d1c-0000-4000-8000-000000000001")
SUPPLIER_DIRECTORY = uuid.UUID("5a9e7d1c-0000-4000-8000-000000000002")
SUPPLIER_USER = uuid.UUID("5a9e7d1c-0000-4000-8000-0000000000a1")
AGENT_ROLES = [
    "key-user",
    "kpi-viewer",
    "agent-line-1",
    "problem-manager",
    "change-manager",
    "client-admin",
]
# The token that creates the few items the tickets dataset lacks (a problem, a change, ...).
SEED_ROLES = ["problem-manager", "change-manager", "service-level-manager", "agent-line-1"]
AIM_MS = 1000

# (name, path or a detail page's list, found as the first link of that list to an item)
AGENT_PAGES: list[tuple[str, str]] = [
    ("home", "/"),
    ("tickets", "/tickets"),
    ("ticket", "{ticket}"),
    ("new ticket", "/tickets/new"),
    ("queue", "/queue"),
    ("queue filtered", "/queue?line=1&type=incident&priority=high"),
    ("dashboard", "/dashboard"),
    ("problems", "/problems"),
    ("known errors", "/known-errors"),
    ("problem", "first:/problems"),
    ("service levels", "/service-levels"),
    ("outages", "/outages"),
    ("dap", "/dap"),
    ("access reviews", "/access-reviews"),
    ("changes", "/changes"),
    ("change", "first:/changes"),
    ("change calendar month", "/change-calendar?view=month"),
    ("change calendar week", "/change-calendar?view=week"),
    ("cis", "/cis"),
    ("ci", "first:/cis"),
    ("suppliers", "/suppliers"),
    ("improvements", "/improvements"),
    ("improvement", "first:/improvements"),
    ("sessions", "/account/sessions"),
]
SUPPLIER_PAGES: list[tuple[str, str]] = [
    ("home", "/"),
    ("queue", "/queue"),
    ("queue one client", f"/queue?organisation={MEASURED}"),
    ("queue filtered", "/queue?line=1&priority=high"),
    ("dashboard", "/dashboard"),
    ("sessions", "/account/sessions"),
]

TIMING_JS = """() => {
  const n = performance.getEntriesByType('navigation')[0];
  return {server: n.responseStart - n.requestStart, load: n.loadEventEnd,
          status: n.responseStatus || 0, bytes: n.encodedBodySize};
}"""


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--database", default="regie_bench_tickets")
    p.add_argument("--data", type=Path, default=HERE / ".data" / "tickets", help="dataset's out")
    p.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    p.add_argument("--rounds", type=int, default=20, help="loads of each page per person")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--port", type=int, default=0, help="0: a free port")
    p.add_argument("--pages", default="", help="comma-separated page names (default: all)")
    p.add_argument("--regie", default=str(ROOT / ".venv" / "bin" / "regie"))
    p.add_argument("--snapshot", metavar="REV", help="serve the code of this commit")
    return p.parse_args()


# --------------------------------------------------------------------------- setup


def bind_people(admin_url: str, database: str) -> None:
    """The measured tenant signs in through the client directory; the supplier tenant exists,
    signs in through its own, and its person is a line-1 agent in every client tenant."""
    url = admin_url.rsplit("/", 1)[0] + "/" + database
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "UPDATE core_tenant SET entra_tenant_id = %s WHERE slug = %s",
            (CLIENT_DIRECTORY, MEASURED),
        )
        conn.execute(
            "INSERT INTO core_tenant (id, slug, name, entra_tenant_id, status, kind, "
            "session_idle_minutes, session_absolute_minutes, created_at) "
            "VALUES (%s, %s, 'Leverancier', %s, 'active', 'supplier', 30, 600, now()) "
            "ON CONFLICT (slug) DO NOTHING",
            (uuid.uuid4(), SUPPLIER, SUPPLIER_DIRECTORY),
        )
        clients = conn.execute(
            "SELECT id FROM core_tenant WHERE kind = 'client' AND status = 'active'"
        ).fetchall()
        for (tenant_id,) in clients:
            conn.execute(
                "INSERT INTO core_grant (tenant_id, id, subject_kind, subject_tid, subject_oid, "
                "subject_name, role, granted_by, granted_at) "
                "SELECT %s, %s, 'user', %s, %s, 'Supplier agent (benchmark)', 'agent-line-1', "
                "'benchmark', now() WHERE NOT EXISTS (SELECT 1 FROM core_grant "
                "WHERE tenant_id = %s AND subject_oid = %s)",
                (
                    tenant_id,
                    uuid.uuid4(),
                    SUPPLIER_DIRECTORY,
                    SUPPLIER_USER,
                    tenant_id,
                    SUPPLIER_USER,
                ),
            )


def start_provider(public_url: str) -> OidcProvider:
    provider = OidcProvider(Path(tempfile.mkdtemp(prefix="web-pages-")), free_port())
    for tid in (CLIENT_DIRECTORY, SUPPLIER_DIRECTORY):
        provider.directories[tid] = []
        provider.principal(tid)  # a directory needs one
    provider.user(CLIENT_DIRECTORY, "agent", name="Agent (benchmark)", roles=AGENT_ROLES)
    provider.user(SUPPLIER_DIRECTORY, "supplier", name="Supplier agent", oid=str(SUPPLIER_USER))
    provider.seeder = provider.principal(  # type: ignore[attr-defined]
        CLIENT_DIRECTORY, roles=SEED_ROLES, scp="access", idtyp="user", name="Seed"
    )
    provider.register_web("regie-web", WEB_SECRET, public_url)
    provider.start()
    return provider


def start_server(args: argparse.Namespace, provider: OidcProvider, log: Path) -> subprocess.Popen:
    env = dict(os.environ, **args.source_env)
    env.update(
        REGIE_DATABASE_URL=f"postgresql://regie_bench_app@127.0.0.1:5432/{args.database}",
        REGIE_BROKER_URL="redis://127.0.0.1:6379/14",
        REGIE_LOG_LEVEL="warning",
        REGIE_ENV="development",
        REGIE_SECRET_KEY="web-pages-bench-" + "x" * 32,
        REGIE_PUBLIC_URL=f"http://{HOST}:{args.port}",
        REGIE_ENTRA_AUTHORITY=provider.authority,
        REGIE_OIDC_CLIENT_ID="regie-web",
        REGIE_OIDC_CLIENT_SECRET=WEB_SECRET,
    )
    for name in ("REGIE_DATABASE_OWNER_URL", "REGIE_OTLP_ENDPOINT"):
        env.pop(name, None)
    cmd = [args.regie, "serve", "--host", HOST, "--port", str(args.port)]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*cmd, "--workers", str(args.workers)],
            cwd=args.source_dir,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"regie serve exited with {proc.returncode}; see {log}")
        try:
            if get(args.port, "/ready", timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"regie serve not ready within 90 s; see {log}")


# --------------------------------------------------------------------------- browser


def sign_in(page, base: str, authority: str, tenant: str, login: str) -> None:
    """From the start page through the provider's login (and consent) back to Regie."""
    page.goto(base + "/")
    page.fill("#tenant", tenant)
    page.locator("form.sign-in button").first.click()
    page.wait_for_url(f"{authority}/**")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "secret")
    page.click("button[type=submit]")
    consent = page.locator("input[name=prompt][value=consent]")
    page.locator("section.user").or_(consent).first.wait_for(state="attached")
    if consent.count():
        page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    if not page.locator("section.user").is_visible():
        raise SystemExit(f"{login} is not signed in to {tenant}")


def first_item(page, base: str, listing: str) -> str | None:
    """The address of the first item the list page links to, if it shows any."""
    page.goto(base + listing)
    hrefs = page.eval_on_selector_all(
        f"main a[href^='{listing}/']", "els => els.map(e => e.getAttribute('href'))"
    )
    for href in hrefs:
        rest = href.split("?", 1)[0][len(listing) + 1 :]
        if rest and "/" not in rest and rest != "new":
            return href
    return None


def api(port: int, token: str, path: str, body: dict | None = None) -> dict:
    """One API call with the seeding token; the answer's JSON, or SystemExit on an error."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        method = "GET" if body is None else "POST"
        conn.request(
            method, "/api/v1" + path, body=json.dumps(body) if body else None, headers=headers
        )
        resp = conn.getresponse()
        data = resp.read()
        if resp.status >= 300:
            raise SystemExit(f"{method} {path} answered {resp.status}: {data[:300]!r}")
        return json.loads(data)
    finally:
        conn.close()


def seed(port: int, provider: OidcProvider) -> None:
    """One service, CI, problem, change and improvement in the measured tenant (the tickets
    dataset has none), so that their own pages can be measured."""
    token = provider.token(CLIENT_DIRECTORY, provider.seeder)  # type: ignore[attr-defined]
    if not api(port, token, "/problems?limit=1")["items"]:
        api(
            port,
            token,
            "/problems",
            {
                "title": "Zaaksysteem traag bij openen dossier",
                "description": "Sinds de laatste release duurt het openen van een dossier lang.",
            },
        )
    if not api(port, token, "/improvements?limit=1")["items"]:
        api(
            port,
            token,
            "/improvements",
            {
                "title": "Snellere dossierweergave",
                "description": "Dossiers openen binnen een seconde.",
                "sourceKind": "user-feedback",
            },
        )
    if not api(port, token, "/cis?limit=1")["items"]:
        classes = api(port, token, "/ci-classes")["items"]
        api(
            port,
            token,
            "/cis",
            {
                "classId": classes[0]["id"],
                "name": "Zaaksysteem productie",
                "naturalKey": "zaaksysteem-prod",
            },
        )
    if not api(port, token, "/changes?limit=1")["items"]:
        services = api(port, token, "/services?limit=1")["items"]
        if not services:
            services = [
                api(
                    port,
                    token,
                    "/services",
                    {"code": "ZAAK", "name": "Zaaksysteem", "domain": "B", "subdomain": 3},
                )
            ]
        start = datetime.now(UTC) + timedelta(days=3)
        api(
            port,
            token,
            "/changes",
            {
                "type": "normal",
                "title": "Zaaksysteem naar 4.3",
                "description": "Databasemigratie en nieuwe release van het zaaksysteem.",
                "reason": "Versie 4.2 wordt in januari niet meer ondersteund.",
                "serviceIds": [services[0]["id"]],
                "rollbackPlan": {
                    "steps": [{"action": "Versie 4.2 terugzetten"}],
                    "expectedMinutes": 30,
                    "executor": "Beheer",
                    "trigger": "Foutpercentage > 2 %",
                },
                "plannedStart": start.isoformat(),
                "plannedEnd": (start + timedelta(hours=2)).isoformat(),
            },
        )


def resolve_paths(
    page, base: str, pages: list[tuple[str, str]], tickets: list[str]
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Per page the addresses to load (one per round for the ticket page); pages without an
    item to show are left out, with the reason."""
    out: dict[str, list[str]] = {}
    missing: dict[str, str] = {}
    for name, path in pages:
        if path == "{ticket}":
            out[name] = [f"/tickets/{t}" for t in tickets]
        elif path.startswith("first:"):
            found = first_item(page, base, path.removeprefix("first:"))
            if found is None:
                missing[name] = f"no item in {path.removeprefix('first:')}"
            else:
                out[name] = [found]
        else:
            out[name] = [path]
    return out, missing


def load(page, base: str, path: str) -> dict:
    page.goto(base + path, wait_until="load")
    timing = page.evaluate(TIMING_JS)
    timing["path"] = path
    return timing


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(samples: list[dict]) -> dict:
    out: dict = {"n": len(samples), "statuses": sorted({s["status"] for s in samples})}
    for key in ("server", "load"):
        values = [s[key] for s in samples]
        for p in (50, 95, 99):
            out[f"{key}_p{p}_ms"] = round(percentile(values, p), 1)
    out["max_load_ms"] = round(max(s["load"] for s in samples), 1)
    out["bytes"] = max(s["bytes"] for s in samples)
    return out


def measure(page, base: str, paths: dict[str, list[str]], rounds: int) -> dict[str, dict]:
    """Every page once per round, in a fresh order each round; one warm-up load first."""
    for addresses in paths.values():
        load(page, base, addresses[0])
    samples: dict[str, list[dict]] = {name: [] for name in paths}
    rng = random.Random(20261205)
    for r in range(rounds):
        names = list(paths)
        rng.shuffle(names)
        for name in names:
            addresses = paths[name]
            samples[name].append(load(page, base, addresses[r % len(addresses)]))
        print(f"  round {r + 1}/{rounds}", flush=True)
    return {name: summary(s) for name, s in samples.items()}


# --------------------------------------------------------------------------- report


def table(person: str, results: dict[str, dict]) -> str:
    rows = [
        f"| {person}: page | server p50 | p95 | p99 | load p50 | p95 | p99 | ≤ 1 s p95 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results.items():
        verdict = "met" if r["load_p95_ms"] <= AIM_MS else "**missed**"
        rows.append(
            f"| {name} | {r['server_p50_ms']:.0f} ms | {r['server_p95_ms']:.0f} ms | "
            f"{r['server_p99_ms']:.0f} ms | {r['load_p50_ms']:.0f} ms | {r['load_p95_ms']:.0f} ms"
            f" | {r['load_p99_ms']:.0f} ms | {verdict} |"
        )
    return "\n".join(rows)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def main() -> int:
    from playwright.sync_api import sync_playwright

    args = parse_args()
    args.source_dir, source, args.source_env = resolve(args.snapshot)
    args.port = args.port or free_port()
    dataset_file = args.data / "dataset.json"
    if not dataset_file.exists():
        raise SystemExit(f"no dataset in {args.data}: run bench/tickets_dataset.py first")
    dataset = json.loads(dataset_file.read_text())
    tickets = (args.data / "ids.txt").read_text().split()[: args.rounds]
    print(f"code: {source['kind']} {source['commit']}", flush=True)
    bind_people(args.admin_url, args.database)
    base = f"http://{HOST}:{args.port}"
    provider = start_provider(base)
    log = HERE / ".data" / f"serve-web-pages-{args.database}.log"
    proc = start_server(args, provider, log)
    wanted = set(filter(None, args.pages.split(",")))
    started = datetime.now(UTC)
    before = loadavg()
    results: dict[str, dict] = {}
    missing: dict[str, dict] = {}
    try:
        seed(args.port, provider)
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=CHROMIUM)
            people = (
                ("agent", MEASURED, "agent", AGENT_PAGES),
                ("supplier", SUPPLIER, "supplier", SUPPLIER_PAGES),
            )
            for person, tenant, login, pages in people:
                chosen = [(n, p) for n, p in pages if not wanted or n in wanted]
                if not chosen:
                    continue
                print(f"== {person} of {tenant}", flush=True)
                context = browser.new_context(
                    locale="nl-NL", viewport={"width": 1280, "height": 900}
                )
                context.set_default_timeout(60_000)
                page = context.new_page()
                sign_in(page, base, provider.authority, tenant, login)
                paths, missing[person] = resolve_paths(page, base, chosen, tickets)
                results[person] = measure(page, base, paths, args.rounds)
                context.close()
            browser.close()
    finally:
        stop_server(proc)
        provider.stop()
    after = loadavg()
    report = {
        "date": started.isoformat(timespec="seconds"),
        "source": source,
        "machine": machine(),
        "loadavg_before": before,
        "loadavg_after": after,
        "workers": args.workers,
        "rounds": args.rounds,
        "browser": CHROMIUM,
        "aim_load_p95_ms": AIM_MS,
        "dataset": {
            "database": args.database,
            **{k: dataset.get(k) for k in ("source", "measured_tenant", "rows", "size")},
        },
        "not_measured": missing,
        "pages": results,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"web-pages-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults: {out.relative_to(ROOT)}")
    print(f"load average before {before}, after {after}; code {source['commit']}\n")
    for person, pages in results.items():
        print(table(person, pages) + "\n")
        for name, why in missing.get(person, {}).items():
            print(f"not measured: {name} ({why})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
