"""`regie audit verify` end to end on PostgreSQL: entries per second over a generated log.

    .venv/bin/python bench/audit_verify_bench.py                 # 200,000 entries, ~1 min
    .venv/bin/python bench/audit_verify_bench.py --code /tmp/old # verify with another tree

Builds database regie_audit_verify_bench (roles as in production: an owner that migrates and
an app role under row-level security), one tenant whose log holds --entries chained entries
shaped like catalogue updates (about 600-byte bodies) with a signed checkpoint every --every,
loaded with COPY. Then runs `regie audit verify --tenant bench` as the app role, --rounds
times, from the working tree or from --code (e.g. a `git archive` of an older commit), and
reports the best and median wall time and entries/s, of the command (with interpreter
start-up) and of `audit.admin.verify` alone. Figures go to
bench/results/audit-verify-<timestamp>.json and stdout.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from dataset import APP_ROLE as APP  # noqa: E402
from dataset import OWNER_ROLE as OWNER  # noqa: E402
from dataset import prepare_database  # noqa: E402

# The signing key and checkpoint files live next to the database, so --reuse finds them.
TMP = Path(tempfile.gettempdir()) / "regie-audit-verify-bench"

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB = "regie_audit_verify_bench"


def env(code: Path) -> dict[str, str]:
    out = dict(
        os.environ,
        PYTHONPATH=str(code),
        REGIE_DATABASE_URL=f"postgresql://{APP}@127.0.0.1:5432/{DB}",
        REGIE_DATABASE_OWNER_URL=f"postgresql://{OWNER}@127.0.0.1:5432/{DB}",
        REGIE_BROKER_URL="redis://127.0.0.1:6379/13",
        REGIE_LOG_LEVEL="warning",
        REGIE_ENV="development",
        REGIE_AUDIT_KEY_FILE=str(TMP / "key"),
        REGIE_AUDIT_CHECKPOINT_DIR=str(TMP / "checkpoints"),
    )
    out.pop("REGIE_OTLP_ENDPOINT", None)
    return out


def regie(code: Path, *args: str) -> str:
    cmd = [sys.executable, "-m", "regie.cli", *args]
    done = subprocess.run(cmd, cwd=code, env=env(code), capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_database() -> uuid.UUID:
    """Fresh database and roles, migrated by the owner; one tenant, `bench`."""
    shutil.rmtree(TMP, ignore_errors=True)
    TMP.mkdir()
    prepare_database(ADMIN, DB)
    regie(ROOT, "migrate")
    return uuid.UUID(regie(ROOT, "tenant", "create", "bench", "--name", "Bench").split()[0])


def body_of(tenant: uuid.UUID, seq: int, when: datetime) -> dict:
    return {
        "action": "update",
        "actor": {"id": "0192f6a4-0000-7000-8000-00000000a11c", "kind": "api_key"},
        "changes": {
            "name": {"after": f"Mail {seq}", "before": "E-mail"},
            "updated_at": {"after": when.isoformat(), "before": "2026-11-25T19:00:00+00:00"},
            "version": {"after": 2, "before": 1},
        },
        "context": {
            "clientAddress": "10.0.0.1",
            "requestId": "0123456789abcdef0123456789abcdef",
            "traceId": "0" * 32,
            "userAgent": "integration/1.0",
        },
        "entity": {"id": str(uuid.UUID(int=seq)), "type": "services_catalogue_entry"},
        "tenant": str(tenant),
        "time": when.isoformat(),
    }


def load_log(tenant: uuid.UUID, count: int, every: int) -> None:
    """Chained entries and signed checkpoints, written as the superuser with COPY."""
    import psycopg
    from psycopg.types.json import Json

    sys.path.insert(0, str(ROOT))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from audit import signing
    from audit.chain import GENESIS, canonical, entry_digest
    from audit.merkle import CompactRange, leaf_hash

    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    (TMP / "key").write_text(seed.hex())
    key_id = signing.key_id(key.public_key())
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rows, cps, prev, tree = io.StringIO(), [], GENESIS, CompactRange()
    for seq in range(1, count + 1):
        when = start + timedelta(seconds=seq)
        raw = canonical(body_of(tenant, seq, when))
        digest = entry_digest(prev, seq, raw)
        fields = [str(tenant), str(seq), when.isoformat(), "update", "services_catalogue_entry"]
        fields += [str(uuid.UUID(int=seq)), "api_key", "0192f6a4-0000-7000-8000-00000000a11c"]
        text = raw.decode().replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
        rows.write("\t".join([*fields, text, prev, digest.hex()]) + "\n")
        prev = digest.hex()
        tree.append(leaf_hash(digest))
        if seq % every == 0 or seq == count:
            issued = when.isoformat()
            st = signing.CheckpointStatement(str(tenant), seq, tree.root().hex(), prev, issued)
            sig = key.sign(st.message()).hex()
            frontier = Json([h.hex() for h in tree.hashes])
            cps.append((tenant, seq, st.root_hash, prev, when, key_id, sig, frontier))
    columns = (
        "tenant_id, seq, occurred_at, action, entity_type, entity_id, actor_kind, actor_id, "
        "body, prev_hash, entry_hash"
    )
    admin = ADMIN.rsplit("/", 1)[0] + f"/{DB}"
    with psycopg.connect(admin) as conn:
        with conn.cursor().copy(f"COPY audit_entry ({columns}) FROM STDIN") as copy:
            copy.write(rows.getvalue())
        conn.cursor().executemany(
            "INSERT INTO audit_checkpoint (tenant_id, tree_size, root_hash, chain_hash, "
            "issued_at, key_id, signature, frontier) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            cps,
        )
        conn.execute(
            "INSERT INTO audit_head (tenant_id, size, last_hash, retention_days) "
            "VALUES (%s, %s, %s, 2557) ON CONFLICT (tenant_id) DO UPDATE "
            "SET size = EXCLUDED.size, last_hash = EXCLUDED.last_hash",
            (tenant, count, prev),
        )
    psycopg.connect(admin, autocommit=True).execute("VACUUM (ANALYZE) audit_entry").close()


def measure(code: Path, count: int, rounds: int) -> dict:
    """Wall time of the whole command (start-up, reading, verifying) per round."""
    times = []
    for _ in range(rounds):
        began = time.perf_counter()
        out = regie(code, "audit", "verify", "--tenant", "bench")
        times.append(time.perf_counter() - began)
        if f"bench: ok ({count} entries" not in out:
            raise SystemExit(f"verify did not pass: {out}")
    inside = []
    timed = (
        "import time\nfrom audit import admin\nbegan = time.perf_counter()\n"
        "[(t, v)] = admin.verify('bench')\nassert v.ok, v\nprint(time.perf_counter() - began)\n"
    )
    for _ in range(rounds):
        done = subprocess.run(
            [sys.executable, "-c", timed], cwd=code, env=env(code), capture_output=True, text=True
        )
        inside.append(float(done.stdout))
    best, median = min(times), statistics.median(times)
    return {
        "code": str(code),
        "seconds": [round(t, 2) for t in times],
        "verify_seconds_in_process": [round(t, 2) for t in inside],
        "in_process_entries_per_second_best": round(count / min(inside)),
        "entries_per_second_best": round(count / best),
        "entries_per_second_median": round(count / median),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--entries", type=int, default=200_000)
    p.add_argument("--every", type=int, default=10_000, help="a checkpoint every N entries")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--code", type=Path, action="append", help="tree(s) to verify with")
    p.add_argument("--reuse", action="store_true", help="verify the log a previous run built")
    args = p.parse_args()
    began = time.perf_counter()
    if not args.reuse:
        tenant = build_database()
        load_log(tenant, args.entries, args.every)
    report: dict = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {k: str(v) for k, v in vars(args).items()},
        "load_seconds": round(time.perf_counter() - began, 1),
        "loadavg_before": os.getloadavg(),
        "runs": [measure(code, args.entries, args.rounds) for code in args.code or [ROOT]],
        "loadavg_after": os.getloadavg(),
    }
    for run in report["runs"]:
        print(json.dumps(run), flush=True)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"audit-verify-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"load averages {report['loadavg_before']} -> {report['loadavg_after']}")
    print(f"written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
