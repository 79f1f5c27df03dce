"""Reading the ticket forms: typed values, every problem by field name, and the labels shown.

Form fields carry the API's names (`occurredAt`, `precedingActions`, ...), so the service's
`invalidParams` point at the form field that needs fixing without any translation table.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.errors import InvalidInput
from regie.web import AMSTERDAM
from tickets import service
from tickets.conversation.schemas import MessageCreate
from tickets.models import EventKind, Level, Priority, Status, TicketType
from tickets.problems.schemas import (
    ProblemCreate,
    ProblemTransition,
    ProblemUpdate,
    ResolutionCreate,
)
from tickets.schemas import (
    AssignmentCreate,
    ClassChange,
    EscalationCreate,
    Forwarding,
    PriorityChange,
    Rejection,
    TicketCreate,
    TransitionCreate,
)

Model = TypeVar("Model", bound=BaseModel)
Errors = dict[str, str]

REQUIRED = "This field is required."
TOO_LONG = "This text is too long."
NOT_VALID = "This value is not valid."
NOT_A_TIME = "Enter a date and a time."
IN_FUTURE = "This moment lies in the future."
# The service's reasons, as the messages the form shows (and the catalogue translates).
_SERVICE_REASONS = {"required for incidents": REQUIRED, "lies in the future": IN_FUTURE}
# Where the workflow's reason names its own values, what the agent's form says instead.
_FIELD_MESSAGES = {
    "reason": "Give the reason for this change.",
    "resolution": "Say how the ticket was resolved.",
    "priority": "Give a new impact, urgency or priority.",
}
_PYDANTIC_MESSAGES = {
    "missing": REQUIRED,
    "string_too_short": REQUIRED,
    "string_too_long": TOO_LONG,
}

COMMON_FIELDS = ("type", "title", "description", "urgency")
INCIDENT_FIELDS = tuple(service.INCIDENT_FIELDS)  # occurredAt, impact, ... (API names)

# What the error summary calls each field (the same words as the field's own label).
FIELD_LABELS = {
    "form": "Form",
    "type": "Type",
    "title": "Title",
    "description": "Description",
    "urgency": "Urgency",
    "occurredAt": "When did it occur?",
    "impact": "Impact on your work",
    "precedingActions": "What did you do just before?",
    "reproducible": "Does it happen again when you repeat that?",
    "investigation": "What did you do to find the cause?",
    "causeOutsideService": "Could the cause lie in your own or a third party's systems?",
    "status": "New status",
    "reason": "Reason",
    "resolution": "Resolution",
    "priority": "Priority",
    "groupId": "Group",
    "assigneeId": "Assignee",
    "kind": "Kind of escalation",
    "thirdParty": "Third party",
    "externalReference": "Their reference",
    "body": "Message",
    "visibility": "Visible to",
    "file": "File",
    "incidentClass": "Class",
    "rootCause": "Root cause",
    "workaround": "Workaround",
    "problemId": "Problem",
}

LABELS: dict[str, dict[str, str]] = {
    "type": {
        TicketType.incident: "Incident",
        TicketType.service_request: "Service request",
        TicketType.question: "Question",
        TicketType.change_request: "Change request",
        TicketType.onboarding: "A colleague joins (grant access)",
        TicketType.offboarding: "A colleague leaves (revoke access)",
    },
    "status": {
        Status.new: "New",
        Status.assigned: "Assigned",
        Status.in_progress: "In progress",
        Status.needs_information: "Needs information",
        Status.waiting_reporter: "Waiting for the reporter",
        Status.waiting_third_party: "Waiting for a third party",
        Status.waiting_change: "Waiting for a change",
        Status.resolved: "Resolved",
        Status.closed: "Closed",
        Status.rejected: "Rejected",
    },
    "priority": {
        Priority.urgent: "Urgent",
        Priority.high: "High",
        Priority.medium: "Medium",
        Priority.low: "Low",
    },
    "level": {Level.high: "High", Level.medium: "Medium", Level.low: "Low"},
    "event": {
        EventKind.created: "Reported",
        EventKind.status: "Status changed",
        EventKind.priority: "Priority changed",
        EventKind.assignment: "Assigned",
        EventKind.escalation: "Escalated",
        EventKind.forwarded: "Forwarded to a third party",
        EventKind.converted: "Converted to a service request",
        EventKind.linked: "Linked",
        EventKind.redacted: "Personal data removed",
        EventKind.responded: "First response",
        EventKind.replied: "Reply",
        EventKind.workaround: "Workaround published",
        EventKind.alert: "Monitoring alert added",
        EventKind.classified: "Class changed",
    },
}


def fields_for(ticket_type: str) -> tuple[str, ...]:
    """The fields a report of this type asks for: incidents add the incident report."""
    return COMMON_FIELDS + (INCIDENT_FIELDS if ticket_type == TicketType.incident else ())


def ticket_create(form: Mapping[str, str]) -> tuple[TicketCreate | None, Errors]:
    """The ticket the report form describes, or every problem with it at once."""
    ticket_type = form.get("type", "")
    values: dict[str, Any] = {name: _text(form, name) for name in fields_for(ticket_type)}
    errors: Errors = {}
    if ticket_type == TicketType.incident:
        values["occurredAt"] = _local_time(values["occurredAt"], "occurredAt", errors)
        for name in ("reproducible", "causeOutsideService"):
            values[name] = _yes_no(values[name], name, errors)
        errors = _incident_report_errors(values) | errors
    data, invalid = validated(TicketCreate, values)
    errors = invalid | errors
    return (None if errors else data), errors


def transition(form: Mapping[str, str]) -> tuple[TransitionCreate | None, Errors]:
    values = {name: _text(form, name) for name in ("status", "reason", "resolution")}
    return validated(TransitionCreate, values)


def priority_change(form: Mapping[str, str]) -> tuple[PriorityChange | None, Errors]:
    values = {name: _text(form, name) for name in ("impact", "urgency", "priority", "reason")}
    return validated(PriorityChange, values)


def assignment(form: Mapping[str, str], me: Any) -> tuple[AssignmentCreate | None, Errors]:
    """The group (and, when ticked, the agent themself as assignee) the form assigns to."""
    values: dict[str, Any] = {n: _text(form, n) for n in ("groupId", "reason")}
    values["assigneeId"] = me if form.get("assignToMe") == "1" else None
    return validated(AssignmentCreate, values)


def escalation(form: Mapping[str, str]) -> tuple[EscalationCreate | None, Errors]:
    return validated(EscalationCreate, {n: _text(form, n) for n in ("kind", "reason", "groupId")})


def forwarding(form: Mapping[str, str]) -> tuple[Forwarding | None, Errors]:
    names = ("thirdParty", "externalReference", "reason")
    return validated(Forwarding, {n: _text(form, n) for n in names})


def class_change(form: Mapping[str, str]) -> tuple[ClassChange | None, Errors]:
    return validated(ClassChange, {n: _text(form, n) for n in ("incidentClass", "reason")})


def rejection(form: Mapping[str, str]) -> tuple[Rejection | None, Errors]:
    """The reason, and whether to file the same request again as a service request."""
    values: dict[str, Any] = {"reason": _text(form, "reason")}
    values["convertToServiceRequest"] = form.get("convertToServiceRequest") == "1"
    return validated(Rejection, values)


def problem_create(form: Mapping[str, str]) -> tuple[ProblemCreate | None, Errors]:
    names = ("title", "description", "priority", "rootCause", "workaround")
    return validated(ProblemCreate, {n: _text(form, n) for n in names})


def problem_details(form: Mapping[str, str]) -> tuple[ProblemUpdate | None, Errors]:
    """The root cause, workaround and priority as the form has them (empty ones unchanged)."""
    names = ("priority", "rootCause", "workaround")
    return validated(ProblemUpdate, {n: _text(form, n) for n in names})


def problem_resolution(form: Mapping[str, str]) -> tuple[ResolutionCreate | None, Errors]:
    """How the problem was solved, and whether its open incidents are resolved with it."""
    values: dict[str, Any] = {"resolution": _text(form, "resolution")}
    values["resolveIncidents"] = form.get("resolveIncidents") == "1"
    return validated(ResolutionCreate, values)


def problem_transition(form: Mapping[str, str]) -> tuple[ProblemTransition | None, Errors]:
    return validated(ProblemTransition, {n: _text(form, n) for n in ("status", "reason")})


def message(form: Mapping[str, str]) -> tuple[MessageCreate | None, Errors]:
    return validated(MessageCreate, {n: _text(form, n) for n in ("body", "visibility")})


def validated(model: type[Model], values: dict[str, Any]) -> tuple[Model | None, Errors]:
    """The model from the filled-in values (empty ones left out), or the errors by field."""
    try:
        return model.model_validate({k: v for k, v in values.items() if v is not None}), {}
    except ValidationError as exc:
        errors: Errors = {}
        for err in exc.errors():
            name = str(err["loc"][0]) if err["loc"] else "form"
            errors.setdefault(name, _PYDANTIC_MESSAGES.get(err["type"], NOT_VALID))
        return None, errors


def service_errors(exc: InvalidInput) -> Errors:
    """The service's invalid fields as form errors; a reason it gives without a field is kept
    under `form`, so the page can still say what went wrong."""
    errors: Errors = {}
    for param in exc.extra.get("invalidParams", []):
        name, reason = str(param.get("name", "form")), str(param.get("reason", ""))
        errors.setdefault(name, _SERVICE_REASONS.get(reason) or _FIELD_MESSAGES.get(name, reason))
    return errors or {"form": exc.detail}


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _local_time(value: str | None, name: str, errors: Errors) -> datetime | None:
    """A datetime-local input means Amsterdam time: reporters think in their own clock."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=AMSTERDAM)
    except ValueError:
        errors[name] = NOT_A_TIME
        return None


def _yes_no(value: str | None, name: str, errors: Errors) -> bool | None:
    if value is None:
        return None
    if value not in ("yes", "no"):
        errors[name] = NOT_VALID
        return None
    return value == "yes"


def _incident_report_errors(values: dict[str, Any]) -> Errors:
    """The service's own incident check, run early so the reporter sees every gap at once."""
    by_attribute = {attr: values.get(api) for api, attr in service.INCIDENT_FIELDS.items()}
    try:
        service.check_incident_report(by_attribute)
    except InvalidInput as exc:
        return service_errors(exc)
    return {}
