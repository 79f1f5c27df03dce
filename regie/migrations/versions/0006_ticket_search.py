"""Full-text search on tickets: a Dutch + English tsvector with a GIN index on PostgreSQL,
an FTS5 table kept by triggers on SQLite (stems from the app's `regie_stems` function); and
the index behind a problem's list of incidents.

A later batch migration that recreates tickets_ticket on SQLite must recreate these triggers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = "coalesce(title, '') || ' ' || coalesce(description, '')"
_SQLITE_TEXT = "regie_stems(coalesce(new.title, '') || ' ' || coalesce(new.description, ''))"


def upgrade() -> None:
    op.create_index(
        "ix_tickets_ticket_problem",
        "tickets_ticket",
        ["tenant_id", "problem_id", "created_at", "id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE tickets_ticket ADD COLUMN search tsvector GENERATED ALWAYS AS "
            f"(to_tsvector('dutch', {_TEXT}) || to_tsvector('english', {_TEXT})) STORED"
        )
        op.execute("CREATE INDEX ix_tickets_ticket_search ON tickets_ticket USING gin (search)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE tickets_fts USING fts5(terms, tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets_ticket BEGIN "  # noqa: S608
        f"INSERT INTO tickets_fts(rowid, terms) VALUES (new.rowid, {_SQLITE_TEXT}); END"
    )
    op.execute(
        "CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets_ticket "  # noqa: S608
        f"BEGIN UPDATE tickets_fts SET terms = {_SQLITE_TEXT} WHERE rowid = new.rowid; END"
    )
    op.execute(
        "CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets_ticket BEGIN "
        "DELETE FROM tickets_fts WHERE rowid = old.rowid; END"
    )
    op.execute(
        "INSERT INTO tickets_fts(rowid, terms) SELECT rowid, "
        "regie_stems(coalesce(title, '') || ' ' || coalesce(description, '')) FROM tickets_ticket"
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_ticket_problem", table_name="tickets_ticket")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tickets_ticket_search")
        op.execute("ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS tickets_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS tickets_fts")
