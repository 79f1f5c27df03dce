"""Reading the change forms into the changes API's shapes, with every problem by field name.

Form fields carry the API's names (`plannedStart`, `expectedMinutes`, ...), so the service's
`invalidParams` point at the form field that needs fixing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from changes.schemas import (
    AssessmentCreate,
    ChangeCreate,
    ChangeTransition,
    ChangeUpdate,
    ReviewCreate,
    RollbackCreate,
    RollbackPlan,
    RollbackTest,
    VoteCreate,
)
from core.errors import AppError
from regie.web import ticket_forms
from regie.web.ticket_forms import REQUIRED, Errors, _local_time, _text, validated

# The forms of a change's page, each shown again with its values when refused.
CHANGE_FORMS = (
    "review_form",
    "plan_form",
    "test_form",
    "status_form",
    "assess_form",
    "vote_form",
    "rollback_form",
)
FIELD_LABELS = {
    "form": "Form",
    "type": "Type",
    "templateId": "Template",
    "title": "Title",
    "description": "Description",
    "reason": "Reason",
    "serviceIds": "Services affected",
    "ciIds": "Configuration items affected",
    "plannedStart": "Planned start",
    "plannedEnd": "Planned end",
    "implementerId": "Implementer",
    "implementerName": "Implementer",
    "rollbackPlan": "Rollback plan",
    "steps": "Steps, one per line, in order",
    "expectedMinutes": "Expected duration in minutes",
    "executor": "Who executes the rollback",
    "trigger": "When to roll back",
    "environment": "Tested where",
    "testedAt": "Tested when",
    "testedBy": "Tested by",
    "evidenceUrl": "Evidence (link to the test report)",
    "answers": "Answers",
    "decision": "Decision",
    "startedAt": "Started",
    "endedAt": "Ended",
    "outcome": "Outcome",
    "notes": "Notes",
    "status": "Status",
    "lessons": "Lessons learned",
    "review": "Review",
    "incidentIds": "Incidents the change caused",
}
# What the service's reasons mean for the person filling in the form.
_REASONS = {
    "required": REQUIRED,
    "unknown service": "Choose a service of this organisation.",
    "unknown configuration item": "Choose a configuration item of this organisation.",
    "must be after plannedStart": "The end must lie after the start.",
    "a standard change names its template": "Choose the template of the standard change.",
    "only a standard change has a template": "Only a standard change has a template.",
    "unknown template": "Choose a template of this organisation.",
    "the template is inactive": "Choose a template that is in use.",
    "before startedAt": "The end must lie after the start.",
    "no incident of this organisation": "Choose incidents of this organisation.",
    "not a member of an assignment group of this organisation": (
        "Choose yourself or a member of an assignment group of this organisation."
    ),
}


def change_create(values: Mapping[str, Any]) -> tuple[ChangeCreate | None, Errors]:
    """A new draft from the form; the implementer is named by id, the API adds the name."""
    errors: Errors = {}
    data: dict[str, Any] = {n: _text(values, n) for n in ("type", "templateId")}
    data |= details(values, errors)
    if data["implementerId"] is None:
        del data["implementerId"]
    if data["type"] != "standard":
        data["templateId"] = None
    found, invalid = validated(ChangeCreate, data)
    errors = _flat(invalid) | errors
    return (None if errors else found), errors


def details(values: Mapping[str, Any], errors: Errors) -> dict[str, Any]:
    """The fields raising and editing a change share, by their API names."""
    data: dict[str, Any] = {n: _text(values, n) for n in ("title", "description", "reason")}
    data["serviceIds"] = list(values.get("serviceIds") or [])
    data["ciIds"] = list(values.get("ciIds") or [])
    for name in ("plannedStart", "plannedEnd"):
        data[name] = _local_time(_text(values, name), name, errors)
    data["implementerId"] = _text(values, "implementerId")
    data["causesDowntime"] = values.get("causesDowntime") == "1"
    return data


def plan(form: Mapping[str, str]) -> tuple[ChangeUpdate | None, Errors]:
    """The rollback plan: its steps one per line, in the order they are taken."""
    lines = [line.strip() for line in form.get("steps", "").splitlines() if line.strip()]
    values: dict[str, Any] = {n: _text(form, n) for n in ("expectedMinutes", "executor", "trigger")}
    values["steps"] = [{"action": line} for line in lines] or None
    minutes = values["expectedMinutes"]
    bad: Errors = {}
    if minutes is not None:
        try:
            values["expectedMinutes"] = int(minutes)
        except ValueError:
            bad["expectedMinutes"] = ticket_forms.NOT_VALID
    found, errors = validated(RollbackPlan, values)
    errors = _flat(errors) | bad
    if found is None or errors:
        return None, errors
    return ChangeUpdate(rollback_plan=found), {}


def rollback_test(form: Mapping[str, str]) -> tuple[RollbackTest | None, Errors]:
    """Where, when and by whom the plan was rehearsed, and the link to the evidence."""
    errors: Errors = {}
    values: dict[str, Any] = {n: _text(form, n) for n in ("environment", "testedBy", "evidenceUrl")}
    values["testedAt"] = _local_time(_text(form, "testedAt"), "testedAt", errors)
    found, invalid = validated(RollbackTest, values)
    errors = _flat(invalid) | errors
    return (None if errors else found), errors


def transition(form: Mapping[str, str]) -> tuple[ChangeTransition | None, Errors]:
    """The step a button takes, with the reason cancelling and a failure need."""
    return validated(ChangeTransition, {n: _text(form, n) for n in ("status", "reason")})


def assessment(
    form: Mapping[str, str], questions: list[dict[str, Any]]
) -> tuple[AssessmentCreate | None, Errors]:
    """One answer per question of the tenant's questionnaire; each unanswered one is named."""
    answers = {q["key"]: form.get(f"answer-{q['key']}", "") for q in questions}
    errors = {f"answer-{key}": REQUIRED for key, answer in answers.items() if not answer}
    if errors:
        return None, errors
    found, invalid = validated(AssessmentCreate, {"answers": answers})
    return found, _flat(invalid)


def vote(form: Mapping[str, str]) -> tuple[VoteCreate | None, Errors]:
    """Approve or reject, always with a reason."""
    found, errors = validated(VoteCreate, {n: _text(form, n) for n in ("decision", "reason")})
    return found, _flat(errors)


def rollback(form: Mapping[str, str]) -> tuple[RollbackCreate | None, Errors]:
    """A rollback that happened: start, end (Amsterdam time), outcome and notes."""
    errors: Errors = {}
    values: dict[str, Any] = {n: _text(form, n) for n in ("outcome", "notes")}
    for name in ("startedAt", "endedAt"):
        values[name] = _local_time(_text(form, name), name, errors)
    found, invalid = validated(RollbackCreate, values)
    errors = _flat(invalid) | errors
    return (None if errors else found), errors


def review(form: Mapping[str, Any]) -> tuple[ReviewCreate | None, Errors]:
    """How the change went, the incidents it caused and what we learn from it."""
    values: dict[str, Any] = {n: _text(form, n) for n in ("outcome", "lessons")}
    values["incidentIds"] = list(form.get("incidentIds") or [])
    found, errors = validated(ReviewCreate, values)
    return found, _flat(errors)


def service_errors(exc: AppError) -> Errors:
    """The service's invalid fields as form errors, each in words the form's reader knows."""
    errors: Errors = {}
    for param in exc.extra.get("invalidParams", []):
        name = str(param.get("name", "form")).split(".")[0]
        reason = str(param.get("reason", ""))
        errors.setdefault(name, _REASONS.get(reason, ticket_forms.NOT_VALID))
    return errors or {"form": exc.detail}


def _flat(errors: Errors) -> Errors:
    """Errors of list items (`serviceIds.0`) belong to the list's field."""
    found: Errors = {}
    for name, message in errors.items():
        found.setdefault(name.split(".")[0], message)
    return found
