"""Attachments: stored with their hash, typed by their bytes, refused when executable or too
large or infected, and never shown to another tenant."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from sqlmodel import select

from core.db import unit_of_work
from core.settings import get_settings
from tests.factories import auth
from tests.support.clamd import MARKER, PAYLOAD, Clamd
from tickets.conversation.models import Attachment, AttachmentContent

PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)
# The first bytes of a 64-bit ELF program and of a Windows PE file.
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + b"\x00" * 44
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 50 + b"PE\x00\x00"


def attach(
    desk, ticket: dict[str, Any], data: bytes, name: str, token: str | None = None, **form: str
) -> Any:
    return desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/attachments",
        headers=auth(token or desk.reporter),
        files={"file": (name, data, form.pop("claimed", "application/octet-stream"))},
        data=form,
    )


def stored(tenant_id: uuid.UUID) -> tuple[int, int]:
    """How many attachments and contents the tenant has in the database."""
    with unit_of_work(tenant_id, read_only=True) as session:
        return (
            len(session.exec(select(Attachment)).all()),
            len(session.exec(select(AttachmentContent.attachment_id)).all()),
        )


def test_a_pdf_is_stored_with_its_hash_and_served_back_as_it_came(desk) -> None:
    ticket = desk.report()
    # A path and a right-to-left override (which disguises extensions) are dropped from the name.
    r = attach(desk, ticket, PDF, "..\\..\\rapport\u202e mei.pdf", claimed="image/png")
    assert r.status_code == 201, r.text
    meta = r.json()
    assert meta["contentType"] == "application/pdf"  # from the bytes, not the client's claim
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest() and meta["size"] == len(PDF)
    assert meta["fileName"] == "rapport mei.pdf"
    assert r.headers["Location"].endswith(f"/attachments/{meta['id']}")
    r = desk.client.get(
        f"/api/v1/tickets/{ticket['id']}/attachments/{meta['id']}/content",
        headers=auth(desk.agent),
    )
    assert r.status_code == 200 and r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''rapport%20mei.pdf" in r.headers["content-disposition"]
    listed = desk.client.get(
        f"/api/v1/tickets/{ticket['id']}/attachments", headers=auth(desk.agent)
    )
    assert [a["sha256"] for a in listed.json()["items"]] == [meta["sha256"]]


@pytest.mark.parametrize(("data", "name"), [(ELF, "report.pdf"), (PE, "scan.pdf")])
def test_executables_are_refused_and_nothing_is_stored(desk, data, name) -> None:
    ticket = desk.report()
    r = attach(desk, ticket, data, name, claimed="application/pdf")
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    assert "executable" in r.json()["detail"] and r.json()["reason"]
    assert stored(desk.tenant.id) == (0, 0)


def test_a_file_over_the_limit_is_413_and_nothing_is_stored(desk) -> None:
    ticket = desk.report()
    limit = get_settings().attachment_max_bytes
    r = attach(desk, ticket, b"%PDF-1.4\n" + b"0" * limit, "big.pdf")
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert str(limit) in r.json()["detail"]
    r = attach(desk, ticket, b"0" * (limit + 200_000), "bigger.txt")
    assert r.status_code == 413 and r.headers["content-type"] == "application/problem+json"
    assert stored(desk.tenant.id) == (0, 0)


def test_other_bodies_stay_json_only_and_small(desk) -> None:
    ticket = desk.report()
    r = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(desk.agent),
        files={"file": ("a.txt", b"hello", "text/plain")},
    )
    assert r.status_code == 415  # multipart only where files are taken


def test_attachments_of_internal_notes_stay_internal(desk) -> None:
    ticket = desk.report()
    note = desk.client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        headers=auth(desk.agent),
        json={"body": "Logs attached", "visibility": "internal"},
    ).json()
    r = attach(desk, ticket, b"line one\nline two\n", "app.log", desk.agent, messageId=note["id"])
    assert r.status_code == 201 and r.json()["visibility"] == "internal"
    hidden = r.json()["id"]
    base = f"/api/v1/tickets/{ticket['id']}/attachments"
    assert desk.client.get(base, headers=auth(desk.reporter)).json()["items"] == []
    for path in (f"{base}/{hidden}", f"{base}/{hidden}/content"):
        assert desk.client.get(path, headers=auth(desk.reporter)).status_code == 404
    r = attach(desk, ticket, b"mine\n", "note.txt", messageId=note["id"])
    assert r.status_code == 400 and r.json()["invalidParams"][0]["name"] == "messageId"


def test_another_tenant_gets_404_for_attachments_and_content(desk, other) -> None:
    ticket = desk.report()
    meta = attach(desk, ticket, PDF, "report.pdf").json()
    base = f"/api/v1/tickets/{ticket['id']}/attachments"
    for token in (other.agent, other.reporter):
        for path in (base, f"{base}/{meta['id']}", f"{base}/{meta['id']}/content"):
            r = desk.client.get(path, headers=auth(token))
            assert r.status_code == 404 and "report.pdf" not in r.text, path
        assert attach(desk, ticket, PDF, "x.pdf", token).status_code == 404
    assert stored(desk.tenant.id) == (1, 1) and stored(other.tenant.id) == (0, 0)


def test_with_clamd_clean_files_are_stored_and_infected_ones_refused(
    desk, clamd: Clamd, configure
) -> None:
    configure(clamd_address=clamd.tcp)
    ticket = desk.report()
    assert attach(desk, ticket, PDF, "clean.pdf").status_code == 201
    r = attach(desk, ticket, PAYLOAD, "notes.txt")
    assert r.status_code == 422 and r.json()["signature"].startswith("Regie.Test.Payload")
    r = attach(desk, ticket, b"some text " + MARKER + b" more text\n", "other.txt")
    assert r.status_code == 422
    assert stored(desk.tenant.id) == (1, 1)


def test_an_unreachable_scanner_stores_nothing(desk, configure) -> None:
    configure(clamd_address="tcp://127.0.0.1:9")  # the discard port: nobody listens
    ticket = desk.report()
    r = attach(desk, ticket, PDF, "report.pdf")
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["Retry-After"]
    assert stored(desk.tenant.id) == (0, 0)


def test_a_retried_upload_with_the_same_key_stores_once(desk) -> None:
    ticket = desk.report()
    url = f"/api/v1/tickets/{ticket['id']}/attachments"
    headers = auth(desk.reporter, **{"Idempotency-Key": "upload-1"})
    first = desk.client.post(url, headers=headers, files={"file": ("a.pdf", PDF, "x/y")})
    again = desk.client.post(url, headers=headers, files={"file": ("a.pdf", PDF, "x/y")})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    other = desk.client.post(url, headers=headers, files={"file": ("b.pdf", PDF, "x/y")})
    assert other.status_code == 422  # the same key for another upload
    assert stored(desk.tenant.id) == (1, 1)
