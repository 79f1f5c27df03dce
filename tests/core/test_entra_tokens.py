"""Entra ID access tokens, issued by a real OpenID provider running on loopback.

Only the malformed cases (alg none, HMAC, expired, forged) use hand-made tokens.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from joserfc import jwt
from sqlalchemy import event
from sqlalchemy.orm import Session

from core import events
from core.db import get_engine, session_tenant, unit_of_work
from core.identity import access, tokens
from core.identity.events import CredentialRefused
from core.identity.roles import Role
from core.settings import get_settings
from core.tenancy import Tenant
from tests.factories import auth, make_tenant, make_token
from tests.support.oidc_provider import AUDIENCE, new_key

SERVICES = "/api/v1/services"


@contextmanager
def began() -> Iterator[list[uuid.UUID | None]]:
    """The tenants of the transactions begun meanwhile, in order."""
    seen: list[uuid.UUID | None] = []

    def on_begin(session: Session, _transaction: Any, _connection: Any) -> None:
        seen.append(session_tenant(session))

    event.listen(Session, "after_begin", on_begin)
    try:
        yield seen
    finally:
        event.remove(Session, "after_begin", on_begin)


def refusals():
    seen: list[CredentialRefused] = []
    events.subscribe(CredentialRefused, seen.append)
    return seen


def test_user_token_with_app_role_is_accepted(client, idp, world) -> None:
    token = idp.token(idp.client_dir, idp.admin)
    assert client.get(SERVICES, headers=auth(token)).status_code == 200
    grants = client.get("/api/v1/grants", headers=auth(token))
    assert grants.status_code == 200


def test_token_without_any_role_or_grant_is_403(client, idp, world) -> None:
    r = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.plain)))
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"


def test_app_only_token_acts_as_a_service_account(client, idp, world) -> None:
    token = idp.token(idp.client_dir, idp.app)
    assert client.get(SERVICES, headers=auth(token)).status_code == 200
    assert client.get("/api/v1/grants", headers=auth(token)).status_code == 403


def test_unknown_directory_is_refused_and_recorded(client, idp, world) -> None:
    seen = refusals()
    r = client.get(SERVICES, headers=auth(idp.token(idp.stranger_dir, idp.stranger)))
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert seen[-1].kind == "token" and seen[-1].directory_id == idp.stranger_dir
    assert "directory" in seen[-1].reason


def test_wrong_audience_is_refused(client, idp, world, monkeypatch) -> None:
    monkeypatch.setattr(get_settings(), "api_audience", "api://another-api")
    r = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.admin)))
    assert r.status_code == 401 and "aud" in r.json()["detail"]


def _hand_made(idp, tid, key, alg="RS256", **claims) -> str:
    now = int(time.time())
    payload = {
        "iss": f"{idp.authority}/{tid}/v2.0",
        "aud": AUDIENCE,
        "tid": str(tid),
        "oid": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 600,
        "roles": ["client-admin"],
        "scp": "access",
        **claims,
    }
    return jwt.encode({"alg": alg, "kid": key.kid}, payload, key, algorithms=[alg])


def test_a_refused_token_gets_an_rfc_6750_challenge_that_reads_well(client, idp, world) -> None:
    wrong_issuer = _hand_made(idp, idp.client_dir, idp.keys[0], iss="https://elsewhere/v2.0")
    r = client.get(SERVICES, headers=auth(wrong_issuer))
    assert r.status_code == 401
    assert (
        r.json()["detail"]
        == "The access token was refused: the token's issuer (iss) is not accepted."
    )
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="regie", error="invalid_token", error_description="')
    assert "issuer (iss) is not accepted" in challenge
    # No credentials at all: a bare challenge, no error (RFC 6750 section 3.1).
    assert client.get(SERVICES).headers["www-authenticate"] == 'Bearer realm="regie"'
    # A refused API key is an invalid token too; a valid token lacking the permission is 403.
    assert (
        'error="invalid_token"'
        in client.get(SERVICES, headers=auth("rgk_00_00_nope")).headers["www-authenticate"]
    )
    plain = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.plain)))
    assert (
        plain.status_code == 403
        and 'error="insufficient_scope"' in plain.headers["www-authenticate"]
    )


def test_expired_and_not_yet_valid_tokens_are_refused(client, idp, world) -> None:
    key = idp.keys[0]  # the provider's own signing key: only the times are wrong
    now = int(time.time())
    expired = _hand_made(idp, idp.client_dir, key, iat=now - 7200, exp=now - 3600)
    early = _hand_made(idp, idp.client_dir, key, nbf=now + 3600)
    assert client.get(SERVICES, headers=auth(expired)).json()["detail"].endswith("expired.")
    assert client.get(SERVICES, headers=auth(early)).status_code == 401
    fresh = _hand_made(idp, idp.client_dir, key)
    assert client.get(SERVICES, headers=auth(fresh)).status_code == 200


def test_alg_none_hmac_and_forged_signatures_are_refused(client, idp, world) -> None:
    import base64
    import hashlib
    import hmac
    import json

    def b64(obj) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    real = idp.token(idp.client_dir, idp.admin)
    header, payload, _ = real.split(".")
    none = f"{b64({'alg': 'none', 'kid': 'key-1'})}.{payload}."
    # Key confusion: an HMAC "signed" with the provider's public key as the secret.
    hmac_head = f"{b64({'alg': 'HS256', 'kid': 'key-1'})}.{payload}"
    secret = idp.keys[0].as_pem(private=False)
    mac = hmac.new(secret, hmac_head.encode(), hashlib.sha256).digest()
    hs256 = f"{hmac_head}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"
    impostor = new_key("key-1")  # same kid, different key
    forged = _hand_made(idp, idp.client_dir, impostor)
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    elevated = b64({**claims, "roles": ["supplier-admin"]})
    tampered = f"{header}.{elevated}.{real.split('.')[2]}"
    for token in (none, hs256, forged, tampered, "not.a.jwt", "garbage"):
        r = client.get(SERVICES, headers=auth(token))
        assert r.status_code == 401, token


def test_key_rotation_is_followed_without_fetching_on_every_request(
    client, idp, world, monkeypatch
) -> None:
    fetches = []
    original = tokens._fetch_keys
    monkeypatch.setattr(
        tokens, "_fetch_keys", lambda issuer: fetches.append(issuer) or original(issuer)
    )
    monkeypatch.setattr(tokens, "REFETCH_AFTER", 0.0)
    tokens._issuers.clear()
    for _ in range(5):
        token = idp.token(idp.client_dir, idp.admin)
        assert client.get(SERVICES, headers=auth(token)).status_code == 200
    assert len(fetches) == 1
    idp.rotate()
    rotated = idp.token(idp.client_dir, idp.admin)
    assert rotated.split(".")[0] != token.split(".")[0]  # signed with the new key id
    assert client.get(SERVICES, headers=auth(rotated)).status_code == 200
    assert len(fetches) == 2


def test_authentication_context_is_demanded_with_a_claims_challenge(client, idp, world) -> None:
    tenant = world[0]
    with unit_of_work(None) as session:
        session.get(Tenant, tenant.id).auth_context_id = "c1"
    access._tenants.clear()
    r = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.admin)))
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith('Bearer error="insufficient_claims", claims="')
    assert "c1" in r.json()["detail"]
    ok = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.mfa_user)))
    assert ok.status_code == 200
    access._tenants.clear()


def test_group_claims_and_overage_never_decide_access(client, idp, world) -> None:
    for principal in (idp.overage, idp.claim_names):
        token = idp.token(idp.client_dir, principal)
        assert client.get(SERVICES, headers=auth(token)).status_code == 403
    admin = auth(idp.token(idp.client_dir, idp.admin))
    grant = {
        "subjectKind": "user",
        "subjectTid": str(idp.client_dir),
        "subjectOid": str(idp.oid(idp.client_dir, idp.claim_names)),
        "role": "reporter",
    }
    assert client.post("/api/v1/grants", headers=admin, json=grant).status_code == 201
    token = idp.token(idp.client_dir, idp.claim_names)
    assert client.get(SERVICES, headers=auth(token)).status_code == 200


def test_supplier_staff_act_in_client_tenants_by_grant_only(client, idp, world) -> None:
    client_tenant, other, _supplier = world
    agent = auth(idp.token(idp.supplier_dir, idp.agent), **{"Regie-Tenant": client_tenant.slug})
    assert client.get(SERVICES, headers=agent).status_code == 403
    admin = auth(idp.token(idp.client_dir, idp.admin))
    grant = {
        "subjectKind": "user",
        "subjectTid": str(idp.supplier_dir),
        "subjectOid": str(idp.oid(idp.supplier_dir, idp.agent)),
        "role": Role.agent_line_1.value,
    }
    refused = client.post("/api/v1/grants", headers=admin, json=grant)
    assert refused.status_code == 403  # a client admin cannot hand out supplier roles
    with unit_of_work(client_tenant.id) as session:
        from core.identity.models import Grant, SubjectKind

        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.supplier_dir,
                subject_oid=idp.oid(idp.supplier_dir, idp.agent),
                role=Role.agent_line_1,
                granted_by="test",
            )
        )
    assert client.get(SERVICES, headers=agent).status_code == 200
    elsewhere = auth(idp.token(idp.supplier_dir, idp.agent), **{"Regie-Tenant": other.slug})
    nowhere = auth(idp.token(idp.supplier_dir, idp.agent), **{"Regie-Tenant": "no-such-tenant"})
    r1, r2 = client.get(SERVICES, headers=elsewhere), client.get(SERVICES, headers=nowhere)
    assert r1.status_code == r2.status_code == 403
    assert r1.json()["detail"] == r2.json()["detail"]  # an existing tenant is not revealed
    listed = client.get("/api/v1/grants", headers=admin).json()["items"]
    grant_id = next(g["id"] for g in listed if g["subjectTid"] == str(idp.supplier_dir))
    assert client.delete(f"/api/v1/grants/{grant_id}", headers=admin).status_code == 200
    assert client.get(SERVICES, headers=agent).status_code == 403  # revoked: at once


def test_same_object_id_in_another_directory_does_not_inherit_a_grant(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    oid = idp.oid(idp.client_dir, idp.plain)
    grant = {
        "subjectKind": "user",
        "subjectTid": str(idp.stranger_dir),
        "subjectOid": str(oid),
        "role": "reporter",
    }
    assert client.post("/api/v1/grants", headers=admin, json=grant).status_code == 201
    r = client.get(SERVICES, headers=auth(idp.token(idp.client_dir, idp.plain)))
    assert r.status_code == 403


def test_grants_of_another_tenant_cannot_be_seen_or_revoked(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    grant = {
        "subjectKind": "group",
        "subjectTid": str(idp.client_dir),
        "subjectOid": str(uuid.uuid4()),
        "role": "kpi-viewer",
    }
    created = client.post("/api/v1/grants", headers=admin, json=grant).json()
    other_admin = make_token(make_tenant(), ["identity.grants:manage"])
    assert client.get("/api/v1/grants", headers=auth(other_admin)).json()["items"] == []
    r = client.delete(f"/api/v1/grants/{created['id']}", headers=auth(other_admin))
    assert r.status_code == 404
    still = client.get("/api/v1/grants", headers=admin).json()["items"]
    assert [g["id"] for g in still] == [created["id"]]


def test_client_admin_issues_lists_and_revokes_api_keys(client, idp, world) -> None:
    admin = auth(idp.token(idp.client_dir, idp.admin))
    too_much = {"name": "monitoring", "permissions": ["services.catalogue:write"]}
    assert client.post("/api/v1/api-keys", headers=admin, json=too_much).status_code == 403
    body = {"name": "reporting", "permissions": ["services.catalogue:read"]}
    issued = client.post("/api/v1/api-keys", headers=admin, json=body)
    assert issued.status_code == 201
    key = issued.json()
    assert key["token"].startswith("rgk_") and key["lastUsedAt"] is None
    assert client.get(SERVICES, headers=auth(key["token"])).status_code == 200
    listed = client.get("/api/v1/api-keys", headers=admin).json()["items"]
    assert [k["id"] for k in listed] == [key["id"]]
    assert "token" not in listed[0] and listed[0]["lastUsedAt"] is not None
    other_admin = make_token(make_tenant(), ["identity.api-keys:manage"])
    assert (
        client.delete(f"/api/v1/api-keys/{key['id']}", headers=auth(other_admin)).status_code == 404
    )
    theirs = client.get("/api/v1/api-keys", headers=auth(other_admin)).json()["items"]
    assert key["id"] not in {k["id"] for k in theirs}
    revoked = client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revokedAt"]
    assert client.get(SERVICES, headers=auth(key["token"])).status_code == 401


def test_a_read_is_one_transaction_with_what_authentication_reads(client, idp, world) -> None:
    """A person's standing and grants, or an API key, are read in the request's own
    transaction when acting in their own tenant; on SQLite, whose one writer must not be held
    while authentication writes, a write authenticates in a transaction of its own. A key's
    first use is stamped in one of its own."""
    client_tenant, _other, _supplier = world
    admin = auth(idp.token(idp.client_dir, idp.admin))
    body = {"name": "reporting", "permissions": ["services.catalogue:read"]}
    assert client.get(SERVICES, headers=admin).status_code == 200  # the tenants are cached now

    with began() as read:
        assert client.get(SERVICES, headers=admin).status_code == 200
    with began() as write:
        issued = client.post("/api/v1/api-keys", headers=admin, json=body)
        assert issued.status_code == 201
    key = auth(issued.json()["token"])
    with began() as first_use:
        assert client.get(SERVICES, headers=key).status_code == 200
    with began() as second_use:
        assert client.get(SERVICES, headers=key).status_code == 200
    apart = 2 if get_engine().dialect.name == "sqlite" else 1
    assert [len(read), len(write), len(first_use), len(second_use)] == [1, apart, 2, 1]
    assert set(read + write + first_use + second_use) == {client_tenant.id}
