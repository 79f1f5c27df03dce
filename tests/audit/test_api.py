"""The reading API: entries, proofs, checkpoints, exports; permissions and tenant isolation.

Proofs are checked here with an independent implementation of RFC 9162 sections 2.1.3.2 and
2.1.4.2, not with the code that produced them."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import event

from audit import offline
from core.db import get_engine
from tests.audit.helpers import auditor_token, create_services, entries, records, sign_now
from tests.conftest import TMP
from tests.factories import auth, make_tenant, make_token


def _h(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def rfc_inclusion_ok(index: int, size: int, entry_hash: str, path: list[str], root: str) -> bool:
    if index >= size:
        return False
    fn, sn, r = index, size - 1, _h(b"\x00", bytes.fromhex(entry_hash))
    for p in map(bytes.fromhex, path):
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            r = _h(b"\x01", p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = _h(b"\x01", r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r.hex() == root


def rfc_consistency_ok(m: int, n: int, old: str, new: str, path: list[str]) -> bool:
    proof = [bytes.fromhex(p) for p in path]
    if m == n:
        return not proof and old == new
    if m & (m - 1) == 0:
        proof = [bytes.fromhex(old), *proof]
    fn, sn = m - 1, n - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn % 2 == 1 or fn == sn:
            fr, sr = _h(b"\x01", c, fr), _h(b"\x01", c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _h(b"\x01", sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr.hex() == old and sr.hex() == new and sn == 0


@pytest.fixture
def setup(client):
    tenant = make_tenant()
    token = auditor_token(tenant)
    create_services(client, token, 5)
    return tenant, token


def _checkpoint(client, token) -> dict:
    return sign_now(client, token)


def test_list_filters_and_pages_in_sequence_order(client, setup) -> None:
    _tenant, token = setup
    seen, cursor = [], None
    while True:
        url = "/api/v1/audit/entries?limit=2&entityType=services_catalogue_entry"
        page = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=auth(token)).json()
        seen += page["items"]
        if not (cursor := page["nextCursor"]):
            break
    assert [e["action"] for e in seen] == ["create"] * 5
    assert [e["seq"] for e in seen] == sorted(e["seq"] for e in seen)
    assert seen[0]["record"]["changes"]["code"]["after"] == "S-000"
    newest = client.get("/api/v1/audit/entries?sort=-seq&limit=1", headers=auth(token)).json()
    assert newest["items"][0]["action"] == "read"  # reading the log is itself recorded
    one = seen[0]["entityId"]
    only = client.get(f"/api/v1/audit/entries?entityId={one}", headers=auth(token)).json()
    assert [e["entityId"] for e in only["items"]] == [one]


def test_reads_and_exports_are_recorded(client, setup) -> None:
    tenant, token = setup
    client.get("/api/v1/audit/entries", headers=auth(token))
    client.get("/api/v1/audit/export?format=csv", headers=auth(token))
    kinds = [r["event"]["kind"] for r in records(tenant.id, "audit_log")]
    assert kinds == ["audit.read", "audit.export"]


def test_a_read_of_the_log_holds_one_pooled_connection_at_a_time(client, setup) -> None:
    """Authentication's unit and the log's writing one are one, or one after the other: a
    busy auditor never takes two of the pool's connections per request."""
    tenant, token = setup
    held, most = [0], [0]

    def out(*_args: object) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def back(*_args: object) -> None:
        held[0] -= 1

    pool = get_engine().pool
    event.listen(pool, "checkout", out)
    event.listen(pool, "checkin", back)
    try:
        for url in ("/api/v1/audit/entries?limit=5", "/api/v1/audit/checkpoints"):
            assert client.get(url, headers=auth(token)).status_code == 200
    finally:
        event.remove(pool, "checkout", out)
        event.remove(pool, "checkin", back)
    assert most[0] == 1
    kinds = [r["event"]["kind"] for r in records(tenant.id, "audit_log")]
    assert kinds == ["audit.read"]  # reading the checkpoints is not reading the log


def test_inclusion_proofs_verify_independently_against_the_signed_root(client, setup) -> None:
    _tenant, token = setup
    cp = _checkpoint(client, token)
    key = base64.b64decode(client.get("/api/v1/audit/public-key").json()["publicKey"])
    statement = (
        f"regie-audit-checkpoint/v1\n{_tenant.id}\n{cp['treeSize']}\n{cp['rootHash']}\n"
        f"{cp['chainHash']}\n{cp['issuedAt'].replace('Z', '+00:00')}\n"
    )
    Ed25519PublicKey.from_public_bytes(key).verify(
        bytes.fromhex(cp["signature"]), statement.encode()
    )
    for seq in range(1, cp["treeSize"] + 1):
        proof = client.get(
            f"/api/v1/audit/entries/{seq}/inclusion-proof", headers=auth(token)
        ).json()
        assert rfc_inclusion_ok(
            proof["leafIndex"], proof["treeSize"], proof["entryHash"], proof["path"], cp["rootHash"]
        )
        assert not rfc_inclusion_ok(
            proof["leafIndex"], proof["treeSize"], "00" * 32, proof["path"], cp["rootHash"]
        )


def test_consistency_proofs_verify_independently(client, setup) -> None:
    _tenant, token = setup
    sizes = [_checkpoint(client, token)]
    for _ in range(3):
        create_services(client, token, 0)
        client.get("/api/v1/audit/entries", headers=auth(token))  # adds an entry
        sizes.append(_checkpoint(client, token))
    for old in sizes:
        for new in sizes:
            if old["treeSize"] > new["treeSize"]:
                continue
            url = (
                f"/api/v1/audit/consistency-proof?first={old['treeSize']}&second={new['treeSize']}"
            )
            r = client.get(url, headers=auth(token))
            assert r.status_code == 200, r.text
            path = r.json()["path"]
            assert rfc_consistency_ok(
                old["treeSize"], new["treeSize"], old["rootHash"], new["rootHash"], path
            )
            if old["treeSize"] < new["treeSize"]:
                assert not rfc_consistency_ok(
                    old["treeSize"], new["treeSize"], "00" * 32, new["rootHash"], path
                )


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_exports_verify_offline_with_only_the_public_key(client, setup, fmt) -> None:
    tenant, token = setup
    _checkpoint(client, token)
    create_services(client, token, 0)
    r = client.get(f"/api/v1/audit/export?format={fmt}", headers=auth(token))
    assert r.status_code == 200
    path = Path(TMP / f"export-{tenant.id}.{fmt}")
    path.write_bytes(r.content)
    key = client.get("/api/v1/audit/public-key").json()["publicKey"]
    external = Path(TMP / f"cp-{tenant.id}.jsonl")
    external.write_bytes(client.get("/api/v1/audit/checkpoint-file", headers=auth(token)).content)
    assert offline.main([str(path), "--public-key", key, "--checkpoints", str(external)]) == 0
    forged = r.text.replace("S-001", "S-999")
    path.write_text(forged)
    assert offline.verify_export(path, key).first_bad_seq is not None


ROUTES = [
    ("get", "/api/v1/audit/entries"),
    ("get", "/api/v1/audit/entries/1"),
    ("get", "/api/v1/audit/entries/1/inclusion-proof"),
    ("get", "/api/v1/audit/consistency-proof?first=1&second=1"),
    ("get", "/api/v1/audit/checkpoints"),
    ("post", "/api/v1/audit/checkpoints"),
    ("get", "/api/v1/audit/checkpoint-file"),
    ("get", "/api/v1/audit/witness"),
    ("get", "/api/v1/audit/export"),
]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_without_token_401_without_permission_403(client, method, url) -> None:
    assert getattr(client, method)(url).status_code == 401
    plain = make_token(make_tenant())  # catalogue rights only
    r = getattr(client, method)(url, headers=auth(plain))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_another_tenant_learns_nothing(client, setup, method, url) -> None:
    tenant, token = setup
    _checkpoint(client, token)
    other = auditor_token(make_tenant())
    r = getattr(client, method)(url, headers=auth(other))
    assert r.status_code in (200, 202, 404, 422), r.text
    assert str(tenant.id) not in r.text and "S-000" not in r.text
    if method == "get" and url.endswith("entries"):
        # Only its own log: its key's creation and this very read.
        assert {e["entityType"] for e in r.json()["items"]} <= {"core_api_key", "audit_log"}


def test_public_key_is_published(client) -> None:
    body = client.get("/api/v1/audit/public-key").json()
    assert body["algorithm"] == "Ed25519" and len(base64.b64decode(body["publicKey"])) == 32


def test_the_api_asks_the_worker_to_sign_and_never_signs_itself(client, setup, monkeypatch) -> None:
    from audit import signing

    tenant, token = setup

    def no_key_here() -> None:
        raise AssertionError("the API process used the signing key")

    monkeypatch.setattr(signing, "signing_key", no_key_here)
    r = client.post("/api/v1/audit/checkpoints", headers=auth(token))
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    assert r.json()["checkpoint"] is None and r.json()["treeSize"] == len(entries(tenant.id))
    listed = client.get("/api/v1/audit/checkpoints", headers=auth(token)).json()
    assert listed["items"] == []  # nothing signed in the request
    monkeypatch.undo()  # the worker holds the key
    cp = sign_now(client, token)
    assert cp["treeSize"] == r.json()["treeSize"]
    again = client.post("/api/v1/audit/checkpoints", headers=auth(token))
    assert again.status_code == 200 and again.json()["status"] == "signed"
    assert again.json()["checkpoint"]["treeSize"] == cp["treeSize"]


def test_an_api_given_only_the_public_key_publishes_it_and_cannot_sign(client, monkeypatch) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from pydantic import SecretStr

    from audit import signing
    from core.settings import get_settings

    key = Ed25519PrivateKey.generate()
    public = base64.b64encode(signing.public_bytes(key.public_key())).decode()
    settings = get_settings().model_copy(
        update={"audit_signing_key": None, "audit_public_key": public}
    )
    monkeypatch.setattr(signing, "get_settings", lambda: settings)
    signing.signing_key.cache_clear()
    signing.public_key.cache_clear()
    try:
        assert client.get("/api/v1/audit/public-key").json()["publicKey"] == public
        statement = signing.CheckpointStatement("t", 1, "00" * 32, "00" * 32, "2026-12-05")
        with pytest.raises(signing.NoSigningKey):
            signing.sign(statement)
        signature = key.sign(statement.message()).hex()
        assert signing.verify(signing.public_key(), statement, signature)
        seed = Ed25519PrivateKey.generate().private_bytes_raw().hex()
        other = settings.model_copy(update={"audit_signing_key": SecretStr(seed)})
        with pytest.raises(ValueError, match="not the signing key's public key"):
            signing.load_private_key(other)  # a signing key must match the published one
    finally:
        signing.signing_key.cache_clear()
        signing.public_key.cache_clear()
