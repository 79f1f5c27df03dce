"""A closed month is signed by the worker, not by the API: an API holding only the public
key closes months, a month reads as pending until the worker signs it, the worker signs it
once, and a signature that does not cover the snapshot still reads as invalid."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from audit import signing
from core.db import unit_of_work
from core.settings import get_settings
from services.kpi import frozen
from services.kpi.models import ClosedMonth
from tests.audit.helpers import records
from tests.factories import auth, make_token
from tests.services.kpi_month import VIEWER, build_november, sign_closed_months
from tests.services.test_kpi_closing import CLOSER, URL, as_owner

KEY = Ed25519PrivateKey.generate()
PUBLIC = base64.b64encode(signing.public_bytes(KEY.public_key())).decode()


@contextmanager
def holding(monkeypatch, *, private: bool) -> Iterator[None]:
    """This process configured as the API (the public key only) or as the worker (both)."""
    seed = SecretStr(KEY.private_bytes_raw().hex()) if private else None
    settings = get_settings().model_copy(
        update={"audit_signing_key": seed, "audit_public_key": PUBLIC}
    )
    monkeypatch.setattr(signing, "get_settings", lambda: settings)
    signing.signing_key.cache_clear()
    signing.public_key.cache_clear()
    try:
        yield
    finally:
        monkeypatch.undo()
        signing.signing_key.cache_clear()
        signing.public_key.cache_clear()


def _read(client, desk, path: str = "") -> dict:
    r = client.get(f"{URL}/2026-11{path}", headers=auth(make_token(desk.tenant, VIEWER)))
    assert r.status_code == 200, r.text
    return r.json()


def test_an_api_holding_only_the_public_key_closes_and_the_worker_signs(
    client, desk, monkeypatch
) -> None:
    build_november(desk)
    closer = make_token(desk.tenant, CLOSER)
    with holding(monkeypatch, private=False):
        with pytest.raises(signing.NoSigningKey):
            signing.signing_key()  # this API could not sign if it tried
        r = client.post(URL, headers=auth(closer), json={"month": "2026-11"})
        assert r.status_code == 201, r.text
        assert r.json()["signatureState"] == "pending"
    with holding(monkeypatch, private=True):
        assert sign_closed_months(desk.tenant.id) >= 1
    with holding(monkeypatch, private=False):
        signed = _read(client, desk)
        assert signed["signatureState"] == "valid" and signed["signatureValid"] is True
        assert signed["keyId"] == signing.key_id(KEY.public_key())
        assert _read(client, desk, "/comparison")["signatureState"] == "valid"


def test_a_pending_month_reads_as_pending_not_invalid(client, desk) -> None:
    build_november(desk)
    closed = client.post(
        URL, headers=auth(make_token(desk.tenant, CLOSER)), json={"month": "2026-11"}
    )
    assert closed.status_code == 201, closed.text
    got = _read(client, desk)
    assert got["signatureState"] == "pending" and got["signatureValid"] is None
    assert got["signature"] is None and got["keyId"] is None
    listed = client.get(URL, headers=auth(make_token(desk.tenant, VIEWER))).json()["items"]
    assert [(m["month"], m["signatureState"]) for m in listed] == [("2026-11", "pending")]
    comparison = _read(client, desk, "/comparison")
    assert comparison["signatureState"] == "pending" and comparison["signatureValid"] is None
    assert comparison["figuresEqual"] and comparison["evidenceEqual"]
    # The figures are frozen already, signed or not.
    figures = client.get(
        "/api/v1/kpis", params={"period": "2026-11"}, headers=auth(make_token(desk.tenant, VIEWER))
    )
    assert figures.headers["Regie-Closed-Month"] == "true"
    assert figures.json() == got["figures"]


def _ask_again(tenant_id: uuid.UUID) -> None:
    """A second request to sign the same month, as a redelivered message would be."""
    with unit_of_work(tenant_id) as session:
        row = session.exec(select(ClosedMonth)).one()
        frozen.request_signature(session, row)


def test_the_worker_signs_a_month_once(client, desk) -> None:
    build_november(desk)
    closed = client.post(
        URL, headers=auth(make_token(desk.tenant, CLOSER)), json={"month": "2026-11"}
    )
    assert closed.status_code == 201, closed.text
    assert sign_closed_months(desk.tenant.id) >= 1
    first = _read(client, desk)
    _ask_again(desk.tenant.id)
    assert sign_closed_months(desk.tenant.id) == 1  # the job ran again...
    assert _read(client, desk) == first  # ...and left the signed month as it was
    actions = [e["action"] for e in records(desk.tenant.id, "services_kpi_closed_month")]
    assert actions == ["create", "update"]


def test_a_wrong_signature_stays_invalid_and_the_worker_does_not_replace_it(
    client, desk, owner_engine
) -> None:
    build_november(desk)
    closed = client.post(
        URL, headers=auth(make_token(desk.tenant, CLOSER)), json={"month": "2026-11"}
    )
    assert closed.status_code == 201, closed.text
    assert sign_closed_months(desk.tenant.id) >= 1
    signature = _read(client, desk)["signature"]
    forged = ("0" if signature[0] != "0" else "1") + signature[1:]
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(ClosedMonth)
            .where(ClosedMonth.tenant_id == desk.tenant.id)  # type: ignore[arg-type]
            .values(signature=forged)
        )
    got = _read(client, desk)
    assert got["signatureState"] == "invalid" and got["signatureValid"] is False
    assert _read(client, desk, "/comparison")["signatureState"] == "invalid"
    _ask_again(desk.tenant.id)
    sign_closed_months(desk.tenant.id)
    assert _read(client, desk)["signature"] == forged  # never re-signed over the evidence


def test_a_snapshot_changed_before_signing_is_never_signed(client, desk, owner_engine) -> None:
    """Someone with the database's full rights changes a month's figures between its closing
    and the worker's signature: the worker finds them unlike what the audit log recorded at
    closing, signs nothing, and says so in the audit log."""
    build_november(desk)
    closed = client.post(
        URL, headers=auth(make_token(desk.tenant, CLOSER)), json={"month": "2026-11"}
    )
    assert closed.status_code == 201, closed.text
    figures = _read(client, desk)["figures"]
    figures["response"]["value"] = 100.0
    with as_owner(owner_engine, desk.tenant.id) as conn:
        conn.execute(
            update(ClosedMonth)
            .where(ClosedMonth.tenant_id == desk.tenant.id)  # type: ignore[arg-type]
            .values(figures=figures)
        )
    sign_closed_months(desk.tenant.id)
    got = _read(client, desk)
    assert got["signatureState"] == "pending" and got["signature"] is None
    assert got["figures"]["response"]["value"] == 100.0  # what is stored, still unsigned
    events = [e["event"] for e in records(desk.tenant.id, "security_event")]
    altered = [e for e in events if e["kind"] == "closed-month-altered"]
    assert [e["month"] for e in altered] == ["2026-11"]


def test_signature_and_key_are_set_together_or_not_at_all(desk) -> None:
    with pytest.raises(IntegrityError), unit_of_work(desk.tenant.id) as session:
        session.add(
            ClosedMonth(
                month=date(2026, 11, 1),
                figures={},
                evidence_hash="0" * 64,
                signature="00",
                closed_by="test",
            )
        )


def test_the_api_document_says_the_worker_signs(client) -> None:
    doc = client.get("/api/v1/openapi.json").json()
    operation = doc["paths"]["/kpis/closed-months"]["post"]
    assert "201" in operation["responses"]
    assert "worker" in operation["description"] and "pending" in operation["description"]
    assert doc["components"]["schemas"]["SignatureState"]["enum"] == ["pending", "valid", "invalid"]
