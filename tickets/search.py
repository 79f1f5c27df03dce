"""Full-text search over tickets with Dutch and English stemming.

PostgreSQL keeps a `tsvector` of both languages per ticket and per reply in
`tickets_search_entry`, GIN-indexed by tenant, and reads it through `tickets_search` (migration
0039 says why). The embedded SQLite default keeps an FTS5 table filled by triggers; SQLite has
no Dutch stemmer, so the triggers call `regie_stems`, which writes each word's Dutch and
English Snowball stems, and a query is stemmed the same way.
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
# From this many matching entries on (the planner's estimate), a list sorted by an index walks
# it and asks each ticket whether it matches until its page is full; below it, the matching
# tickets are fetched by id and sorted. Measured in bench/README.md.
WALK_FROM = 2000


@lru_cache(maxsize=65536)
def _stems(word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys((_DUTCH.stemWord(word), _ENGLISH.stemWord(word))))


def words(value: str) -> list[str]:
    """The lower-cased words of a text, as both search back ends split it."""
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


def estimate(dialect: str, query: str, *, internal: bool) -> TextClause | None:
    """How many search entries the planner expects `query` to match (PostgreSQL only): the
    choice between fetching matches by id and walking the list depends on it."""
    if dialect != "postgresql" or not words(query):
        return None
    found = text("SELECT tickets_search_estimate(:q, :internal)")
    return found.bindparams(q=query[:500], internal=internal)


def clause(
    dialect: str, query: str, *, tenant_id: uuid.UUID | None, internal: bool, walk: bool = False
) -> TextClause | None:
    """Tickets of `tenant_id` whose title, description or messages match `query` (internal
    notes only when `internal`: reporters never find a ticket by a note they cannot read).

    Both sides are uncorrelated subqueries over the tenant: each is answered once from its
    full-text index, never re-run per ticket. On PostgreSQL one function answers both, or,
    with `walk`, another asks of each ticket the list's index reaches whether it matches."""
    if dialect == "postgresql":
        if not words(query):
            return None
        found = "tickets_ticket.id IN (SELECT s FROM tickets_search(:q, :internal) s)"
        if walk:
            q = "websearch_to_tsquery('dutch', :q) || websearch_to_tsquery('english', :q)"
            found = f"tickets_search_has(tickets_ticket.id, {q}, :internal)"
        return text(found).bindparams(q=query[:500], internal=internal)
    visibility = "" if internal else " AND m.visibility = 'public'"
    tenant = bindparam("tenant", tenant_id, type_=Uuid())
    expression = fts5_query(query)
    if expression is None:
        return None
    return text(
        "(tickets_ticket.rowid IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH :m) "  # noqa: S608
        "OR tickets_ticket.id IN (SELECT m.ticket_id FROM tickets_message m "
        "WHERE m.tenant_id = :tenant AND m.rowid IN (SELECT rowid FROM "
        f"tickets_message_fts WHERE tickets_message_fts MATCH :m){visibility}))"
    ).bindparams(tenant, m=expression)
