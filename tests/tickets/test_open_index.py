"""The partial index of open tickets names exactly the open statuses, or the work queue and
the dashboard per line would silently stop using it (or miss a status)."""

from __future__ import annotations

import re

from tickets import lifecycle
from tickets.models import Ticket


def test_the_open_tickets_index_covers_exactly_the_open_statuses() -> None:
    index = next(i for i in Ticket.__table__.indexes if i.name == "ix_tickets_ticket_open")
    predicate = str(index.dialect_options["postgresql"]["where"])
    assert set(re.findall(r"'([a-z-]+)'", predicate)) == {s.value for s in lifecycle.OPEN}
