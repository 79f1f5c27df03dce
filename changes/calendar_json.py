"""A calendar entry as the JSON its response model answers, built without validating again.

Every value was stored through the API's checks and is read back typed, and a month across
clients is ~8,000 entries: the entry is spelled from the models' field names, order and
nulls, and serialised once. The worker stores the same text (changes.calendar.refresh).
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from operator import attrgetter
from typing import Any

from pydantic.alias_generators import to_camel
from pydantic_core import to_json

from changes.calendar_schemas import CalendarEntry
from changes.repository import ID_LISTS, PLANNED, Planned
from changes.schemas import ConflictPublic
from core.api.schemas import ApiModel


@lru_cache(maxsize=1 << 16)
def _canonical(text: str) -> str:
    """A stored id as its UUID's JSON: the answer's spelling whatever was stored, and a
    string, which serialising costs far less than a UUID."""
    return str(uuid.UUID(text))


def _aliases(model: type[ApiModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


# An entry is the calendar's columns in their order, then its conflicts (and the client).
assert list(CalendarEntry.model_fields) == [*PLANNED, "conflicts"]
_ENTRY = _aliases(CalendarEntry)[: len(PLANNED)]
_CONFLICT = list(zip(ConflictPublic.model_fields, _aliases(ConflictPublic), strict=True))
_COLUMNS = attrgetter(*PLANNED)
_ID_KEYS = [(name, to_camel(name)) for name in ID_LISTS]


def entry(change: Planned, conflicts: list[dict[str, Any]]) -> dict[str, Any]:
    """The entry's JSON object, so a page over many changes serialises once."""
    found = dict(zip(_ENTRY, _COLUMNS(change), strict=True))
    for name, key in _ID_KEYS:
        found[key] = [_canonical(text) for text in getattr(change, name)]
    found["conflicts"] = [_conflict(c) for c in conflicts]
    return found


def text(change: Planned, conflicts: list[dict[str, Any]]) -> str:
    """The entry as the text the calendar answers and stores."""
    return to_json(entry(change, conflicts)).decode()


def conflicts(stored: str) -> list[dict[str, Any]]:
    """A stored entry's conflicts as `calendar.conflicts_of` gives them (by field name)."""
    return [
        {name: c[alias] for name, alias in _CONFLICT if c[alias] is not None}
        for c in json.loads(stored)["conflicts"]
    ]


def _conflict(found: dict[str, Any]) -> dict[str, Any]:
    conflict = {alias: found.get(name) for name, alias in _CONFLICT}
    for name, key in _ID_KEYS:
        if name in found:
            conflict[key] = [_canonical(text) for text in found[name]]
    return conflict
