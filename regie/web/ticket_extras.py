"""What the ticket page shows besides the ticket itself: its conversation, attachments, SLA
clocks with their timelines, the groups to assign to and the linked problem.

Each is read through the same service function as its API route, under the person's own
principal, so a reporter sees neither internal notes nor internal attachments.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from core.identity.permissions import Principal
from regie.web.ticket_forms import LABELS
from services.sla.schemas import ClockKind
from tickets import groups, permissions, sla
from tickets.conversation import service as conversation
from tickets.models import Line, Ticket, TicketType
from tickets.problems import permissions as problem_permissions
from tickets.problems import service as problems
from tickets.problems.models import ProblemStatus
from tickets.problems.repository import Filters

MESSAGES = 200
# What the page calls each line; None is a ticket not yet with any line.
LINE_NAMES = {
    Line.first: "Line 1",
    Line.second: "Line 2",
    Line.third: "Line 3",
    Line.third_party: "Third party",
    None: "Not assigned",
}
# Every form of the ticket page; a refused one comes back with its values and errors.
FORMS = (
    "status_form",
    "priority_form",
    "assign_form",
    "escalate_form",
    "forward_form",
    "message_form",
    "attachment_form",
    "problem_form",
    "class_form",
    "reject_form",
)
CLOCK_NAMES = {
    ClockKind.response: "Response",
    ClockKind.restore_platform: "Restore (platform)",
    ClockKind.restore_application: "Restore (application)",
}
CLASS_NAMES = {"platform": "Platform", "application": "Application"}
CLOCK_STATES = {"running": "Running", "paused": "Paused", "stopped": "Stopped"}
# Why a clock ran as it did (the SLA domain's reasons), as messages the catalogue translates.
CLOCK_REASONS = {
    "service hours": "In service hours",
    "outside service hours": "Outside service hours",
    "stopped: responded": "Stopped: responded",
}
CLOCK_REASON_PREFIXES = {"paused: ": "Paused: %(status)s", "stopped: ": "Stopped: %(status)s"}


def clock_reason(reason: str) -> tuple[str, str | None]:
    """A timeline reason as a message and, for a pause or stop, the status it names (an
    English label the catalogue translates too); an unknown reason stays as it is."""
    if reason in CLOCK_REASONS:
        return CLOCK_REASONS[reason], None
    for prefix, message in CLOCK_REASON_PREFIXES.items():
        if reason.startswith(prefix):
            status = reason[len(prefix) :]
            return message, LABELS["status"].get(status, status)
    return reason, None


def extras(session: Session, actor: Principal, ticket: Ticket) -> dict[str, Any]:
    """The ticket page's further parts, each as the API would give them to `actor`."""
    messages, _more = conversation.list_messages(
        session, actor, ticket_id=ticket.id, limit=MESSAGES, after=None
    )
    can_work = actor.can(permissions.WORK)
    active = [g for g in groups.list_groups(session, actor) if g.active] if can_work else []
    return {
        "messages": messages,
        "attachments": conversation.list_attachments(session, actor, ticket_id=ticket.id),
        "sla": sla.explain(session, ticket),
        "clock_names": CLOCK_NAMES,
        "line_names": LINE_NAMES,
        "class_names": CLASS_NAMES,
        "clock_states": CLOCK_STATES,
        "clock_reason": clock_reason,
        "groups": active,
        "problem": _problem(session, actor, ticket),
        "open_problems": _open_problems(session, actor, ticket),
    }


def _open_problems(session: Session, actor: Principal, ticket: Ticket) -> list[Any]:
    """The open problems an agent may link this unlinked incident to, newest first."""
    if ticket.type != TicketType.incident or ticket.problem_id is not None:
        return []
    if not (actor.can(problem_permissions.LINK) and problems.can_read(actor)):
        return []
    wanted = [ProblemStatus.new, ProblemStatus.investigating, ProblemStatus.known_error]
    rows, _last = problems.list_problems(
        session, actor, Filters(status=wanted), sort="-createdAt", limit=100, after=None
    )
    return rows


def _problem(session: Session, actor: Principal, ticket: Ticket) -> Any:
    """The linked problem when the person may read problems; its number alone otherwise."""
    if ticket.problem_id is None or not problems.can_read(actor):
        return None
    return problems.get_problem(session, actor, problem_id=ticket.problem_id)
