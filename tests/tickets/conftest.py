"""Ticket test fixtures: one tenant's desk and another's, and the real clamd."""

from __future__ import annotations

import pytest

from tests.factories import make_tenant
from tests.support.clamd import clamd
from tests.tickets.helpers import Desk

__all__ = ["clamd"]


@pytest.fixture
def desk(client) -> Desk:
    return Desk(client, make_tenant())


@pytest.fixture
def other(client) -> Desk:
    return Desk(client, make_tenant())
