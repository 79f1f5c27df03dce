"""PostgreSQL itself keeps each tenant's CMDB apart, whatever a query forgets."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import unit_of_work
from tests.cmdb.helpers import SERVER

TABLES = ("cmdb_ci", "cmdb_ci_version", "cmdb_ci_relation", "cmdb_ci_class")


@pytest.mark.postgres
def test_raw_sql_sees_only_the_tenants_own_cmdb_rows(cmdb, theirs) -> None:
    from tests.cmdb.test_classes import define

    a, b = cmdb.ci("A", SERVER), cmdb.ci("B")
    cmdb.relate(b, "runs-on", a)
    define(cmdb)
    theirs.ci("C")
    with unit_of_work(theirs.tenant.id, read_only=True) as session:
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    assert counts == {"cmdb_ci": 1, "cmdb_ci_version": 1, "cmdb_ci_relation": 0, "cmdb_ci_class": 0}
    with unit_of_work(cmdb.tenant.id, read_only=True) as session:
        counts = {t: session.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
    assert counts == {"cmdb_ci": 2, "cmdb_ci_version": 2, "cmdb_ci_relation": 1, "cmdb_ci_class": 1}
