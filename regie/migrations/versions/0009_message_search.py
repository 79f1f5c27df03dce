"""Full-text search over ticket messages, the same way as over tickets (see 0006).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STEMS = "regie_stems(coalesce(new.body, ''))"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE tickets_message ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('dutch', body) || to_tsvector('english', body)) STORED"
        )
        op.execute("CREATE INDEX ix_tickets_message_search ON tickets_message USING gin (search)")
        return
    op.execute(
        "CREATE VIRTUAL TABLE tickets_message_fts USING fts5(terms, "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER tickets_message_fts_insert AFTER INSERT ON tickets_message BEGIN "  # noqa: S608
        f"INSERT INTO tickets_message_fts(rowid, terms) VALUES (new.rowid, {_STEMS}); END"
    )
    op.execute(
        "CREATE TRIGGER tickets_message_fts_update AFTER UPDATE OF body ON tickets_message "  # noqa: S608
        f"BEGIN UPDATE tickets_message_fts SET terms = {_STEMS} WHERE rowid = new.rowid; END"
    )
    op.execute(
        "CREATE TRIGGER tickets_message_fts_delete AFTER DELETE ON tickets_message BEGIN "
        "DELETE FROM tickets_message_fts WHERE rowid = old.rowid; END"
    )
    op.execute(
        "INSERT INTO tickets_message_fts(rowid, terms) "
        "SELECT rowid, regie_stems(coalesce(body, '')) FROM tickets_message"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tickets_message_search")
        op.execute("ALTER TABLE tickets_message DROP COLUMN IF EXISTS search")
        return
    for trigger in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS tickets_message_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS tickets_message_fts")
