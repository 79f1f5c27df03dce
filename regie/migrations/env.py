"""Alembic environment: connects as the owner; tells migrations which role the app uses."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import pool

import regie.models  # noqa: F401  (all tables on the metadata)
from core.db import make_engine, metadata
from core.settings import get_settings

# Search structures live outside the models (their SQL differs per database): the search
# entries and their indexes on PostgreSQL (migration 0039), FTS5 tables on SQLite.
UNMODELLED_PREFIXES = (
    "tickets_fts",
    "tickets_message_fts",
    "tickets_search_entry",
    "ix_tickets_search_entry",
)


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, _other: Any) -> bool:
    return not reflected or name is None or not name.startswith(UNMODELLED_PREFIXES)


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
