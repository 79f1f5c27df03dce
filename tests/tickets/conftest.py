from __future__ import annotations

import pytest

from tests.factories import make_tenant
from tests.tickets.helpers import Desk


@pytest.fixture
def desk(client) -> Desk:
    return Desk(client, make_tenant())


@pytest.fixture
def other(client) -> Desk:
    return Desk(client, make_tenant())
