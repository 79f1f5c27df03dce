"""Validate Entra ID access tokens: signature from the directory's JWKS, issuer, audience, time.

Keys are cached per issuer and fetched again only when a token names an unknown `kid` (key
rotation), at most once per REFETCH_AFTER seconds, so a flood of forged kids cannot make us
hammer the provider. Validated tokens are remembered until they expire, so the signature is
checked once per token rather than once per request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx2
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import KeySet

from core.errors import Unauthenticated

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"]
LEEWAY_SECONDS = 60
REFETCH_AFTER = 30.0
_lock = threading.Lock()


@dataclass(frozen=True)
class Claims:
    """What Regie takes from a validated token."""

    tid: uuid.UUID
    oid: uuid.UUID
    app_only: bool
    roles: frozenset[str] = field(default_factory=frozenset)
    acrs: frozenset[str] = field(default_factory=frozenset)
    expires: float = 0.0


class Refused(Unauthenticated):
    """A token was refused; `reason` is safe to log and to record as a security event."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"The access token was refused: {reason}.")
        self.reason = reason


@dataclass
class _Issuer:
    keys: KeySet
    fetched: float


_issuers: dict[str, _Issuer] = {}
_validated: dict[str, Claims] = {}
_metadata: dict[str, dict[str, Any]] = {}


def issuer_for(authority: str, tid: uuid.UUID) -> str:
    """The issuer Entra writes into a directory's v2.0 tokens, which a token must carry."""
    return f"{authority.rstrip('/')}/{tid}/v2.0"


def _segment(token: str, index: int) -> dict[str, Any]:
    """One JSON part of a compact JWS, unverified (to pick the issuer and key, never trusted)."""
    try:
        part = token.split(".")[index]
        value = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    except (IndexError, ValueError):
        raise Refused("malformed token") from None
    if not isinstance(value, dict):
        raise Refused("malformed token")
    return value


def unverified_tid(token: str) -> uuid.UUID:
    """The directory a token claims to come from, read before any check (to pick the issuer)."""
    try:
        return uuid.UUID(str(_segment(token, 1).get("tid")))
    except ValueError:
        raise Refused("no directory (tid) in the token") from None


def validate(token: str, *, issuer: str, audience: str) -> Claims:
    """Check signature, issuer, audience and lifetime; return the claims Regie uses."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    known = _validated.get(digest)
    if known is not None and known.expires > time.time():
        return known
    claims = _verify(token, issuer, audience)
    result = _to_claims(claims)
    with _lock:
        if len(_validated) > 50_000:
            _validated.clear()
        _validated[digest] = result
    return result


def _signed_claims(token: str, issuer: str) -> dict[str, Any]:
    """The claims of a token whose signature checks out against the issuer's keys."""
    header = _segment(token, 0)
    if header.get("alg") not in ALGORITHMS:
        raise Refused(f"signing algorithm {header.get('alg')!r} is not accepted")
    keys = _keys(issuer, str(header.get("kid", "")))
    try:
        return jwt.decode(token, keys, algorithms=ALGORITHMS).claims
    except (JoseError, ValueError):
        raise Refused("bad signature") from None


def _check(claims: dict[str, Any], **rules: Any) -> dict[str, Any]:
    registry = jwt.JWTClaimsRegistry(leeway=LEEWAY_SECONDS, exp={"essential": True}, **rules)
    try:
        registry.validate(claims)
    except JoseError as exc:
        raise Refused(_reason(exc)) from None
    return claims


def _verify(token: str, issuer: str, audience: str) -> dict[str, Any]:
    return _check(
        _signed_claims(token, issuer),
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": audience},
        oid={"essential": True},
    )


def validate_id_token(token: str, *, issuer: str, client_id: str, nonce: str) -> dict[str, Any]:
    """Check an ID token from the sign-in: signature, issuer, audience (us), time and nonce."""
    return _check(
        _signed_claims(token, issuer),
        iss={"essential": True, "value": issuer},
        aud={"essential": True, "value": client_id},
        nonce={"essential": True, "value": nonce},
        tid={"essential": True},
        oid={"essential": True},
    )


def metadata(issuer: str) -> dict[str, Any]:
    """The provider's discovery document, fetched once per issuer."""
    cached = _metadata.get(issuer)
    if cached is None:
        try:
            with httpx2.Client(timeout=5.0) as client:
                url = issuer + "/.well-known/openid-configuration"
                cached = dict(client.get(url).raise_for_status().json())
        except (httpx2.HTTPError, ValueError):
            raise Refused("the directory's metadata could not be fetched") from None
        _metadata[issuer] = cached
    return cached


_WRONG = {
    "iss": "the token's issuer (iss) is not accepted",
    "aud": "the token's audience (aud) is not this API",
    "exp": "the token has expired",
    "nbf": "the token is not valid yet (nbf)",
    "iat": "the token's issue time (iat) is in the future",
    "nonce": "the sign-in nonce does not match",
}


def _reason(exc: JoseError) -> str:
    """A reason a person can read: "the token's issuer (iss) is not accepted"."""
    if isinstance(exc, ExpiredTokenError):
        return "the token has expired"
    claim = getattr(exc, "claim", "")
    if isinstance(exc, MissingClaimError):
        return f"the token has no {claim} claim"
    if isinstance(exc, InvalidClaimError):
        return _WRONG.get(claim, f"the token's {claim} claim is not accepted")
    return "the token's claims are not accepted"


def _to_claims(claims: dict[str, Any]) -> Claims:
    try:
        tid, oid = uuid.UUID(str(claims["tid"])), uuid.UUID(str(claims["oid"]))
    except (KeyError, ValueError):
        raise Refused("tid and oid must be directory object ids") from None
    return Claims(
        tid=tid,
        oid=oid,
        # Entra marks app-only tokens with idtyp=app; user tokens carry scp.
        app_only=claims.get("idtyp") == "app" or "scp" not in claims,
        roles=frozenset(claims.get("roles") or ()),
        acrs=frozenset(claims.get("acrs") or ()),
        expires=float(claims["exp"]),
    )


def _keys(issuer: str, kid: str) -> KeySet:
    cached = _issuers.get(issuer)
    if cached and any(k.kid == kid for k in cached.keys):
        return cached.keys
    if cached and time.monotonic() - cached.fetched < REFETCH_AFTER:
        raise Refused("unknown signing key")
    with _lock:
        fresh = _Issuer(_fetch_keys(issuer), time.monotonic())
        _issuers[issuer] = fresh
    if not any(k.kid == kid for k in fresh.keys):
        raise Refused("unknown signing key")
    return fresh.keys


def _fetch_keys(issuer: str) -> KeySet:
    try:
        with httpx2.Client(timeout=5.0) as client:
            jwks = client.get(metadata(issuer)["jwks_uri"]).raise_for_status().json()
        return KeySet.import_key_set(jwks)
    except (httpx2.HTTPError, KeyError, ValueError, JoseError):
        raise Refused("the directory's signing keys could not be fetched") from None
