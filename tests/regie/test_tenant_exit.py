"""A tenant's exit round trip: exported whole, refused when damaged, restored in a fresh
installation with every record, the same KPI answers and a log that still verifies; deleted
at contract end with a signed certificate and nothing left behind."""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from odf.opendocument import load as load_ods
from odf.table import Table as OdsTable
from sqlalchemy import Engine, func, select, text
from typer.testing import CliRunner

from audit.checkpoints import file_path
from audit.offline import verify_export
from audit.public import verify_document
from core.db import get_engine, make_engine, metadata
from core.identity import access
from core.settings import get_settings
from core.types import utcnow
from regie import migrate
from regie.cli import app as cli
from regie.tenant_exit import manifest
from regie.tenant_exit.export import scoped
from regie.tenant_exit.tables import tables_in_database, tenant_tables
from services.kpi import permissions as kpi
from services.kpi import service as kpi_service
from tests.conftest import OWNER_ROLE, TEST_DB, TEST_PG, TMP
from tests.factories import auth, make_token
from tests.services.kpi_month import VIEWER, build_november, nov, rewrite, status
from tickets.conversation.models import Attachment, AttachmentContent

MONTHS = ["2026-09", "2026-10", "2026-11", "2026-12"]
CLOSED = ["2026-10", "2026-11"]
_fresh = itertools.count(1)


def run(*args: str) -> Any:
    result = CliRunner().invoke(cli, list(args))
    return result


def seed_months(desk: Any) -> None:
    """October and November of activity: history, replies, an attachment, both months closed."""
    build_november(desk)
    october = [desk.report() for _ in range(3)]
    for i, ticket in enumerate(october):
        rewrite(desk, ticket, nov(5 + i, 9, mo=10), [
            status(nov(5 + i, 9, 30, mo=10), "new", "in-progress"),
            status(nov(5 + i, 11, mo=10), "in-progress", "resolved"),
        ])  # fmt: skip
        r = desk.client.post(
            f"/api/v1/tickets/{ticket['id']}/messages",
            headers=auth(desk.agent),
            json={"body": f"Fixed, see note {i} — ok"},
        )
        assert r.status_code == 201, r.text
    _attach(desk, october[0])
    closer = make_token(desk.tenant, [kpi.READ, kpi.CLOSE])
    for month in CLOSED:
        r = desk.client.post(
            "/api/v1/kpis/closed-months", headers=auth(closer), json={"month": month}
        )
        assert r.status_code == 201, r.text
    assert run("audit", "checkpoint", "--tenant", desk.tenant.slug).exit_code == 0


def _attach(desk: Any, ticket: dict[str, Any]) -> None:
    from core.db import unit_of_work

    data = b"%PDF-1.4 a screenshot\x00\x01\xff"
    with unit_of_work(desk.tenant.id) as session:
        meta = Attachment(
            ticket_id=uuid.UUID(ticket["id"]),
            visibility="public",
            file_name="screen.pdf",
            content_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by="test:agent",
            uploaded_by_name="Agent",
        )
        session.add(meta)
        session.flush()
        session.add(AttachmentContent(attachment_id=meta.id, data=data))


def kpi_bodies(client: Any, token: str) -> dict[str, bytes]:
    out = {}
    for month in MONTHS:
        r = client.get("/api/v1/kpis", params={"period": month}, headers=auth(token))
        assert r.status_code == 200, r.text
        out[month] = r.content
        closed = client.get(f"/api/v1/kpis/closed-months/{month}", headers=auth(token))
        out[f"closed {month}"] = closed.content if closed.status_code == 200 else b""
    return out


def count_rows(engine: Engine, tenant_id: uuid.UUID) -> dict[str, int]:
    """Rows of the tenant in every table of the database that has a tenant_id."""
    names = sorted(tables_in_database(engine))
    with scoped(engine, tenant_id) as conn:
        counts = {
            name: conn.execute(
                text(f"SELECT count(*) FROM {name} WHERE tenant_id = :t"),
                {"t": tenant_id if conn.dialect.name == "postgresql" else tenant_id.hex},
            ).scalar_one()
            for name in names
        }
        tenants = metadata.tables["core_tenant"]
        counts["core_tenant"] = conn.execute(
            select(func.count()).select_from(tenants).where(tenants.c.id == tenant_id)
        ).scalar_one()
    return counts


@pytest.fixture
def fresh(monkeypatch) -> Iterator[Engine]:
    """A second, empty installation (its own database, the same audit key); the settings
    point at it until the test ends."""
    name = f"{TEST_DB}_fresh{next(_fresh)}"
    if TEST_PG:
        admin = _admin()
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name} OWNER {OWNER_ROLE}"))
        owner_url = get_settings().owner_url.rsplit("/", 1)[0] + f"/{name}"
        app_url = get_settings().database_url.rsplit("/", 1)[0] + f"/{name}"
    else:
        owner_url = app_url = f"sqlite:///{TMP}/{name}.db"
    monkeypatch.setenv("REGIE_DATABASE_URL", app_url)
    if TEST_PG:
        monkeypatch.setenv("REGIE_DATABASE_OWNER_URL", owner_url)
    _switch()
    migrate.upgrade(get_settings())
    engine = make_engine(owner_url)
    yield engine
    engine.dispose()
    get_engine().dispose()
    monkeypatch.undo()
    _switch()
    if TEST_PG:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def _admin() -> Engine:
    return make_engine(str(TEST_PG), isolation_level="AUTOCOMMIT", pool_size=1)


def _switch() -> None:
    get_settings.cache_clear()
    get_engine.cache_clear()
    access._tenants.clear()


def test_every_table_with_a_tenant_id_is_covered(owner_engine) -> None:
    covered = {t.name for t in tenant_tables()}
    missing = tables_in_database(owner_engine) - covered
    assert not missing, f"tables with tenant_id the exit does not cover: {sorted(missing)}"
    assert "tickets_ticket" in covered and "audit_entry" in covered


def test_export_writes_every_record_with_a_signed_manifest(
    client, desk, other, tmp_path, owner_engine
) -> None:
    seed_months(desk)
    other.report()
    out = tmp_path / "export"
    r = run("tenant", "export", desk.tenant.slug, "--out", str(out))
    assert r.exit_code == 0, r.output
    body = {**manifest.verify(out), **json.loads((out / manifest.MANIFEST).read_text())}
    database = count_rows(owner_engine, desk.tenant.id)
    assert body["tables"] == {n: c for n, c in database.items() if n in body["tables"]}
    assert body["tables"]["tickets_ticket"] == 11 and body["tables"]["tickets_message"] == 3
    assert body["tables"]["services_kpi_closed_month"] == 2
    for name, rows in body["tables"].items():
        lines = (out / f"tables/{name}.jsonl").read_text().splitlines()
        assert len(lines) == rows
        assert all(json.loads(line).get("tenant_id", str(desk.tenant.id)) == str(desk.tenant.id)
                   for line in lines)  # fmt: skip
    [content] = [json.loads(x) for x in (out / "tables/tickets_attachment_content.jsonl").open()]
    attached = (out / content["data"]["path"]).read_bytes()
    assert hashlib.sha256(attached).hexdigest() == content["data"]["sha256"]
    assert attached.startswith(b"%PDF-1.4")
    tickets_csv = (out / "registers/tickets.csv").read_text().splitlines()
    assert tickets_csv[0].startswith("id,") and len(tickets_csv) >= 12
    sheets = load_ods(str(out / "registers/registers.ods"))
    names = [t.getAttribute("name") for t in sheets.spreadsheet.getElementsByType(OdsTable)]
    assert names[:2] == ["tickets", "problems"]
    offline = verify_export(out / "audit/log.jsonl", body["signature"]["publicKey"])
    assert offline.ok and offline.entries == body["tables"]["audit_entry"] > 0, offline
    schema = (out / "SCHEMA.md").read_text()
    assert "## tables/tickets_event.jsonl" in schema and "| ticket_id |" in schema
    assert run("tenant", "export", desk.tenant.slug, "--out", str(out)).exit_code == 1


def _damaged(export: Path, tmp: Path, name: str, how: str) -> Path:
    copy = tmp / f"damaged-{how}"
    shutil.copytree(export, copy)
    target = copy / name
    data = target.read_bytes()
    if how == "corrupt":
        target.write_bytes(data.replace(b'"', b"'", 1))
    else:
        target.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 1])
    return copy


def test_round_trip_into_a_fresh_installation(client, desk, tmp_path, request, monkeypatch) -> None:
    seed_months(desk)
    viewer = make_token(desk.tenant, VIEWER)
    # The running month's backlog is as old as it is when read: both reads at one moment.
    moment = utcnow()
    monkeypatch.setattr(kpi_service, "utcnow", lambda: moment)
    before = kpi_bodies(client, viewer)
    witness = tmp_path / "checkpoints.jsonl"
    shutil.copy(file_path(desk.tenant.id), witness)
    export = tmp_path / "export"
    assert run("tenant", "export", desk.tenant.slug, "--out", str(export)).exit_code == 0
    source = manifest.verify(export)
    broken = [
        _damaged(export, tmp_path, "tables/tickets_event.jsonl", "corrupt"),
        _damaged(export, tmp_path, "tables/tickets_message.jsonl", "truncate"),
    ]

    fresh = request.getfixturevalue("fresh")
    for damaged, name in zip(broken, ["tickets_event", "tickets_message"], strict=True):
        r = run("tenant", "import", str(damaged))
        assert r.exit_code == 1 and f"tables/{name}.jsonl" in r.output, r.output
        assert sum(count_rows(fresh, desk.tenant.id).values()) == 0
    r = run("tenant", "import", str(export))
    assert r.exit_code == 0, r.output
    assert run("tenant", "import", str(export)).exit_code == 1  # the tenant exists now

    assert count_rows(fresh, desk.tenant.id) == {
        n: source["tables"].get(n, 0) for n in count_rows(fresh, desk.tenant.id)
    }
    again = tmp_path / "again"
    assert run("tenant", "export", desk.tenant.slug, "--out", str(again)).exit_code == 0
    restored = manifest.verify(again)
    for path, entry in source["files"].items():
        if path.startswith(("tables/", "files/")):
            assert restored["files"][path]["sha256"] == entry["sha256"], path
    after = kpi_bodies(client, viewer)  # the same API key: it was exported too
    for month in MONTHS:
        assert after[month] == before[month], month
        assert after[f"closed {month}"] == before[f"closed {month}"], month
    assert all(before[f"closed {m}"] for m in CLOSED)
    verified = run("audit", "verify", "--tenant", desk.tenant.slug)
    assert verified.exit_code == 0 and ": ok (" in verified.output, verified.output
    witnessed = run("audit", "verify", "--tenant", desk.tenant.slug, "--witness", str(witness))
    assert witnessed.exit_code == 0, witnessed.output
    numbers = {json.loads(x)["number"] for x in (export / "tables/tickets_ticket.jsonl").open()}
    assert desk.report()["number"] not in numbers  # numbering continues where it stood


def test_an_export_of_another_key_is_refused(client, desk, tmp_path) -> None:
    desk.report()
    export = tmp_path / "export"
    assert run("tenant", "export", desk.tenant.slug, "--out", str(export)).exit_code == 0
    signed = json.loads((export / manifest.MANIFEST).read_text())
    signed["tenant"]["name"] = "Someone else"
    (export / manifest.MANIFEST).write_text(json.dumps(signed))
    r = run("tenant", "import", str(export))
    assert r.exit_code == 1 and "manifest.json: signature" in r.output


def test_delete_leaves_nothing_and_a_signed_certificate(
    client, desk, other, tmp_path, owner_engine, monkeypatch
) -> None:
    monkeypatch.setattr(get_settings(), "export_dir", tmp_path / "exports")
    seed_months(desk)
    other.report()
    assert (
        run("tenant", "create", "the-supplier", "--name", "Supplier", "--supplier").exit_code == 0
    )
    export, theirs = tmp_path / "export", tmp_path / "theirs"
    assert run("tenant", "export", desk.tenant.slug, "--out", str(export)).exit_code == 0
    assert run("tenant", "export", other.tenant.slug, "--out", str(theirs)).exit_code == 0
    untouched = count_rows(owner_engine, other.tenant.id)
    had = count_rows(owner_engine, desk.tenant.id)

    wrong = run("tenant", "delete", desk.tenant.slug, "--export", str(theirs), "--by", "x")
    assert wrong.exit_code == 1 and "not" in wrong.output
    missing = run("tenant", "delete", desk.tenant.slug, "--export", str(tmp_path), "--by", "x")
    assert missing.exit_code == 1 and "manifest.json" in missing.output
    zips = get_settings().export_dir / str(desk.tenant.id)
    zips.mkdir(parents=True)
    (zips / "an-api-export.zip").write_bytes(b"PK")
    r = run(
        "tenant", "delete", desk.tenant.slug, "--export", str(export), "--by", "J. Jansen, CISO"
    )
    assert r.exit_code == 0, r.output

    assert not zips.exists()
    left = count_rows(owner_engine, desk.tenant.id)
    assert set(left) >= tables_in_database(owner_engine) and not any(left.values()), left
    assert count_rows(owner_engine, other.tenant.id) == untouched
    certificate = json.loads((export / "deletion-certificate.json").read_text())
    signature = certificate.pop("signature")
    assert verify_document("tenant-deletion", manifest.canonical(certificate), signature["value"])
    assert certificate["deletedBy"] == "J. Jansen, CISO"
    assert certificate["deleted"] == {n: c for n, c in had.items() if n in certificate["deleted"]}
    digest = hashlib.sha256((export / manifest.MANIFEST).read_bytes()).hexdigest()
    assert certificate["export"]["manifestSha256"] == digest
    log = run("audit", "verify", "--tenant", "the-supplier")
    assert log.exit_code == 0 and "(1 entries" in log.output, log.output
    again = run("tenant", "delete", desk.tenant.slug, "--export", str(export), "--by", "x")
    assert again.exit_code == 1


def test_delete_refuses_when_the_tenant_changed_since_its_export(
    client, desk, tmp_path, owner_engine
) -> None:
    desk.report()
    assert (
        run("tenant", "create", "the-supplier", "--name", "Supplier", "--supplier").exit_code == 0
    )
    export = tmp_path / "export"
    assert run("tenant", "export", desk.tenant.slug, "--out", str(export)).exit_code == 0
    desk.report()
    r = run("tenant", "delete", desk.tenant.slug, "--export", str(export), "--by", "x")
    assert r.exit_code == 1 and "changed since" in r.output, r.output
    assert count_rows(owner_engine, desk.tenant.id)["tickets_ticket"] == 2
