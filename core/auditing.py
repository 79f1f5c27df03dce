"""The audit marker: core declares which tables are audited, the audit domain records them.

A table class sets `__audited__ = True` to have every insert, update and delete recorded, and
may name columns in `__audit_masked__` whose values never reach the log (secrets, hashes),
and in `__audit_digested__` free-text columns recorded only as a SHA-256 digest: the log then
proves what the text was without keeping it (tickets may hold personal data that is later
redacted, and the log is immutable).
Core knows nothing of how that happens; `audit/` installs the flush listener, wired at start
by the composition root.
"""

from __future__ import annotations


def is_audited(cls: type) -> bool:
    """Whether the audit capture records writes of this table's model."""
    return bool(getattr(cls, "__audited__", False))


def masked_columns(cls: type) -> frozenset[str]:
    """Columns whose values the audit log never holds (secrets, hashes)."""
    return frozenset(getattr(cls, "__audit_masked__", ()))


def digested_columns(cls: type) -> frozenset[str]:
    """Free-text columns logged as a digest: proof of the text without keeping it."""
    return frozenset(getattr(cls, "__audit_digested__", ()))
