"""Time-ordered identifiers: UUIDv7 keeps B-tree inserts local and sorts by creation."""

import uuid

from uuid_utils import compat

from core.factories import signed


@signed
def new_id() -> uuid.UUID:
    """A UUIDv7: inserts stay local in the B-tree and ids sort by creation."""
    return compat.uuid7()
