"""CMDB fixtures: one tenant's CMDB and another's."""

from __future__ import annotations

import pytest

from tests.cmdb.helpers import Cmdb
from tests.factories import make_tenant


@pytest.fixture
def cmdb(client) -> Cmdb:
    return Cmdb(client, make_tenant())


@pytest.fixture
def theirs(client) -> Cmdb:
    return Cmdb(client, make_tenant())
