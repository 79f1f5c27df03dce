"""`regie tenant delete`: at contract end, after a verified export, remove every row of the
tenant and leave a signed deletion certificate, recorded in the supplier's own audit log."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, text

from audit import sequencer
from audit.capture import base_body
from audit.models import AuditHead
from audit.public import sign_document
from core.settings import get_settings
from core.tenancy import TenantKind
from core.types import utcnow
from regie.tenant_exit import manifest
from regie.tenant_exit.export import find_tenant, number_sequence, scoped, set_tenant
from regie.tenant_exit.manifest import ExportRefused
from regie.tenant_exit.tables import tenant_table, tenant_tables

FORMAT = "regie-tenant-deletion/v1"
PURPOSE = "tenant-deletion"
CHECKPOINTS = "audit_checkpoint"


def delete_tenant(
    engine: Engine, slug: str, export: Path, *, by: str, public_key: str | None = None
) -> dict[str, Any]:
    """Delete the tenant once `export` is its verified, current export; the signed certificate."""
    body = manifest.verify(export, public_key)
    with engine.connect() as lookup:
        tenant = find_tenant(lookup, slug)
        supplier = _supplier(lookup, tenant["id"])
    if body["tenant"]["id"] != str(tenant["id"]):
        raise ExportRefused(f"{export} is the export of {body['tenant']['slug']!r}, not {slug!r}")
    with scoped(engine, tenant["id"]) as conn:
        _refuse_if_changed(conn, tenant["id"], export)
        counts = _delete_rows(conn, tenant["id"])
        certificate: dict[str, Any] = {
            "format": FORMAT,
            "tenant": {"id": str(tenant["id"]), "slug": tenant["slug"], "name": tenant["name"]},
            "deletedAt": utcnow().isoformat(),
            "deletedBy": by,
            "export": {
                "manifestSha256": manifest.sha256_file(export / manifest.MANIFEST)[0],
                "exportedAt": body["exportedAt"],
            },
            "deleted": counts,
            "supplierLog": {"tenant": supplier["slug"]},
        }
        set_tenant(conn, supplier["id"])
        entry = base_body(None, action="delete", entity_type="tenant", entity_id=str(tenant["id"]))
        entry["actor"] = {"kind": "operator", "id": by}
        entry["certificate"] = certificate
        certificate["supplierLog"]["seq"] = sequencer.append(conn, supplier["id"], [entry])
    value, key_id = sign_document(PURPOSE, manifest.canonical(certificate))
    return {**certificate, "signature": {"algorithm": "Ed25519", "keyId": key_id, "value": value}}


def remove_files(tenant_id: str) -> None:
    """After the deletion committed: the zips of the tenant's API exports go too."""
    shutil.rmtree(get_settings().export_dir / tenant_id, ignore_errors=True)


def write_certificate(path: Path, certificate: dict[str, Any]) -> str:
    """Write the certificate; its SHA-256."""
    data = (json.dumps(certificate, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _supplier(conn: Connection, tenant_id: uuid.UUID) -> dict[str, Any]:
    table = tenant_table()
    row = (
        conn.execute(
            select(table)
            .where(table.c.kind == TenantKind.supplier, table.c.id != tenant_id)
            .order_by(table.c.slug)
        )
        .mappings()
        .first()
    )
    if row is None:
        raise ExportRefused(
            "no supplier tenant to record the deletion in; create one with "
            "`regie tenant create SLUG --name NAME --supplier`"
        )
    return dict(row)


def _refuse_if_changed(conn: Connection, tenant_id: uuid.UUID, export: Path) -> None:
    """Every write is audited: a log longer than the exported one means rows the export lacks."""
    head = AuditHead.__table__  # type: ignore[attr-defined]
    now = conn.execute(select(head.c.size).where(head.c.tenant_id == tenant_id)).scalar() or 0
    lines = (export / "tables/audit_head.jsonl").read_text().splitlines()
    then = json.loads(lines[0])["size"] if lines else 0
    if now != then:
        raise ExportRefused(
            f"the tenant changed since {export} was made (audit log at {now}, export at "
            f"{then}); export it again"
        )


def _delete_rows(conn: Connection, tenant_id: uuid.UUID) -> dict[str, int]:
    """Children before parents. On PostgreSQL the log's append-only guards let these deletes
    through for this transaction only: entries under the flag the guard honours (as
    retention's), checkpoints by lifting their trigger last, so its table lock is held only
    for the transaction's final moments."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SELECT set_config('regie.audit_prune', 'on', true)"))
    counts = {}
    last = [t for t in reversed(tenant_tables()) if t.name == CHECKPOINTS]
    for table in [t for t in reversed(tenant_tables()) if t.name != CHECKPOINTS] + last:
        if postgres and table.name == CHECKPOINTS:
            conn.execute(
                text(f"ALTER TABLE {CHECKPOINTS} DISABLE TRIGGER {CHECKPOINTS}_append_only")
            )
        counts[table.name] = conn.execute(
            delete(table).where(table.c.tenant_id == tenant_id)
        ).rowcount
        if postgres and table.name == CHECKPOINTS:
            conn.execute(
                text(f"ALTER TABLE {CHECKPOINTS} ENABLE TRIGGER {CHECKPOINTS}_append_only")
            )
    if postgres:
        conn.execute(text("SELECT set_config('regie.audit_prune', 'off', true)"))
        conn.execute(text(f"DROP SEQUENCE IF EXISTS {number_sequence(tenant_id)}"))
    table = tenant_table()
    counts[table.name] = conn.execute(delete(table).where(table.c.id == tenant_id)).rowcount
    return dict(sorted(counts.items()))
