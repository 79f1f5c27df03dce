"""Drive the real OpenID provider (tests/support/oidc/provider.mjs) from the tests."""

from __future__ import annotations

import json
import secrets
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx2
from joserfc.jwk import RSAKey

from tests.fixtures import ROOT

SCRIPT = ROOT / "tests" / "support" / "oidc" / "provider.mjs"
AUDIENCE = "api://regie"


def new_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(
        2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"}, private=True
    )


class OidcProvider:
    """Directories (Entra tenants) with clients whose tokens carry the claims we choose."""

    def __init__(self, workdir: Path, port: int) -> None:
        self.workdir, self.port = workdir, port
        self.keys = [new_key("key-1")]
        self.directories: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.users: dict[uuid.UUID, list[dict[str, Any]]] = {}
        self.web_client: dict[str, Any] | None = None
        self.proc: subprocess.Popen[str] | None = None

    @property
    def authority(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def directory(self) -> uuid.UUID:
        tid = uuid.uuid4()
        self.directories[tid] = []
        return tid

    def principal(self, tid: uuid.UUID, **claims: Any) -> str:
        """Register a person or app in directory `tid`; returns its client id."""
        client_id = f"client-{uuid.uuid4().hex[:12]}"
        claims.setdefault("oid", str(uuid.uuid4()))
        self.directories[tid].append(
            {"client_id": client_id, "client_secret": secrets.token_hex(16), "claims": claims}
        )
        return client_id

    def user(self, tid: uuid.UUID, login: str, **claims: Any) -> uuid.UUID:
        """A person who signs in on the provider's login page with `login`; returns the oid."""
        claims.setdefault("oid", str(uuid.uuid4()))
        self.users.setdefault(tid, []).append({"login": login, "claims": claims})
        return uuid.UUID(claims["oid"])

    def register_web(self, client_id: str, secret: str, public_url: str) -> None:
        self.web_client = {
            "client_id": client_id,
            "client_secret": secret,
            "redirect_uris": [f"{public_url}/auth/callback"],
            "post_logout_redirect_uris": [f"{public_url}/"],
        }

    def start(self) -> None:
        config = self.workdir / "oidc.json"
        config.write_text(
            json.dumps(
                {
                    "port": self.port,
                    "audience": AUDIENCE,
                    "keys": [k.as_dict(private=True) for k in self.keys],
                    "web": self.web_client,
                    "directories": [
                        {"tid": str(t), "clients": c, "users": self.users.get(t, [])}
                        for t, c in self.directories.items()
                    ],
                }
            )
        )
        self.proc = subprocess.Popen(
            ["node", str(SCRIPT), str(config)],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("ready"):
                return
        raise RuntimeError("the OpenID provider did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def rotate(self) -> None:
        """Sign with a new key from now on; the old one stays published (as Entra does)."""
        self.keys.insert(0, new_key(f"key-{len(self.keys) + 1}"))
        self.stop()
        self.start()

    def token(self, tid: uuid.UUID, client_id: str) -> str:
        client = next(c for c in self.directories[tid] if c["client_id"] == client_id)
        r = httpx2.post(
            f"{self.authority}/{tid}/v2.0/token",
            auth=(client_id, client["client_secret"]),
            data={"grant_type": "client_credentials", "resource": AUDIENCE, "scope": "api"},
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    def oid(self, tid: uuid.UUID, client_id: str) -> uuid.UUID:
        client = next(c for c in self.directories[tid] if c["client_id"] == client_id)
        return uuid.UUID(client["claims"]["oid"])

    def sign_in(self, authorize_url: str, login: str) -> str:
        """Play the browser on the provider's own pages; returns the redirect back to Regie."""
        with httpx2.Client(follow_redirects=False) as browser:
            r = browser.get(authorize_url)
            for _ in range(10):
                if r.status_code in (302, 303) and not r.headers["location"].startswith("/"):
                    location = r.headers["location"]
                    if not location.startswith(self.authority):
                        return location
                    r = browser.get(location)
                elif r.status_code in (302, 303):
                    r = browser.get(self.authority + r.headers["location"])
                elif r.status_code == 200 and 'name="prompt" value="login"' in r.text:
                    r = browser.post(
                        _action(r.text, self.authority),
                        data={"prompt": "login", "login": login, "password": "x"},
                    )
                elif r.status_code == 200 and 'name="prompt" value="consent"' in r.text:
                    r = browser.post(_action(r.text, self.authority), data={"prompt": "consent"})
                else:
                    raise AssertionError(
                        f"unexpected provider answer {r.status_code}: {r.text[-600:]}"
                    )
        raise AssertionError("the sign-in did not come back")


def _action(html: str, authority: str) -> str:
    import re

    match = re.search(r'action="([^"]+)"', html)
    assert match, html[:300]
    action = match[1]
    return action if action.startswith("http") else authority + action
