"""CI imports as the API sees them: accept a file, follow it. Never commits.

A request only checks that the file can be read and records a queued import; the worker
(cmdb.imports.run) checks every row and writes, sent after commit so a rolled-back request
queues nothing.
"""

from __future__ import annotations

import uuid

from sqlmodel import Session

from cmdb import classes, permissions
from cmdb.imports import repository
from cmdb.imports.errors import ImportNotFound, ImportTooLarge
from cmdb.imports.models import CiImport, ImportFormat
from cmdb.imports.rows import Unreadable, items, unknown_columns
from cmdb.imports.schemas import MAX_BYTES, ImportRequest
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.jobs import enqueue_after_commit

RUN = "cmdb.imports.run"


def request_import(session: Session, actor: Principal, *, data: ImportRequest) -> CiImport:
    """A queued import of a readable file into one of the tenant's classes."""
    actor.require(permissions.IMPORT)
    content = data.content.encode("utf-8")
    if len(content) > MAX_BYTES:
        raise ImportTooLarge(f"The file is {len(content)} bytes; the limit is {MAX_BYTES}.")
    found = classes.find(session, data.class_id)
    if found is None:
        raise _invalid("classId", "unknown class")
    try:
        items(content, data.format, found.attributes)
    except Unreadable as exc:
        raise _invalid("content", str(exc)) from None
    if data.format == ImportFormat.csv:
        unknown = unknown_columns(content, found.attributes)
        if unknown:
            reason = "columns that are no field or attribute of the class: " + ", ".join(unknown)
            raise _invalid("content", reason)
    job = CiImport(
        class_id=data.class_id,
        format=data.format,
        dry_run=data.dry_run,
        content=content,
        size=len(content),
        requested_by=actor.label,
        requested_by_name=actor.name,
    )
    session.add(job)
    session.flush()
    enqueue_after_commit(session, RUN, str(job.tenant_id), str(job.id))
    return job


def get_import(session: Session, actor: Principal, *, import_id: uuid.UUID) -> CiImport:
    """The import with its state and report; ImportNotFound for another tenant's."""
    actor.require(permissions.IMPORT)
    found = repository.get(session, import_id)
    if found is None:
        raise ImportNotFound(f"No import with id {import_id}.")
    return found


def _invalid(name: str, reason: str) -> InvalidInput:
    return InvalidInput(
        f"{name}: {reason}.",
        invalidParams=[{"name": name, "pointer": f"/{name}", "reason": reason}],
    )
