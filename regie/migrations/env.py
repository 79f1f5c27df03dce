"""Alembic environment: connects as the owner; tells migrations which role the app uses."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

import regie.models  # noqa: F401  (all tables on the metadata)
from core.db import make_engine, metadata
from core.settings import get_settings

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
        )
        with context.begin_transaction():
            context.get_context().opts["app_role"] = settings.app_role
            context.run_migrations()
    engine.dispose()


run()
