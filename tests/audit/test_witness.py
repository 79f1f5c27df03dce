"""A client's witness copy of its signed checkpoints: downloaded from the API, kept outside
Regie, it exposes a log cut back below a size it holds even when every copy inside the
installation (database and checkpoint file) was rewritten with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Connection, text

from audit import checkpoints
from audit.service import verify_tenant
from core.db import unit_of_work
from tests.audit.helpers import auditor_token, create_services, entries, sign_now, tampering
from tests.conftest import TMP
from tests.factories import auth, make_tenant, make_token
from tests.fixtures import ROOT, regie_env


def _download(client, tenant) -> tuple[str, Path]:
    token = auditor_token(tenant)
    create_services(client, token, 4)
    sign_now(client, token)
    r = client.get("/api/v1/audit/witness", headers=auth(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/jsonl")
    path = TMP / f"witness-{tenant.id}.jsonl"
    path.write_bytes(r.content)
    return token, path


def _cut_back(owner_engine, tenant, keep: int) -> None:
    """Truncate the tail, rewind the head, and drop every checkpoint inside Regie."""
    with tampering(owner_engine, tenant.id) as conn:
        key = tenant.id.hex if conn.dialect.name == "sqlite" else str(tenant.id)
        _run(conn, "DELETE FROM audit_entry WHERE tenant_id = :t AND seq > :k", key, keep)
        _run(conn, "DELETE FROM audit_checkpoint WHERE tenant_id = :t", key, keep)
        _run(conn, "UPDATE audit_head SET size = :k WHERE tenant_id = :t", key, keep)
        last = conn.execute(
            text("SELECT entry_hash FROM audit_entry WHERE tenant_id = :t AND seq = :k"),
            {"t": key, "k": keep},
        ).scalar_one()
        conn.execute(
            text("UPDATE audit_head SET last_hash = :h WHERE tenant_id = :t"), {"h": last, "t": key}
        )
    checkpoints.file_path(tenant.id).write_text("")


def _run(conn: Connection, sql: str, key: str, keep: int) -> None:
    conn.execute(text(sql), {"t": key, "k": keep})


def _cli(slug: str, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "regie.cli", "audit", "verify", "--tenant", slug, *extra]
    return subprocess.run(
        cmd, cwd=ROOT, env=regie_env(), capture_output=True, text=True, timeout=60
    )


def test_a_truncation_below_a_witnessed_size_fails_against_the_clients_copy(
    client, owner_engine
) -> None:
    tenant = make_tenant()
    _token, witness = _download(client, tenant)
    size = json.loads(witness.read_text().splitlines()[-1])["treeSize"]
    _cut_back(owner_engine, tenant, keep=3)
    with unit_of_work(tenant.id, read_only=True) as session:
        assert verify_tenant(session, tenant.id).ok  # nothing inside Regie shows the cut
    assert len(entries(tenant.id)) == 3 < size
    done = _cli(tenant.slug, "--witness", str(witness))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAILED at sequence number 4" in done.stdout


def test_an_intact_log_verifies_against_the_witness_and_a_forged_line_does_not(client) -> None:
    tenant = make_tenant()
    _token, witness = _download(client, tenant)
    ok = _cli(tenant.slug, "--witness", str(witness))
    assert ok.returncode == 0 and f"{tenant.slug}: ok" in ok.stdout, ok.stdout + ok.stderr
    line = json.loads(witness.read_text().splitlines()[-1])
    witness.write_text(json.dumps({**line, "signature": "00" * 64}) + "\n")
    bad = _cli(tenant.slug, "--witness", str(witness))
    assert bad.returncode == 1 and "witness" in bad.stdout and "signature" in bad.stdout


def test_a_file_that_is_no_witness_is_refused_with_one_line(client) -> None:
    tenant = make_tenant()
    path = TMP / "not-a-witness.jsonl"
    path.write_text("hello\n")
    done = _cli(tenant.slug, "--witness", str(path))
    assert done.returncode == 1 and "not a file of signed checkpoints" in done.stderr


def test_the_witness_needs_its_own_permission(client) -> None:
    tenant = make_tenant()
    reader = make_token(tenant, ["audit.log:read"])
    r = client.get("/api/v1/audit/witness", headers=auth(reader))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
