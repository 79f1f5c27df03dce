"""Tampering directly in the database, as the table owner with the triggers off, is caught:
`regie audit verify` names the first bad sequence number."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, text
from sqlmodel import select

from audit import checkpoints
from audit.service import verify_tenant
from audit.verify import Verdict
from core.db import unit_of_work
from core.tenancy import Tenant
from tests.audit.helpers import entries, tampering
from tests.factories import make_entries, make_tenant
from tests.fixtures import ROOT, regie_env


def _log(count: int = 6) -> uuid.UUID:
    """A tenant with `count` entries, all covered by a signed checkpoint."""
    tenant = make_tenant()
    for i in range(count):
        make_entries(tenant, 1, prefix=f"T{i}-")
    _checkpoint(tenant.id)
    return tenant.id


def _checkpoint(t: uuid.UUID) -> None:
    with unit_of_work(t) as session:
        checkpoints.make_checkpoint(session, t)


def _tamper(owner_engine, t: uuid.UUID, how: Callable[[Connection, str], int]) -> int:
    with tampering(owner_engine, t) as conn:
        # Raw SQL sees the column as stored: hex on SQLite, uuid on PostgreSQL.
        return how(conn, t.hex if conn.dialect.name == "sqlite" else str(t))


def _verify(tenant_id: uuid.UUID) -> Verdict:
    with unit_of_work(tenant_id, read_only=True) as session:
        return verify_tenant(session, tenant_id)


def _change_body(conn: Connection, t: str) -> int:
    row = conn.execute(
        text("SELECT body FROM audit_entry WHERE tenant_id = :t AND seq = 3"), {"t": t}
    ).one()
    forged = row.body.replace('"create"', '"update"')
    conn.execute(
        text("UPDATE audit_entry SET body = :b WHERE tenant_id = :t AND seq = 3"),
        {"b": forged, "t": t},
    )
    return 3


def _body_no_json(conn: Connection, t: str) -> int:
    # PostgreSQL cannot parse it to compare the columns: verification must still name it.
    conn.execute(
        text("UPDATE audit_entry SET body = '{not json' WHERE tenant_id = :t AND seq = 3"), {"t": t}
    )
    return 3


def _change_column(conn: Connection, t: str) -> int:
    conn.execute(
        text("UPDATE audit_entry SET actor_id = 'someone-else' WHERE tenant_id = :t AND seq = 4"),
        {"t": t},
    )
    return 4


def _delete_row(conn: Connection, t: str) -> int:
    conn.execute(text("DELETE FROM audit_entry WHERE tenant_id = :t AND seq = 2"), {"t": t})
    return 2


def _insert_row(conn: Connection, t: str) -> int:
    # Make room after entry 2 and slip a forged entry in, correctly chained to entry 2.
    from audit.chain import canonical, entry_digest

    for seq in range(6, 2, -1):
        conn.execute(
            text("UPDATE audit_entry SET seq = :n WHERE tenant_id = :t AND seq = :s"),
            {"n": seq + 1, "s": seq, "t": t},
        )
    prev = conn.execute(
        text("SELECT entry_hash FROM audit_entry WHERE tenant_id = :t AND seq = 2"), {"t": t}
    ).scalar_one()
    body = canonical(
        {
            "action": "create",
            "actor": {"id": "x", "kind": "system"},
            "entity": {"id": "x", "type": "x"},
            "time": "2026-01-01T00:00:00+00:00",
            "tenant": str(t),
            "changes": {},
        }
    )
    digest = entry_digest(prev, 3, body).hex()
    conn.execute(
        text(
            "INSERT INTO audit_entry (tenant_id, seq, occurred_at, action, entity_type, "
            "entity_id, actor_kind, actor_id, body, prev_hash, entry_hash) VALUES "
            "(:t, 3, '2026-01-01', 'create', 'x', 'x', 'system', 'x', :b, :p, :h)"
        ),
        {"t": t, "b": body.decode(), "p": prev, "h": digest},
    )
    return 4


def _swap_rows(conn: Connection, t: str) -> int:
    for a, b in ((2, -1), (3, 2), (-1, 3)):
        conn.execute(
            text("UPDATE audit_entry SET seq = :b WHERE tenant_id = :t AND seq = :a"),
            {"a": a, "b": b, "t": t},
        )
    return 2


def _truncate_tail(conn: Connection, t: str) -> int:
    conn.execute(text("DELETE FROM audit_entry WHERE tenant_id = :t AND seq > 4"), {"t": t})
    conn.execute(text("UPDATE audit_head SET size = 4 WHERE tenant_id = :t"), {"t": t})
    return 5


TAMPERS: dict[str, Callable[[Connection, str], int]] = {
    "change a field in the hashed body": _change_body,
    "make a body no JSON at all": _body_no_json,
    "change a filter column": _change_column,
    "delete a row": _delete_row,
    "insert a row": _insert_row,
    "swap two rows": _swap_rows,
    "truncate the tail (head adjusted too)": _truncate_tail,
}


def test_an_untouched_log_verifies() -> None:
    t = _log()
    verdict = _verify(t)
    assert verdict.ok, verdict.reason
    assert verdict.entries == len(entries(t)) and verdict.checkpoints == 1


@pytest.mark.parametrize("how", list(TAMPERS))
def test_tampering_is_detected_at_the_first_bad_sequence_number(owner_engine, how) -> None:
    t = _log()
    first_bad = _tamper(owner_engine, t, TAMPERS[how])
    verdict = _verify(t)
    assert not verdict.ok
    assert verdict.first_bad_seq is not None and verdict.first_bad_seq <= first_bad, verdict


def test_rewriting_log_and_checkpoints_in_the_database_is_caught_by_the_file(owner_engine) -> None:
    t = _log()

    def rewrite(conn: Connection, key: str) -> int:
        conn.execute(text("DELETE FROM audit_checkpoint WHERE tenant_id = :t"), {"t": key})
        return _truncate_tail(conn, key)

    _tamper(owner_engine, t, rewrite)
    verdict = _verify(t)
    assert not verdict.ok and verdict.first_bad_seq == 5


def test_a_forged_checkpoint_signature_is_caught(owner_engine) -> None:
    t = _log()

    def forge(conn: Connection, key: str) -> int:
        stmt = text("UPDATE audit_checkpoint SET signature = :s WHERE tenant_id = :t")
        conn.execute(stmt, {"s": "00" * 64, "t": key})
        return 0

    _tamper(owner_engine, t, forge)
    path = checkpoints.file_path(t)
    path.write_text("")  # the outside copy is gone too: only the signature is left to check
    verdict = _verify(t)
    assert not verdict.ok and "signature" in verdict.reason


def test_no_checkpoint_is_signed_over_a_tampered_log(owner_engine) -> None:
    tenant = make_tenant()
    make_entries(tenant, 3)
    _tamper(owner_engine, tenant.id, _change_body)
    with pytest.raises(checkpoints.LogBroken), unit_of_work(tenant.id) as session:
        checkpoints.make_checkpoint(session, tenant.id)


def test_cli_verify_names_the_first_bad_sequence_number(owner_engine) -> None:
    t = _log()
    with unit_of_work(None, read_only=True) as session:
        slug = session.exec(select(Tenant.slug).where(Tenant.id == t)).one()
    cmd = [sys.executable, "-m", "regie.cli", "audit", "verify", "--tenant", slug]
    ok = subprocess.run(cmd, cwd=ROOT, env=regie_env(), capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0 and f"{slug}: ok" in ok.stdout, ok.stderr
    _tamper(owner_engine, t, _delete_row)
    bad = subprocess.run(cmd, cwd=ROOT, env=regie_env(), capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "FAILED at sequence number 2" in bad.stdout


def test_a_file_line_with_a_broken_signature_is_caught_while_the_database_agrees() -> None:
    t = _log()
    path = checkpoints.file_path(t)
    line = json.loads(path.read_text())
    path.write_text(json.dumps({**line, "signature": "00" * 64}) + "\n")
    verdict = _verify(t)
    assert not verdict.ok and "signature" in verdict.reason, verdict


def test_an_entry_changed_with_its_hash_recomputed_is_named_itself(owner_engine) -> None:
    t = _log()

    def rehash(conn: Connection, key: str) -> int:
        from audit.chain import entry_digest

        row = conn.execute(
            text("SELECT body, prev_hash FROM audit_entry WHERE tenant_id = :t AND seq = 3"),
            {"t": key},
        ).one()
        forged = row.body.replace('"create"', '"update"')
        digest = entry_digest(row.prev_hash, 3, forged.encode()).hex()
        conn.execute(
            text(
                "UPDATE audit_entry SET body = :b, entry_hash = :h WHERE tenant_id = :t AND seq = 3"
            ),
            {"b": forged, "h": digest, "t": key},
        )
        return 3

    _tamper(owner_engine, t, rehash)
    verdict = _verify(t)
    assert not verdict.ok and verdict.first_bad_seq == 3, verdict


# Bodies the fast reader of the filter fields cannot take, or could read differently from a
# full JSON parse: duplicate keys (the last counts), NaN, a lone surrogate, a number where a
# string belongs, a missing field, no object at all.
_FIELDS = {
    "actor": {"id": "a", "kind": "user"},
    "entity": {"id": "e", "type": "t"},
    "tenant": "T",
    "time": "2026-12-01T10:00:00+00:00",
}
_STORED = ("update", "t", "e", "user", "a")
_AN_HOUR_EAST = "2026-12-01T11:00:00+01:00"  # the same moment as _FIELDS["time"]


@pytest.mark.parametrize(
    ("body", "agrees"),
    [
        ('{"action":"delete","action":"update",' + json.dumps(_FIELDS)[1:], True),
        ('{"action":"update","action":"delete",' + json.dumps(_FIELDS)[1:], False),
        ('{"action":"update","x":NaN,' + json.dumps(_FIELDS)[1:], True),
        ('{"action":"update","x":"\\ud800",' + json.dumps(_FIELDS)[1:], True),
        ('{"action":"\\ud800",' + json.dumps(_FIELDS)[1:], False),
        ('{"action":1,' + json.dumps(_FIELDS)[1:], False),
        (json.dumps(_FIELDS), False),
        ('["update"]', False),
        ('{"action":"update",' + json.dumps({**_FIELDS, "time": "yesterday"})[1:], False),
        ('{"action":"update",' + json.dumps({**_FIELDS, "time": _AN_HOUR_EAST})[1:], True),
    ],
)
def test_the_column_check_reads_every_body_as_a_full_json_parse_does(body, agrees) -> None:
    from datetime import UTC, datetime

    from audit.service import _columns_agree

    occurred = datetime(2026, 12, 1, 10, tzinfo=UTC)
    row = (1, "", "", body.encode(), occurred, *_STORED)
    assert _columns_agree(row, "T") is agrees


def test_a_log_of_non_ascii_text_verifies_from_its_stored_bytes() -> None:
    tenant = make_tenant()
    make_entries(tenant, 3, prefix='Ünïcode ✓ 😀 \\ " \t-')
    _checkpoint(tenant.id)
    verdict = _verify(tenant.id)
    assert verdict.ok and verdict.entries == len(entries(tenant.id)), verdict.reason
