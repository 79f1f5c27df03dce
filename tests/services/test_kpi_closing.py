"""Closing a month: its figures frozen as a snapshot that the worker signs with the audit
key, served byte for byte afterwards whatever changes, verifiable by an outsider, and
compared with now."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, text, update
from typer.testing import CliRunner

from core.db import unit_of_work
from core.identity.roles import ROLE_PERMISSIONS, Role
from regie.cli import app as cli
from services.kpi import permissions as kpi
from services.kpi import public as kpi_public
from services.kpi.models import ClosedMonth
from services.reports import data as report_data
from services.sla import permissions as sla_permissions
from services.sla.models import Agreement, Clock
from services.sla.service import today
from tests.audit.helpers import records
from tests.conftest import TEST_PG
from tests.factories import auth, make_token
from tests.services.kpi_month import (
    MANAGER,
    OWNER,
    VIEWER,
    build_november,
    nov,
    rewrite,
    sign_closed_months,
    status,
)

URL = "/api/v1/kpis/closed-months"
CLOSER = [kpi.READ, kpi.CLOSE]


def _close(client, desk, month: str = "2026-11", token: str | None = None, **headers: str):
    token = token or make_token(desk.tenant, CLOSER)
    return client.post(URL, headers=auth(token, **headers), json={"month": month})


def _close_and_sign(client, desk, month: str = "2026-11") -> dict:
    """Close the month, let the worker sign it, and read it back signed."""
    assert _close(client, desk, month).status_code == 201
    assert sign_closed_months(desk.tenant.id) >= 1
    r = client.get(f"{URL}/{month}", headers=auth(make_token(desk.tenant, VIEWER)))
    assert r.status_code == 200 and r.json()["signatureState"] == "valid", r.text
    return r.json()


def _figures(client, token: str, period: str = "2026-11"):
    r = client.get("/api/v1/kpis", params={"period": period}, headers=auth(token))
    assert r.status_code == 200, r.text
    return r


def _compare(client, token: str) -> dict:
    r = client.get(f"{URL}/2026-11/comparison", headers=auth(token))
    assert r.status_code == 200, r.text
    return r.json()


@contextmanager
def as_owner(owner_engine: Engine, tenant_id: uuid.UUID) -> Iterator[Connection]:
    """The table owner's connection in the tenant's scope: what full database access allows."""
    with owner_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(
                text("SELECT set_config('regie.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
        yield conn


def test_the_service_level_manager_closes(app) -> None:
    assert kpi.CLOSE in ROLE_PERMISSIONS[Role.service_level_manager]
    assert kpi.CLOSE not in ROLE_PERMISSIONS[Role.kpi_viewer]
    assert kpi.CLOSE not in ROLE_PERMISSIONS[Role.service_owner]


def test_closing_freezes_the_figures_byte_for_byte(client, desk) -> None:
    build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    before = _figures(client, viewer)
    assert before.headers["Regie-Closed-Month"] == "false"
    r = _close(client, desk)
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == f"{URL}/2026-11"
    snapshot = r.json()
    assert snapshot["month"] == "2026-11" and snapshot["figures"] == before.json()
    assert len(snapshot["evidenceHash"]) == 64
    # Frozen in the request, signed by the worker just after.
    assert snapshot["signatureState"] == "pending" and snapshot["signatureValid"] is None
    assert snapshot["signature"] is None and snapshot["keyId"] is None
    assert snapshot["agreementId"] is None and snapshot["agreementNumber"] is None  # default
    after = _figures(client, viewer)
    assert after.content == before.content
    assert after.headers["Regie-Closed-Month"] == "true"
    # Quarters and years stay computed from the rows, and say so.
    assert _figures(client, viewer, "2026-Q4").headers["Regie-Closed-Month"] == "false"
    got = client.get(f"{URL}/2026-11", headers=auth(viewer))
    assert got.status_code == 200 and got.json() == snapshot
    assert sign_closed_months(desk.tenant.id) >= 1
    signed = client.get(f"{URL}/2026-11", headers=auth(viewer)).json()
    assert signed["signatureState"] == "valid" and signed["signatureValid"] is True
    assert len(signed["signature"]) == 128 and signed["keyId"]
    unsigned = ("signature", "keyId", "signatureState", "signatureValid")
    assert {k: v for k, v in signed.items() if k not in unsigned} == {
        k: v for k, v in snapshot.items() if k not in unsigned
    }
    assert _figures(client, viewer).content == before.content
    comparison = _compare(client, viewer)
    assert comparison["figuresEqual"] and comparison["evidenceEqual"]
    assert comparison["signatureValid"] and comparison["differences"] == []
    assert comparison["signatureState"] == "valid"


def test_an_outsider_verifies_the_signature_with_the_published_key(client, desk) -> None:
    build_november(desk)
    snapshot = _close_and_sign(client, desk)
    key = client.get("/api/v1/audit/public-key").json()
    assert key["algorithm"] == "Ed25519" and key["keyId"] == snapshot["keyId"]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["publicKey"]))
    signed = {k: snapshot[k] for k in ("evidenceHash", "figures", "month", "tenantId")}
    assert snapshot["tenantId"] == str(desk.tenant.id)
    payload = json.dumps(signed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = b"regie-kpi-month/v1\n" + payload.encode()
    public.verify(bytes.fromhex(snapshot["signature"]), message)  # raises when it fails
    forged = {**signed, "figures": {**signed["figures"], "period": "2026-10"}}
    other = json.dumps(forged, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    with pytest.raises(InvalidSignature):
        public.verify(
            bytes.fromhex(snapshot["signature"]), b"regie-kpi-month/v1\n" + other.encode()
        )


def test_a_month_closes_once_and_a_retry_replays(client, desk) -> None:
    build_november(desk)
    closer = make_token(desk.tenant, CLOSER)
    first = _close(client, desk, token=closer, **{"Idempotency-Key": "close-nov"})
    again = _close(client, desk, token=closer, **{"Idempotency-Key": "close-nov"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    twice = _close(client, desk)
    assert twice.status_code == 409
    assert twice.headers["content-type"] == "application/problem+json"
    assert twice.json()["type"].endswith("/month-already-closed")
    viewer = make_token(desk.tenant, VIEWER)
    assert [m["month"] for m in client.get(URL, headers=auth(viewer)).json()["items"]] == [
        "2026-11"
    ]


def test_a_pending_exclusion_blocks_closing_and_is_listed(client, desk) -> None:
    month = build_november(desk)
    body = {"month": "2026-11", "subjectKind": "ticket", "subjectId": month.id("G")}
    manager = make_token(desk.tenant, MANAGER)
    proposed = client.post(
        "/api/v1/kpis/exclusions", headers=auth(manager), json={**body, "reason": "Network"}
    )
    assert proposed.status_code == 201, proposed.text
    r = _close(client, desk)
    assert r.status_code == 409
    assert r.json()["pendingExclusions"] == [proposed.json()["id"]]
    viewer = make_token(desk.tenant, VIEWER)
    assert client.get(f"{URL}/2026-11", headers=auth(viewer)).status_code == 404
    decided = client.post(
        f"/api/v1/kpis/exclusions/{proposed.json()['id']}/decisions",
        headers=auth(make_token(desk.tenant, OWNER), **{"If-Match": proposed.headers["ETag"]}),
        json={"decision": "accepted", "reason": "Agreed"},
    )
    assert decided.status_code == 200, decided.text
    closed = _close(client, desk)
    assert closed.status_code == 201, closed.text
    assert closed.json()["figures"]["response"]["missed"] == 1  # G excluded


def test_only_a_month_that_is_over_closes(client, desk) -> None:
    current = datetime.now(ZoneInfo("Europe/Amsterdam")).date().replace(day=1)
    following = (current + timedelta(days=32)).replace(day=1)
    for month in (current, following):
        r = _close(client, desk, f"{month:%Y-%m}")
        assert r.status_code == 400, r.text
        assert [p["name"] for p in r.json()["invalidParams"]] == ["month"]
    bad = _close(client, desk, "2026-13")
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "month"
    viewer = make_token(desk.tenant, VIEWER)
    assert client.get(URL, headers=auth(viewer)).json()["items"] == []


def test_a_new_agreement_version_never_rewrites_a_closed_month(client, desk, owner_engine) -> None:
    build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    assert _close(client, desk).status_code == 201
    frozen = _figures(client, viewer).content
    manager = make_token(desk.tenant, [sla_permissions.READ, sla_permissions.MANAGE])
    version = {
        "effectiveFrom": (today() + timedelta(days=1)).isoformat(),
        "norms": {"response": 50.0},
    }
    added = client.post("/api/v1/sla/agreements", headers=auth(manager), json=version)
    assert added.status_code == 201, added.text
    # Even moved back into November (the API refuses that), the month stays as closed.
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(Agreement)
            .where(Agreement.tenant_id == desk.tenant.id)  # type: ignore[arg-type]
            .values(effective_from=date(2026, 11, 1))
        )
    assert _figures(client, viewer).content == frozen
    comparison = _compare(client, viewer)
    changed = {d["path"]: (d["closed"], d["recomputed"]) for d in comparison["differences"]}
    assert changed["/response/norm"] == (95.0, 50.0)
    assert changed["/agreement/isDefault"] == (True, False)
    assert comparison["evidenceEqual"] is True and comparison["figuresEqual"] is False
    # The yearly assessment sums the frozen month.
    year = client.get("/api/v1/kpis/assessment", params={"year": 2026}, headers=auth(viewer))
    assert year.json()["months"][10] == json.loads(frozen)


def test_a_later_ticket_change_never_rewrites_a_closed_month(client, desk) -> None:
    month = build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    _close_and_sign(client, desk)
    frozen = _figures(client, viewer).content
    # A, resolved in November, is reopened on 1 December.
    rewrite(
        desk, month.tickets["A"], nov(2, 9), [status(nov(1, 9, mo=12), "resolved", "in-progress")]
    )
    assert _figures(client, viewer).content == frozen
    assert _figures(client, viewer, "2026-Q4").json()["backlog"]["count"] == 4
    comparison = _compare(client, viewer)
    changed = {d["path"]: (d["closed"], d["recomputed"]) for d in comparison["differences"]}
    assert changed["/backlog/count"] == (3, 4)
    assert changed["/reopened/whole"] == (5, 4)
    assert comparison["figuresEqual"] is False and comparison["signatureValid"] is True


def test_the_comparison_lists_what_tampering_changed(client, desk, owner_engine) -> None:
    month = build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    _close_and_sign(client, desk)
    clock = Clock.__table__.c  # type: ignore[attr-defined]
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(Clock.__table__)  # type: ignore[arg-type]
            .where(clock.ticket_id == uuid.UUID(month.id("A")), clock.kind == "response")
            .values(breached_at=nov(2, 9, 20))  # before its response at 09:30
        )
    comparison = _compare(client, viewer)
    changed = {d["path"]: (d["closed"], d["recomputed"]) for d in comparison["differences"]}
    assert changed == {
        "/response/value": (60.0, 40.0),
        "/response/met": (3, 2),
        "/response/missed": (2, 3),
    }
    assert comparison["evidenceEqual"] is False
    assert comparison["recomputedEvidenceHash"] != comparison["evidenceHash"]
    run = CliRunner().invoke(cli, ["sla", "recompute", "--tenant", desk.tenant.slug])
    assert run.exit_code == 0, run.output
    restored = _compare(client, viewer)
    assert restored["figuresEqual"] and restored["evidenceEqual"] and restored["signatureValid"]


def test_a_tampered_snapshot_fails_its_signature(client, desk, owner_engine) -> None:
    build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    snapshot = _close_and_sign(client, desk)
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(ClosedMonth)
            .where(ClosedMonth.tenant_id == desk.tenant.id)  # type: ignore[arg-type]
            .values(evidence_hash="0" * 64)
        )
    got = client.get(f"{URL}/2026-11", headers=auth(viewer)).json()
    assert got["signatureValid"] is False and got["signature"] == snapshot["signature"]
    assert got["signatureState"] == "invalid"
    assert _compare(client, viewer)["signatureValid"] is False
    assert _compare(client, viewer)["signatureState"] == "invalid"


def test_the_application_cannot_change_a_closed_month(client, desk) -> None:
    build_november(desk)
    assert _close(client, desk).status_code == 201
    closer = make_token(desk.tenant, CLOSER)
    assert client.delete(f"{URL}/2026-11", headers=auth(closer)).status_code == 405
    if TEST_PG:  # PostgreSQL: the application role may only insert and read
        from sqlalchemy.exc import ProgrammingError

        with pytest.raises(ProgrammingError), unit_of_work(desk.tenant.id) as session:
            session.execute(update(ClosedMonth).values(closed_by="someone else"))


def test_exclusions_of_a_closed_month_are_refused(client, desk) -> None:
    month = build_november(desk)
    manager = make_token(desk.tenant, MANAGER)
    body = {"month": "2026-11", "subjectKind": "ticket", "subjectId": month.id("G")}
    early = client.post(
        "/api/v1/kpis/exclusions", headers=auth(manager), json={**body, "reason": "Early"}
    )
    assert early.status_code == 201
    # A proposal made while the month was being closed elsewhere.
    with unit_of_work(desk.tenant.id) as session:
        session.add(
            ClosedMonth(
                month=date(2026, 11, 1),
                figures={},
                evidence_hash="0" * 64,
                signature="00",
                key_id="none",
                closed_by="test",
            )
        )
    late = client.post(
        "/api/v1/kpis/exclusions", headers=auth(manager), json={**body, "reason": "Late"}
    )
    assert late.status_code == 409 and late.json()["type"].endswith("/month-closed")
    decided = client.post(
        f"/api/v1/kpis/exclusions/{early.json()['id']}/decisions",
        headers=auth(make_token(desk.tenant, OWNER), **{"If-Match": early.headers["ETag"]}),
        json={"decision": "accepted", "reason": "Agreed"},
    )
    assert decided.status_code == 409
    # Another month stays open for exclusions.
    october = client.post(
        "/api/v1/kpis/exclusions",
        headers=auth(manager),
        json={**body, "month": "2026-10", "reason": "October"},
    )
    assert october.status_code == 201


def test_closing_and_signing_are_audited(client, desk) -> None:
    build_november(desk)
    closer = make_token(desk.tenant, CLOSER)
    snapshot = _close(client, desk, token=closer).json()
    audited = records(desk.tenant.id, "services_kpi_closed_month")
    assert [e["action"] for e in audited] == ["create"]
    assert audited[0]["changes"]["evidence_hash"]["after"] == snapshot["evidenceHash"]
    assert audited[0]["changes"]["signature"]["after"] is None
    assert sign_closed_months(desk.tenant.id) >= 1
    signed = client.get(f"{URL}/2026-11", headers=auth(closer)).json()
    audited = records(desk.tenant.id, "services_kpi_closed_month")
    assert [e["action"] for e in audited] == ["create", "update"]
    signing = audited[1]
    assert set(signing["changes"]) == {"signature", "key_id"}
    assert signing["changes"]["signature"] == {"before": None, "after": signed["signature"]}
    assert signing["actor"]["kind"] == "system"  # the worker, not the person who closed it


def test_the_list_pages_newest_first(client, desk) -> None:
    build_november(desk)
    for month in ("2026-09", "2026-11", "2026-10"):
        assert _close(client, desk, month).status_code == 201
    viewer = make_token(desk.tenant, VIEWER)
    page = client.get(URL, params={"limit": 2}, headers=auth(viewer)).json()
    assert [m["month"] for m in page["items"]] == ["2026-11", "2026-10"]
    rest = client.get(
        URL, params={"limit": 2, "cursor": page["nextCursor"]}, headers=auth(viewer)
    ).json()
    assert [m["month"] for m in rest["items"]] == ["2026-09"] and rest["nextCursor"] is None
    assert client.get(URL, params={"cursor": "nonsense"}, headers=auth(viewer)).status_code == 400
    bad = client.get(f"{URL}/2026-13", headers=auth(viewer))
    assert bad.status_code == 400 and bad.json()["invalidParams"][0]["name"] == "closedMonth"
    assert client.get(f"{URL}/2026-08", headers=auth(viewer)).status_code == 404


def test_a_viewer_cannot_close(client, desk) -> None:
    build_november(desk)
    viewer = make_token(desk.tenant, VIEWER)
    r = client.post(URL, headers=auth(viewer), json={"month": "2026-11"})
    assert r.status_code == 403
    assert client.get(URL, headers=auth(viewer)).json()["items"] == []


def test_another_tenant_learns_nothing_of_a_closed_month(client, desk, other) -> None:
    build_november(desk)
    assert _close(client, desk).status_code == 201
    stranger = make_token(other.tenant, CLOSER)
    for path in (f"{URL}/2026-11", f"{URL}/2026-11/comparison"):
        r = client.get(path, headers=auth(stranger))
        assert r.status_code == 404 and str(desk.tenant.id) not in r.text
    assert client.get(URL, headers=auth(stranger)).json()["items"] == []
    theirs = _figures(client, stranger)
    assert theirs.headers["Regie-Closed-Month"] == "false" and theirs.json()["opened"]["total"] == 0
    # Their own November closes independently.
    assert _close(client, other).status_code == 201


def test_the_report_of_a_closed_month_carries_the_signed_evidence(
    client, desk, owner_engine
) -> None:
    month = build_november(desk)
    assert _close(client, desk).status_code == 201
    signed = client.get(f"{URL}/2026-11", headers=auth(make_token(desk.tenant, VIEWER))).json()
    clock = Clock.__table__.c  # type: ignore[attr-defined]
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(Clock.__table__)  # type: ignore[arg-type]
            .where(clock.ticket_id == uuid.UUID(month.id("A")), clock.kind == "response")
            .values(breached_at=nov(2, 9, 20))
        )
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        report = report_data.kpi_figures(session, date(2026, 11, 1))
        recomputed = kpi_public.evidence_digest(session, period=kpi_public.parse_period("2026-11"))
    assert report.evidence == signed["evidenceHash"] != recomputed
    assert report.months[-1].response_pct == signed["figures"]["response"]["value"] == 60.0
