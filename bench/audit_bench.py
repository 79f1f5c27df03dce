"""Audit log benchmark: write overhead of capture, multi-tenant appends, verify and proofs.

    .venv/bin/python bench/audit_bench.py            # about 6 minutes on 2 cores
    .venv/bin/python bench/audit_bench.py --only verify,proofs   # the pure parts

a) POST /api/v1/services at 32 connections (wrk, 2 threads), capture on versus off, on
   PostgreSQL as the app role (database regie_audit_bench, rebuilt each run); two rounds in
   alternating order, 5 s warm-up and 20 s measured each.
b) the same with 8 tenants writing at once (each request uses the next tenant's key), so
   appends go to 8 per-tenant chains in parallel.
c) verify: the pure verifier (audit.verify.verify_log) over 1,000,000 generated entries of
   realistic size with a signed checkpoint every 10,000; and `regie audit verify` over what
   (a) and (b) stored in PostgreSQL.
d) proofs: inclusion and consistency proof size and time over trees of 10^3..10^6 leaves
   (pure, in memory) and through the API on the stored log.
Figures go to bench/results/audit-<timestamp>.json and stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
HOST, PORT = "127.0.0.1", int(os.environ.get("BENCH_AUDIT_PORT", "8791"))
ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
OWNER, APP, DB = "regie_abench_owner", "regie_abench_app", "regie_audit_bench"
OWNER_URL = f"postgresql://{OWNER}@127.0.0.1:5432/{DB}"
APP_URL = f"postgresql://{APP}@127.0.0.1:5432/{DB}"
# The server processes import this module too: they share the parent's scratch folder.
TMP = Path(os.environ.get("BENCH_AUDIT_TMP") or tempfile.mkdtemp(prefix="regie-audit-bench-"))

LUA = r"""
local tokens, n = {}, 0
for line in io.lines(os.getenv("BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local run = os.getenv("BENCH_RUN")  -- unique per wrk run: codes never repeat across runs
local thread_no = 0
function setup(thread) thread_no = thread_no + 1; thread:set("tid", thread_no) end
function request()
  n = n + 1
  local body = string.format(
    '{"code":"W%s-%d-%d","name":"Bench service","domain":"B","subdomain":3}', run, tid, n)
  local headers = {["Content-Type"] = "application/json",
                   ["Authorization"] = "Bearer " .. tokens[(n % #tokens) + 1]}
  return wrk.format("POST", "/api/v1/services", headers, body)
end
local first_failure = nil
function response(status, headers, body)
  if status ~= 201 and first_failure == nil then
    first_failure = status
    io.write("BENCH_FAILURE " .. status .. " " .. string.sub(body, 1, 300) .. "\n")
  end
end
function done(summary, latency, requests)
  local non2xx = summary.errors.status
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_ms":%.2f,"p95_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}\n',
    summary.requests, summary.duration / 1e6, non2xx,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
"""


# --------------------------------------------------------------------------- database


def env(**extra: str) -> dict[str, str]:
    out = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        REGIE_DATABASE_URL=APP_URL,
        REGIE_DATABASE_OWNER_URL=OWNER_URL,
        REGIE_BROKER_URL="redis://127.0.0.1:6379/13",
        REGIE_LOG_LEVEL="warning",
        REGIE_ENV="development",
        REGIE_AUDIT_KEY_FILE=str(TMP / "key"),
        REGIE_AUDIT_CHECKPOINT_DIR=str(TMP / "checkpoints"),
        **extra,
    )
    out.pop("REGIE_OTLP_ENDPOINT", None)
    return out


def build_database(tenants: int) -> list[str]:
    """Fresh database, roles as in production, migrated; one API key per tenant."""
    import psycopg

    with psycopg.connect(ADMIN, autocommit=True) as conn:
        for role, extra in ((OWNER, ""), (APP, " NOBYPASSRLS NOSUPERUSER")):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                conn.execute(f"CREATE ROLE {role} LOGIN{extra}")
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB} OWNER {OWNER}")
    script = (
        "import sys\n"
        "from audit import public\n"
        "from core.settings import get_settings\n"
        "from regie import migrate, seed\n"
        "public.install()\n"
        "migrate.upgrade(get_settings())\n"
        f"for i in range({tenants}):\n"
        "    seed.create_tenant(slug=f'bench-{i}', name=f'Bench {i}', entra_tenant_id=None)\n"
        "    print(seed.issue_api_key(tenant_slug=f'bench-{i}', name='bench', expires_at=None,\n"
        "        permissions=['services.catalogue:read', 'services.catalogue:write']))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


# --------------------------------------------------------------------------- server and load


def serve_app(capture: str) -> object:
    """The API as `regie serve` builds it, with capture switched off for the baseline."""
    from audit import public
    from core.jobs import configure_celery
    from core.settings import get_settings
    from regie.app import create_app

    configure_celery(get_settings())
    app = create_app()
    if capture == "off":
        public.uninstall()
    return app


def start_server(capture: str, workers: int) -> subprocess.Popen:
    with contextlib.suppress(OSError):
        request("GET", "/health")
        raise SystemExit(f"something already listens on {HOST}:{PORT}; set BENCH_AUDIT_PORT")
    code = (
        "import uvicorn\n"
        "uvicorn.run('bench.audit_bench:capture_" + capture + "', factory=True, "
        f"host='{HOST}', port={PORT}, workers={workers}, log_level='warning')\n"
    )
    log = (TMP / f"serve-{capture}.log").open("ab")
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if request("GET", "/ready")[0] == 200:
                return proc
        time.sleep(0.5)
    stop_server(proc)
    raise SystemExit(f"server did not start; see {TMP}")


def capture_on() -> object:
    return serve_app("on")


def capture_off() -> object:
    return serve_app("off")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def request(method: str, path: str, token: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
    try:
        conn.request(method, path, headers={"Authorization": f"Bearer {token}"} if token else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wrk(tokens: list[str], seconds: int, connections: int) -> dict:
    (TMP / "tokens").write_text("\n".join(tokens) + "\n")
    (TMP / "post.lua").write_text(LUA)
    cmd = [
        shutil.which("wrk") or "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(TMP / "post.lua"),
        f"http://{HOST}:{PORT}",
    ]
    out = subprocess.run(
        cmd,
        env=dict(
            os.environ, BENCH_TOKENS=str(TMP / "tokens"), BENCH_RUN=str(time.time_ns() % 10**10)
        ),
        capture_output=True,
        text=True,
        timeout=seconds + 60,
    )
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line.removeprefix("BENCH_JSON "))
    failures = [x for x in out.stdout.splitlines() if x.startswith("BENCH_FAILURE ")]
    result["first_failures"] = [x.removeprefix("BENCH_FAILURE ") for x in failures[:2]]
    result["rps"] = round(result["requests"] / result["seconds"], 1)
    return result


def write_scenarios(args: argparse.Namespace, tokens: list[str]) -> dict:
    """Capture on/off, one tenant and eight, alternating order over the rounds."""
    runs: dict[str, list[dict]] = {}
    for rnd in range(args.rounds):
        order = ("off", "on") if rnd % 2 == 0 else ("on", "off")
        for capture in order:
            proc = start_server(capture, args.workers)
            try:
                for label, keys in (("1 tenant", tokens[:1]), ("8 tenants", tokens[1:9])):
                    wrk(keys, args.warmup, args.connections)
                    result = wrk(keys, args.duration, args.connections)
                    name = f"capture {capture}, {label}"
                    print(f"  round {rnd + 1} {name}: {result}", flush=True)
                    runs.setdefault(name, []).append(result)
            finally:
                stop_server(proc)
    return {name: summarise(results) for name, results in runs.items()}


def summarise(results: list[dict]) -> dict:
    keys = ("rps", "p50_ms", "p95_ms", "p99_ms", "max_ms")
    out = {k: round(statistics.mean(r[k] for r in results), 2) for k in keys}
    out["non2xx"] = sum(r["non2xx"] for r in results)
    out["socket_errors"] = sum(r["socket_errors"] for r in results)
    out["runs"] = results
    return out


# --------------------------------------------------------------------------- verify, proofs


def generated_log(count: int, every: int) -> tuple[list, list, object, str]:
    """`count` chained entries shaped like a catalogue update, a checkpoint every `every`."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit import signing
    from audit.chain import GENESIS, canonical, entry_digest
    from audit.merkle import CompactRange, leaf_hash
    from audit.verify import CheckpointRecord, EntryRecord

    tenant = str(uuid.uuid4())
    template = canonical(
        {
            "action": "update",
            "actor": {"id": str(uuid.uuid4()), "kind": "api_key"},
            "changes": {
                "name": {"after": "Mail SEQ", "before": "E-mail"},
                "updated_at": {
                    "after": "2026-11-25T20:00:00+00:00",
                    "before": "2026-11-25T19:00:00+00:00",
                },
                "version": {"after": 2, "before": 1},
            },
            "context": {
                "clientAddress": "10.0.0.1",
                "requestId": "0123456789abcdef0123456789abcdef",
                "traceId": "0" * 32,
                "userAgent": "integration/1.0",
            },
            "entity": {"id": str(uuid.uuid4()), "type": "services_catalogue_entry"},
            "tenant": tenant,
            "time": "2026-11-25T20:00:00.000000+00:00",
        }
    ).split(b"SEQ")
    key = Ed25519PrivateKey.generate()
    entries, cps, prev, tree = [], [], GENESIS, CompactRange()
    for seq in range(1, count + 1):
        body = template[0] + str(seq).encode() + template[1]
        digest = entry_digest(prev, seq, body)
        entries.append(EntryRecord(seq, prev, digest.hex(), body))
        prev = digest.hex()
        tree.append(leaf_hash(digest))
        if seq % every == 0:
            st = signing.CheckpointStatement(tenant, seq, tree.root().hex(), prev, "2026-11-25")
            cps.append(
                CheckpointRecord(
                    tenant, seq, st.root_hash, prev, st.issued_at, "k", key.sign(st.message()).hex()
                )
            )
    return entries, cps, key.public_key(), tenant


def verify_speed(count: int) -> dict:
    from audit.verify import verify_log

    began = time.perf_counter()
    entries, cps, public, tenant = generated_log(count, 10_000)
    built = time.perf_counter() - began
    times = []
    for _ in range(3):
        began = time.perf_counter()
        verdict = verify_log(entries, cps, public, tenant)
        times.append(time.perf_counter() - began)
        assert verdict.ok and verdict.entries == count, verdict
    best = min(times)
    return {
        "entries": count,
        "checkpoints": len(cps),
        "body_bytes": len(entries[0].body),
        "seconds_best_of_3": round(best, 3),
        "entries_per_second": round(count / best),
        "generation_seconds": round(built, 1),
    }


def proof_figures() -> list[dict]:
    import hashlib

    from audit.merkle import Tree, leaf_hash

    out = []
    for size in (1_000, 10_000, 100_000, 1_000_000):
        leaves = [leaf_hash(hashlib.sha256(i.to_bytes(8, "big")).digest()) for i in range(size)]
        began = time.perf_counter()
        tree = Tree(leaves)
        inclusion = tree.inclusion_path(size // 3, size)
        t_inc = time.perf_counter() - began
        began = time.perf_counter()
        consistency = Tree(leaves).consistency_path(size // 2 + 1, size)
        t_con = time.perf_counter() - began
        out.append(
            {
                "leaves": size,
                "inclusion_hashes": len(inclusion),
                "inclusion_bytes": 32 * len(inclusion),
                "inclusion_ms": round(t_inc * 1e3, 1),
                "consistency_hashes": len(consistency),
                "consistency_bytes": 32 * len(consistency),
                "consistency_ms": round(t_con * 1e3, 1),
            }
        )
        print(f"  proofs over {size} leaves: {out[-1]}", flush=True)
    return out


def stored_log_figures(tokens: list[str]) -> dict:
    """`regie audit verify` and the proof routes over what the write scenarios stored."""
    subprocess.run(
        [sys.executable, "-m", "regie.cli", "audit", "checkpoint"],
        cwd=ROOT,
        env=env(),
        check=True,
        capture_output=True,
    )
    timed = (
        "import json, time\nfrom audit import admin\n"
        "began = time.perf_counter(); verdicts = admin.verify(); s = time.perf_counter() - began\n"
        "print(json.dumps({'ok': all(v.ok for _, v in verdicts), 'seconds': s,"
        " 'entries': sum(v.entries for _, v in verdicts)}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", timed],
        cwd=ROOT,
        env=env(),
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout)
    result["entries_per_second"] = round(result["entries"] / result["seconds"])
    result["api_proofs"] = api_proofs(tokens[0])
    return result


def api_proofs(token: str) -> dict:
    """Proof routes of the busiest tenant, timed end to end (HTTP, database, hashing)."""
    proc = start_server("on", 1)
    try:
        grant = (
            "import audit.permissions\nfrom regie import seed\n"
            "print(seed.issue_api_key(tenant_slug='bench-0', name='auditor', expires_at=None,"
            " permissions=['audit.log:read', 'audit.log:manage']))\n"
        )
        auditor = subprocess.run(
            [sys.executable, "-c", grant],
            cwd=ROOT,
            env=env(),
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # The API does not sign (POST /audit/checkpoints asks the worker): sign here, as the
        # worker would, and read the newest checkpoint back.
        subprocess.run(
            [sys.executable, "-m", "regie.cli", "audit", "checkpoint"],
            cwd=ROOT,
            env=env(),
            capture_output=True,
            check=True,
        )
        newest = "/api/v1/audit/checkpoints?sort=-treeSize&limit=1"
        size = json.loads(request_with("GET", newest, auditor)[1])["items"][0]["treeSize"]
        # The oldest checkpoint (from `regie audit checkpoint` above) against the newest.
        page = json.loads(request_with("GET", "/api/v1/audit/checkpoints?limit=1", auditor)[1])
        first = page["items"][0]["treeSize"]
        timings = {}
        for name, path in (
            ("inclusion", f"/api/v1/audit/entries/{max(1, size // 3)}/inclusion-proof"),
            ("consistency", f"/api/v1/audit/consistency-proof?first={first}&second={size}"),
        ):
            samples = []
            for _ in range(5):
                began = time.perf_counter()
                status, body = request_with("GET", path, auditor)
                samples.append(time.perf_counter() - began)
                assert status == 200, body
            timings[name] = {
                "tree_size": size,
                "first_size": first if name == "consistency" else None,
                "median_ms": round(statistics.median(samples) * 1e3, 1),
                "path_hashes": len(json.loads(body)["path"]),
            }
        return timings
    finally:
        stop_server(proc)


def request_with(method: str, path: str, token: str) -> tuple[int, bytes]:
    return request(method, path, token)


# --------------------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default="write,verify,proofs")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--duration", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--verify-entries", type=int, default=1_000_000)
    args = p.parse_args()
    only = set(args.only.split(","))
    report: dict = {
        "when": datetime.now(UTC).isoformat(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": vars(args),
    }
    if "write" in only:
        print("== write throughput (PostgreSQL, app role)", flush=True)
        tokens = build_database(9)
        report["write"] = write_scenarios(args, tokens)
        report["stored_log"] = stored_log_figures(tokens)
        print(f"  stored log: {report['stored_log']}", flush=True)
    if "verify" in only:
        print(f"== pure verify over {args.verify_entries} entries", flush=True)
        report["verify"] = verify_speed(args.verify_entries)
        print(f"  {report['verify']}", flush=True)
    if "proofs" in only:
        print("== proofs (pure, in memory)", flush=True)
        report["proofs"] = proof_figures()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"audit-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"written to {path.relative_to(ROOT)}")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
