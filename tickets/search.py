"""Full-text search over tickets with Dutch and English stemming.

PostgreSQL keeps a generated `tsvector` of both languages per ticket, GIN-indexed. The embedded
SQLite default keeps an FTS5 table filled by triggers; SQLite has no Dutch stemmer, so the
triggers call `regie_stems`, which writes each word's Dutch and English Snowball stems, and a
query is stemmed the same way.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache

import snowballstemmer
from sqlalchemy import TextClause, Uuid, bindparam, text

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


def clause(
    dialect: str, query: str, *, tenant_id: uuid.UUID | None, internal: bool
) -> TextClause | None:
    """Tickets of `tenant_id` whose title, description or messages match `query` (internal
    notes only when `internal`: reporters never find a ticket by a note they cannot read).

    Both sides are uncorrelated subqueries over the tenant: each is answered once from its
    full-text index, never re-run per ticket."""
    visibility = "" if internal else " AND m.visibility = 'public'"
    tenant = bindparam("tenant", tenant_id, type_=Uuid())
    if dialect == "postgresql":
        if not words(query):
            return None
        q = "(websearch_to_tsquery('dutch', :q) || websearch_to_tsquery('english', :q))"
        return text(
            # Only constants are formatted in; the query itself is a bound parameter.
            "tickets_ticket.id IN (SELECT t.id FROM tickets_ticket t "  # noqa: S608
            f"WHERE t.tenant_id = :tenant AND t.search @@ {q} UNION SELECT m.ticket_id "
            f"FROM tickets_message m WHERE m.tenant_id = :tenant AND m.search @@ {q}{visibility})"
        ).bindparams(tenant, q=query[:500])
    expression = fts5_query(query)
    if expression is None:
        return None
    return text(
        "(tickets_ticket.rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :m) "  # noqa: S608
        "OR tickets_ticket.id IN (SELECT m.ticket_id FROM tickets_message m "
        "WHERE m.tenant_id = :tenant AND m.rowid IN (SELECT rowid FROM "
        f"tickets_message_fts WHERE tickets_message_fts MATCH :m){visibility}))"
    ).bindparams(tenant, m=expression)
