"""Alembic environment: connects as the owner; tells migrations which role the app uses."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import pool

import regie.models  # noqa: F401  (all tables on the metadata)
from core.db import make_engine, metadata
from core.settings import get_settings

# Search structures live outside the models (their SQL differs per database): a generated
# tsvector column and its GIN index on PostgreSQL, FTS5 tables on SQLite.
UNMODELLED_COLUMNS = {("tickets_ticket", "search"), ("tickets_message", "search")}
UNMODELLED_PREFIXES = (
    "tickets_fts",
    "tickets_message_fts",
    "ix_tickets_ticket_search",
    "ix_tickets_message_search",
)


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, _other: Any) -> bool:
    if not reflected or name is None:
        return True
    if kind == "column" and (obj.table.name, name) in UNMODELLED_COLUMNS:
        return False
    return not name.startswith(UNMODELLED_PREFIXES)


config = context.config
settings = config.attributes.get("settings") or get_settings()


def run() -> None:
    engine = make_engine(settings.owner_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.get_context().opts["app_role"] = settings.app_role
            context.run_migrations()
    engine.dispose()


run()
