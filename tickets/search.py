"""Full-text search over tickets with Dutch and English stemming.

PostgreSQL keeps a generated `tsvector` of both languages per ticket, GIN-indexed. The embedded
SQLite default keeps an FTS5 table filled by triggers; SQLite has no Dutch stemmer, so the
triggers call `regie_stems`, which writes each word's Dutch and English Snowball stems, and a
query is stemmed the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer
from sqlalchemy import TextClause, text

from core.db import sqlite_function

_WORD = re.compile(r"\w+", re.UNICODE)
_DUTCH = snowballstemmer.stemmer("dutch")
_ENGLISH = snowballstemmer.stemmer("english")
MAX_TERMS = 12


@lru_cache(maxsize=65536)
def _stems(word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((_DUTCH.stemWord(word), _ENGLISH.stemWord(word))))


def words(value: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(value)]


@sqlite_function("regie_stems", 1)
def stems(value: str | None) -> str:
    """Every word's Dutch and English stems, space-separated (what the FTS5 index holds)."""
    return " ".join(s for w in words(value or "") for s in _stems(w))


def fts5_query(query: str) -> str | None:
    """An FTS5 expression: every word must match, by either of its stems. None if no words."""
    terms = words(query)[:MAX_TERMS]
    if not terms:
        return None
    groups = ("(" + " OR ".join(f'"{s}"' for s in _stems(w)) + ")" for w in terms)
    return " AND ".join(groups)


def clause(dialect: str, query: str, *, internal: bool) -> TextClause | None:
    """Tickets whose title, description or messages match `query` (internal notes only when
    `internal`: reporters never find a ticket by a note they cannot read)."""
    visibility = "" if internal else " AND m.visibility = 'public'"
    if dialect == "postgresql":
        if not words(query):
            return None
        q = "(websearch_to_tsquery('dutch', :q) || websearch_to_tsquery('english', :q))"
        return text(
            # Only constants are formatted in; the query itself is a bound parameter.
            f"(tickets_ticket.search @@ {q} OR tickets_ticket.id IN (SELECT m.ticket_id "  # noqa: S608
            "FROM tickets_message m WHERE m.tenant_id = tickets_ticket.tenant_id "
            f"AND m.search @@ {q}{visibility}))"
        ).bindparams(q=query[:500])
    expression = fts5_query(query)
    if expression is None:
        return None
    return text(
        "(tickets_ticket.rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :m) "  # noqa: S608
        "OR tickets_ticket.id IN (SELECT m.ticket_id FROM tickets_message m "
        "WHERE m.tenant_id = tickets_ticket.tenant_id AND m.rowid IN (SELECT rowid FROM "
        f"tickets_message_fts WHERE tickets_message_fts MATCH :m){visibility}))"
    ).bindparams(m=expression)
