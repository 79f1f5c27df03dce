"""A NUL byte, which no PostgreSQL text can hold, in any query parameter is a 400 naming the
parameter (never a 500), and a failing statement never puts its parameters in the log."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from audit import permissions as audit_perms
from core.db import get_engine
from tests.factories import auth, make_tenant, make_token
from tickets import permissions as ticket_perms

PARAMS = [
    ("/api/v1/tickets", "q"),
    ("/api/v1/tickets", "number"),
    ("/api/v1/problems", "q"),
    ("/api/v1/known-errors", "q"),
    ("/api/v1/audit/entries", "entityType"),
    ("/api/v1/audit/entries", "entityId"),
    ("/api/v1/audit/entries", "actorId"),
    ("/api/v1/audit/entries", "action"),
]


@pytest.mark.parametrize(("path", "name"), PARAMS)
def test_a_nul_in_a_text_parameter_is_400_naming_it(client, path: str, name: str) -> None:
    token = make_token(make_tenant(), [ticket_perms.READ, audit_perms.READ])
    r = client.get(path, params={name: "printer\x00storing"}, headers=auth(token))
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert [p["name"] for p in r.json()["invalidParams"]] == [name]


def test_a_failing_statement_keeps_its_parameters_out_of_the_error(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    searched = "geheim" + "zoekwoord"  # built, so the traceback's source line never shows it
    with pytest.raises(DBAPIError) as failed, get_engine().connect() as conn:
        conn.execute(text("SELECT :q FROM no_such_table"), {"q": searched})
    logging.getLogger("regie.errors").error("unhandled_error", exc_info=failed.value)
    assert searched not in str(failed.value)
    assert "no_such_table" in caplog.text and searched not in caplog.text
