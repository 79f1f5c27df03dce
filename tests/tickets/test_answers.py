"""Answers built from stored values (`ApiModel.from_stored`) read exactly as validated ones."""

from __future__ import annotations

from sqlmodel import select

from core.db import unit_of_work
from tests.factories import auth
from tickets import repository
from tickets.models import Ticket
from tickets.schemas import SUMMARY_FIELDS, TicketPublic, TicketSummary

TEXT = "Dossier van klant met BSN 111222333 en mail j.jansen@example.nl laadt niet."


def test_a_ticket_from_its_stored_values_reads_as_the_validated_one(desk) -> None:
    """GET and the writes answer without the input validators: every field, the privacy
    findings and each type must come out as validation gives them."""
    desk.report(description=TEXT)
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        entity = session.exec(select(Ticket)).one()
        row = repository.row(session, entity.id)
        assert entity.privacy_findings  # the nested models are in it
        for stored in (entity, row):
            validated = TicketPublic.model_validate(stored)
            built = TicketPublic.stored(stored)
            assert built == validated
            assert built.model_dump_json(by_alias=True) == validated.model_dump_json(by_alias=True)


def test_a_list_from_stored_values_reads_as_validated_summaries(desk) -> None:
    first = desk.report()
    desk.report(title="Printer on the second floor jams")
    group = desk.group("Second line", "2")  # group and line filled in, the rest left empty
    assert desk.act(first, "assignments", {"groupId": group["id"]}).status_code == 200
    with unit_of_work(desk.tenant.id, read_only=True) as session:
        rows = repository.page(
            session,
            repository.Filters(),
            sort="-createdAt",
            limit=10,
            after=None,
            columns=SUMMARY_FIELDS,
        )
    assert len(rows) == 2
    for row in rows:
        validated = TicketSummary.model_validate(row)
        built = TicketSummary.from_stored(dict(row._mapping))
        assert built == validated
        assert built.model_dump_json(by_alias=True) == validated.model_dump_json(by_alias=True)
    listed = desk.client.get("/api/v1/tickets", headers=auth(desk.agent)).json()["items"]
    assert listed == [
        TicketSummary.model_validate(r).model_dump(mode="json", by_alias=True) for r in rows
    ]
