"""Settings from REGIE_* environment variables, validated once at start."""

from __future__ import annotations

import sys
from functools import lru_cache
from pathlib import Path
from typing import Literal, NoReturn

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

VAR_DIR = Path("var")


class Settings(BaseSettings):
    """Effective configuration; every field is `REGIE_<NAME>` in the environment."""

    model_config = SettingsConfigDict(env_prefix="REGIE_", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = f"sqlite:///{VAR_DIR}/regie.db"
    # Migrations run as the table owner; the application connects as a role that is not.
    database_owner_url: str | None = None
    broker_url: str = "filesystem://"
    broker_folder: Path = VAR_DIR / "broker"
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    otlp_endpoint: str | None = None
    # Entra ID: tokens of directory {tid} come from {entra_authority}/{tid}/v2.0.
    entra_authority: str = "https://login.microsoftonline.com"
    api_audience: str = "api://regie"
    # The web UI's app registration (authorization code + PKCE).
    oidc_client_id: str = "regie-web"
    oidc_client_secret: SecretStr | None = None
    # Sign in as a demo user without a directory: development on a loopback address only.
    demo_sign_in: bool = False
    # Connections per process, and as many requests inside it at once (core.api.admission):
    # more than the cores can serve only queue in PostgreSQL; 2 processes x (10 + 10 overflow)
    # stay well under PostgreSQL's default of 100 connections.
    db_pool_size: int = Field(default=10, ge=1, le=500)
    # Requests beyond those wait in the event loop, at most this many and this long; the rest
    # are answered 503 with Retry-After.
    request_queue: int = Field(default=200, ge=0, le=100_000)
    request_wait_seconds: float = Field(default=10.0, gt=0, le=300)
    # PostgreSQL cancels an API request's statement after this long (0: never); answered 503.
    statement_timeout_ms: int = Field(default=10_000, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    outbox_batch_size: int = Field(default=100, ge=1, le=10_000)
    outbox_poll_seconds: float = Field(default=5.0, gt=0)
    # A tenant's messages published within this long are drained by one job (0: one each).
    outbox_drain_after_seconds: float = Field(default=0.25, ge=0, le=60)
    security_contact: str = "mailto:security@regie.example"
    security_policy_url: str = "https://regie.example/security-policy"
    security_languages: str = "nl, en"
    api_contact_name: str = "Regie service desk"
    api_contact_url: str = "https://regie.example/support"
    api_contact_email: str = "servicedesk@regie.example"
    # Ed25519 private key signing audit checkpoints: 32 raw bytes as hex or base64, or PEM.
    # The worker and the operator's CLI sign checkpoints, closed KPI months and tenant exports;
    # the API never signs: run it with the public key alone.
    audit_signing_key: SecretStr | None = None
    # Ed25519 public key that verifies them (as GET /audit/public-key gives it, or PEM): what
    # the API publishes and verifies with; by default derived from the signing key.
    audit_public_key: str | None = None
    # Where development keeps a generated key when none is set (production demands one).
    audit_key_file: Path = VAR_DIR / "audit-signing.key"
    # Append-only copy of every checkpoint outside the database, one file per tenant.
    audit_checkpoint_dir: Path = VAR_DIR / "audit-checkpoints"
    # Tenant exports the worker makes for download (a volume the API shares with the workers).
    export_dir: Path = VAR_DIR / "exports"
    audit_checkpoint_seconds: float = Field(default=300.0, gt=0)
    # After a write, the worker checkpoints the tenant this much later (batching the writes).
    audit_checkpoint_delay_seconds: float = Field(default=2.0, gt=0, le=60)
    # Extra columns masked in audit entries, as "table.column" (JSON list in the environment).
    audit_masked_fields: frozenset[str] = frozenset()
    # Ticket attachments: the largest file accepted, and clamd to scan them (unset: no scan).
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    clamd_address: str | None = Field(default=None, pattern=r"^(tcp://[^/:]+:\d+|unix:///.+)$")
    # Notifications by mail: smtp://[user:password@]host[:port] (STARTTLS when offered) or
    # smtps://...; unset keeps every notification in the local mailbox only.
    smtp_url: str | None = Field(default=None, pattern=r"^smtps?://")
    smtp_from: str = "servicedesk@regie.example"

    @field_validator("database_url", "database_owner_url")
    @classmethod
    def _valid_database_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL: {exc}") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite:// and postgresql:// are supported")
        return value

    @field_validator("public_url")
    @classmethod
    def _valid_public_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_demands(self) -> Settings:
        if self.env == "production":
            if self.secret_key is None or len(self.secret_key.get_secret_value()) < 32:
                raise _field_error("secret_key", "production needs a secret of 32+ characters")
            if self.is_sqlite:
                raise _field_error("database_url", "production needs PostgreSQL")
            if self.audit_signing_key is None and self.audit_public_key is None:
                raise _field_error(
                    "audit_signing_key",
                    "production needs an Ed25519 key (the public one alone for the API)",
                )
            if self.demo_sign_in:
                raise _field_error("demo_sign_in", "never allowed in production")
        if self.demo_sign_in and self.host not in ("127.0.0.1", "::1", "localhost"):
            raise _field_error("demo_sign_in", "only when bound to a loopback address")
        return self

    @property
    def is_sqlite(self) -> bool:
        """Whether this is the embedded default, which needs SQLite's own handling."""
        return self.database_url.startswith("sqlite")

    @property
    def owner_url(self) -> str:
        """The URL migrations run with: the owner's if set, else the app's own."""
        return self.database_owner_url or self.database_url

    @property
    def app_role(self) -> str | None:
        """The PostgreSQL role the application connects as (granted rights by migrations)."""
        return make_url(self.database_url).username

    def masked(self) -> dict[str, object]:
        """The effective configuration with passwords and secrets hidden."""
        shown: dict[str, object] = {}
        for name, value in self.model_dump().items():
            if name in ("secret_key", "audit_signing_key", "oidc_client_secret"):
                value = "********" if value else None
            elif name.endswith("_url") and isinstance(value, str) and "@" in value:
                value = make_url(value).render_as_string(hide_password=True)
            shown[f"REGIE_{name.upper()}"] = str(value) if isinstance(value, Path) else value
        return shown


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _field_error(field: str, message: str) -> _FieldError:
    return _FieldError(field, message)


def load_settings() -> Settings:
    """Build settings or end the process with one line naming the bad variable (exit 2)."""
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, _FieldError):
            name, msg = cause.field, str(cause)
        else:
            name = str(err["loc"][0]) if err["loc"] else "?"
            msg = err["msg"].removeprefix("Value error, ")
        fail_config(f"REGIE_{name.upper()}", msg)


def fail_config(variable: str, message: str) -> NoReturn:
    """Stop at start-up with the variable to fix, not a traceback."""
    print(f"regie: configuration error: {variable}: {message}", file=sys.stderr)
    raise SystemExit(2)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return load_settings()
