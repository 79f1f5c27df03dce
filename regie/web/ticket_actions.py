"""The ticket page's further actions: replies and internal notes, attachments, assign,
escalate, forward to a third party and redact. Each posts with the session's CSRF token and
runs the same service call as its API route; the workflow actions on the version shown."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity import sessions
from core.identity.permissions import Principal
from core.settings import get_settings
from regie.web import link, ticket_forms
from regie.web.tickets import (
    Caller,
    CallerDep,
    FormDep,
    WebRoute,
    act,
    show_ticket,
    ticket_id_of,
    writing,
)
from tickets import redaction, workflow
from tickets.conversation import api as conversation_api
from tickets.conversation import service as conversation
from tickets.conversation.errors import AttachmentTooLarge, ContentRefused, VirusFound

router = APIRouter(include_in_schema=False, route_class=WebRoute)
TICKET = "/tickets/{ticket_id}"
TOO_LARGE = "This file is too large."
REFUSED_FILE = "This kind of file is not accepted."
VIRUS = "This file contains a virus and was not stored."
CHOOSE_FILE = "Choose a file."


@router.post(TICKET + "/assignments")
def assign(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Put the ticket in a group's queue, with the agent themself when ticked."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    me = caller.principal.actor_id

    def parse(values: dict[str, str]) -> tuple[Any, ticket_forms.Errors]:
        return ticket_forms.assignment(values, me)

    found = ticket_id_of(ticket_id)
    return act(request, caller, found, form, "assign_form", parse, workflow.assign)


@router.post(TICKET + "/escalations")
def escalate(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Functionally to the next line's group, or hierarchically to the group's manager."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(
        request, caller, found, form, "escalate_form", ticket_forms.escalation, workflow.escalate
    )


@router.post(TICKET + "/forwardings")
def forward(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Hand the ticket to a third party under their reference; the clock waits for them."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(
        request, caller, found, form, "forward_form", ticket_forms.forwarding, workflow.forward
    )


@router.post(TICKET + "/class-changes")
def change_class(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Classify an incident as platform or application; its restore clock follows."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(
        request, caller, found, form, "class_form", ticket_forms.class_change, workflow.change_class
    )


@router.post(TICKET + "/rejections")
def reject(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Reject an incident as not attributable to the supplier, optionally filing it again as a
    service request."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    return act(request, caller, found, form, "reject_form", ticket_forms.rejection, workflow.reject)


@router.post(TICKET + "/redactions")
def redact(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """Replace the personal data in the ticket's text and messages by markers."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))

    def parse(values: dict[str, str]) -> tuple[Any, ticket_forms.Errors]:
        return {}, {}

    def run(
        session: Any, actor: Principal, *, ticket_id: uuid.UUID, data: Any, if_match: str
    ) -> Any:
        return redaction.redact(session, actor, ticket_id=ticket_id, if_match=if_match)

    return act(request, caller, ticket_id_of(ticket_id), form, "redact_form", parse, run)


@router.post(TICKET + "/messages")
def post_message(request: Request, caller: CallerDep, ticket_id: str, form: FormDep) -> Response:
    """A public reply (the reporter reads it) or, for agents, an internal note."""
    sessions.check_csrf(caller.web, form.get("csrf", ""))
    found = ticket_id_of(ticket_id)
    data, errors = ticket_forms.message(form)
    if data is not None:
        try:
            with writing(caller) as session:
                conversation.post_message(session, caller.principal, ticket_id=found, data=data)
            return RedirectResponse(_back(request, caller, found, "conversation"), status_code=303)
        except InvalidInput as exc:
            errors = ticket_forms.service_errors(exc)
    outcome = {"message_form": {"values": form, "errors": errors}}
    return show_ticket(request, caller, found, 400, **outcome)


@router.post(TICKET + "/attachments")
async def upload(request: Request, caller: CallerDep, ticket_id: str) -> Response:
    """Attach a file to the ticket; a refused file says why at the file field."""
    form = await request.form()
    sessions.check_csrf(caller.web, str(form.get("csrf", "")))
    found = ticket_id_of(ticket_id)
    file = form.get("file")
    if not isinstance(file, UploadFile) or not file.filename:
        return await _refused_file(request, caller, found, CHOOSE_FILE)
    data = await file.read(get_settings().attachment_max_bytes + 1)
    error = await _store(caller, found, file.filename, data)
    if error:
        return await _refused_file(request, caller, found, error)
    return RedirectResponse(_back(request, caller, found, "attachments"), status_code=303)


async def _store(caller: Caller, ticket_id: uuid.UUID, name: str, data: bytes) -> str | None:
    def store() -> str | None:
        try:
            with writing(caller) as session:
                conversation.upload(
                    session, caller.principal, ticket_id=ticket_id, file_name=name, data=data
                )
        except AttachmentTooLarge:
            return TOO_LARGE
        except ContentRefused:
            return REFUSED_FILE
        except VirusFound:
            return VIRUS
        except InvalidInput:  # an empty file
            return CHOOSE_FILE
        return None

    return await run_in_threadpool(store)


async def _refused_file(
    request: Request, caller: Caller, ticket_id: uuid.UUID, error: str
) -> Response:
    outcome = {"attachment_form": {"values": {}, "errors": {"file": error}}}
    return await run_in_threadpool(show_ticket, request, caller, ticket_id, 400, **outcome)


@router.get(TICKET + "/attachments/{attachment_id}")
def download(caller: CallerDep, ticket_id: str, attachment_id: uuid.UUID) -> Response:
    """The file exactly as stored, always as a download (never shown inline)."""
    found = ticket_id_of(ticket_id)
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        attachment, data = conversation.attachment_content(
            session, caller.principal, ticket_id=found, attachment_id=attachment_id
        )
    headers = conversation_api.download_headers(attachment)
    return Response(data, media_type=attachment.content_type, headers=headers)


def _back(request: Request, caller: Caller, ticket_id: uuid.UUID, part: str) -> str:
    return link(request, f"/tickets/{ticket_id}", tenant=caller.tenant) + "#" + part
