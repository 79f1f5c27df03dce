"""Time-ordered identifiers: UUIDv7 keeps B-tree inserts local and sorts by creation."""

import uuid

from uuid_utils import compat

from core.factories import signed


@signed
def new_id() -> uuid.UUID:
    return compat.uuid7()
