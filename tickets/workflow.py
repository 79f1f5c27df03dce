"""Working a ticket: status transitions, assignment, escalation, priority, rejection,
forwarding. Each change is a history row with who, when and why."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from core.api.etag import check_if_match
from core.db import touch
from core.errors import InvalidInput
from core.identity.permissions import Principal
from core.types import utcnow
from tickets import lifecycle, permissions, repository
from tickets.errors import GroupNotFound, TransitionRefused
from tickets.models import AssignmentGroup, EventKind, Line, Status, Ticket, TicketType
from tickets.references import forwarded_to
from tickets.schemas import (
    AssignmentCreate,
    ClassChange,
    EscalationCreate,
    EscalationKind,
    Forwarding,
    PriorityChange,
    Rejection,
    TransitionCreate,
)
from tickets.service import create_converted, get_ticket, record, ticket_settings

_NEXT_LINE = {Line.first: Line.second, Line.second: Line.third, Line.third: Line.third_party}
# Reasons are demanded where someone later needs to know why.
_NEEDS_REASON = lifecycle.PAUSED | {Status.rejected}


def _load(session: Session, actor: Principal, ticket_id: uuid.UUID, if_match: str | None) -> Ticket:
    actor.require(permissions.WORK)
    ticket = get_ticket(session, actor, ticket_id=ticket_id, for_update=True)
    check_if_match(if_match, ticket.version)
    return ticket


def _missing(name: str, why: str) -> InvalidInput:
    return InvalidInput(why, invalidParams=[{"name": name, "pointer": f"/{name}", "reason": why}])


def transition(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: TransitionCreate,
    if_match: str | None,
) -> Ticket:
    """Move the ticket along an allowed transition; reopening only within the tenant's window."""
    ticket = _load(session, actor, ticket_id, if_match)
    current, wanted = ticket.status, data.status
    if not lifecycle.allowed(current, wanted):
        raise TransitionRefused(f"A ticket cannot go from {current.value} to {wanted.value}.")
    reopening = current in lifecycle.REOPENED_FROM and wanted not in lifecycle.DONE
    if (wanted in _NEEDS_REASON or reopening) and not data.reason:
        raise _missing("reason", f"A reason is required to set {wanted.value}.")
    if wanted == Status.resolved and not data.resolution:
        raise _missing("resolution", "Say how the ticket was resolved.")
    if reopening:
        _check_reopen_window(session, ticket)
    if wanted == Status.assigned and ticket.group_id is None:
        raise TransitionRefused("Assign the ticket to a group first.")
    _apply_status(session, actor, ticket, wanted, reason=data.reason, resolution=data.resolution)
    return touch(session, ticket)


def _check_reopen_window(session: Session, ticket: Ticket) -> None:
    days = ticket_settings(session).reopen_days
    if ticket.resolved_at is None or utcnow() - ticket.resolved_at > timedelta(days=days):
        raise TransitionRefused(
            f"This ticket was resolved more than {days} days ago; report a new one instead."
        )


def _apply_status(
    session: Session,
    actor: Principal,
    ticket: Ticket,
    wanted: Status,
    *,
    reason: str | None,
    resolution: str | None = None,
) -> None:
    before = ticket.status
    ticket.status = wanted
    now = utcnow()
    if wanted == Status.resolved:
        ticket.resolved_at, ticket.resolution = now, resolution
    elif wanted == Status.closed:
        ticket.closed_at = now
    elif before in lifecycle.REOPENED_FROM:
        ticket.resolved_at = ticket.closed_at = None
    record(
        session,
        actor,
        ticket,
        EventKind.status,
        before=before.value,
        after=wanted.value,
        reason=reason,
    )
    if wanted == Status.in_progress:
        mark_responded(session, actor, ticket)


def mark_responded(session: Session, actor: Principal, ticket: Ticket) -> None:
    """The supplier's first reaction (work started or a public answer) stops the response
    clock; later ones change nothing."""
    if ticket.responded_at is None:
        ticket.responded_at = utcnow()
        record(session, actor, ticket, EventKind.responded)


def resolve(session: Session, actor: Principal, ticket: Ticket, *, resolution: str) -> bool:
    """Resolve an open ticket as part of another operation (a problem's fix); False when it
    was already done."""
    return follow(session, actor, ticket, Status.resolved, reason=None, resolution=resolution)


def follow(
    session: Session,
    actor: Principal,
    ticket: Ticket,
    wanted: Status,
    *,
    reason: str | None,
    resolution: str | None = None,
) -> bool:
    """Move an open ticket as part of another operation (a problem's fix, the change it waits
    on), with its history row; False when its life cycle does not allow the step from here."""
    if ticket.status in lifecycle.DONE or not lifecycle.allowed(ticket.status, wanted):
        return False
    _apply_status(session, actor, ticket, wanted, reason=reason, resolution=resolution)
    touch(session, ticket)
    return True


def assign(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: AssignmentCreate,
    if_match: str | None,
) -> Ticket:
    """Put the ticket in a group's queue, optionally with one of its members."""
    ticket = _load(session, actor, ticket_id, if_match)
    group = _group(session, data.group_id)
    _assign(session, actor, ticket, group, data.assignee_id, data.reason, EventKind.assignment)
    return touch(session, ticket)


def _group(session: Session, group_id: uuid.UUID) -> AssignmentGroup:
    group = repository.group(session, group_id)
    if group is None or not group.active:
        raise GroupNotFound(f"No active assignment group with id {group_id}.")
    return group


def _assign(
    session: Session,
    actor: Principal,
    ticket: Ticket,
    group: AssignmentGroup,
    assignee_id: uuid.UUID | None,
    reason: str | None,
    kind: EventKind,
    **data: str,
) -> None:
    name = None
    if assignee_id is not None:
        member = repository.member(session, group.id, assignee_id)
        if member is None:
            raise _missing("assigneeId", "The assignee is not a member of this group.")
        name = member.member_name
    before = f"{ticket.group_id}/{ticket.assignee_id or ''}" if ticket.group_id else None
    ticket.group_id, ticket.line = group.id, group.line
    ticket.assignee_id, ticket.assignee_name = assignee_id, name
    record(
        session,
        actor,
        ticket,
        kind,
        before=before,
        after=f"{group.id}/{assignee_id or ''}",
        reason=reason,
        group=group.name,
        line=group.line.value,
        assignee=name or "",
        **data,
    )
    if ticket.status == Status.new:
        _apply_status(session, actor, ticket, Status.assigned, reason=None)


def escalate(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: EscalationCreate,
    if_match: str | None,
) -> Ticket:
    """Functional: to the next line's group. Hierarchical: to the current group's manager."""
    ticket = _load(session, actor, ticket_id, if_match)
    if data.kind == EscalationKind.hierarchical:
        _escalate_to_manager(session, actor, ticket, data.reason)
        return touch(session, ticket)
    current = _group(session, ticket.group_id) if ticket.group_id else None
    target = _next_group(session, current, data.group_id)
    _assign(
        session,
        actor,
        ticket,
        target,
        None,
        data.reason,
        EventKind.escalation,
        escalation="functional",
    )
    return touch(session, ticket)


def _next_group(
    session: Session, current: AssignmentGroup | None, wanted: uuid.UUID | None
) -> AssignmentGroup:
    line = _NEXT_LINE.get(current.line) if current else Line.first
    if line is None:
        raise TransitionRefused("This ticket is already with a third party; forward it instead.")
    if wanted is not None:
        group = _group(session, wanted)
        if group.line != line:
            raise _missing("groupId", f"Escalate to a group on line {line.value}.")
        return group
    candidates = repository.groups(session, line=line)
    if not candidates:
        raise TransitionRefused(f"There is no active group on line {line.value}.")
    return candidates[0]


def _escalate_to_manager(session: Session, actor: Principal, ticket: Ticket, reason: str) -> None:
    group = _group(session, ticket.group_id) if ticket.group_id else None
    if group is None or group.manager_id is None:
        raise TransitionRefused("The ticket's group has no manager to escalate to.")
    record_manager_escalation(session, actor, ticket, group, reason)


def record_manager_escalation(
    session: Session,
    actor: Principal,
    ticket: Ticket,
    group: AssignmentGroup,
    reason: str,
    **data: Any,
) -> None:
    """The history row of a hierarchical escalation to `group`'s manager (who is told)."""
    record(
        session,
        actor,
        ticket,
        EventKind.escalation,
        after=str(group.manager_id),
        reason=reason,
        escalation="hierarchical",
        manager=group.manager_name or "",
        **data,
    )


def assign_to_group(
    session: Session, actor: Principal, ticket: Ticket, group: AssignmentGroup, *, reason: str
) -> None:
    """Put the ticket in `group`'s queue without an assignee, as an assignment does."""
    _assign(session, actor, ticket, group, None, reason, EventKind.assignment)


def change_priority(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: PriorityChange,
    if_match: str | None,
) -> Ticket:
    """A new impact, urgency or explicit priority, with the reason; the old one stays history."""
    ticket = _load(session, actor, ticket_id, if_match)
    if data.impact is None and data.urgency is None and data.priority is None:
        raise _missing("priority", "Give a new impact, urgency or priority.")
    ticket.impact = data.impact or ticket.impact
    ticket.urgency = data.urgency or ticket.urgency
    before = ticket.priority
    matrix = ticket_settings(session).priority_matrix
    ticket.priority = data.priority or lifecycle.priority_for(ticket.impact, ticket.urgency, matrix)
    record(
        session,
        actor,
        ticket,
        EventKind.priority,
        before=before.value,
        after=ticket.priority.value,
        reason=data.reason,
        impact=ticket.impact.value,
        urgency=ticket.urgency.value,
    )
    return touch(session, ticket)


def change_class(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: ClassChange,
    if_match: str | None,
) -> Ticket:
    """Classify an incident as platform or application, with the reason; its restore clock
    and KPI follow, and the old class stays history."""
    ticket = _load(session, actor, ticket_id, if_match)
    if ticket.type != TicketType.incident:
        raise TransitionRefused("Only incidents have a class.")
    if data.incident_class == ticket.incident_class:
        raise _missing("incidentClass", f"The incident is already {data.incident_class.value}.")
    before = ticket.incident_class
    ticket.incident_class = data.incident_class
    record(
        session,
        actor,
        ticket,
        EventKind.classified,
        before=before.value if before else None,
        after=data.incident_class.value,
        reason=data.reason,
    )
    return touch(session, ticket)


def reject(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: Rejection,
    if_match: str | None,
) -> tuple[Ticket, Ticket | None]:
    """Reject an incident as not attributable to the supplier; optionally file it again as a
    service request in the same step. Returns the rejected ticket and the new one."""
    ticket = _load(session, actor, ticket_id, if_match)
    if ticket.type != TicketType.incident:
        raise TransitionRefused("Only incidents are rejected as not attributable.")
    if not lifecycle.allowed(ticket.status, Status.rejected):
        raise TransitionRefused(f"A ticket cannot go from {ticket.status.value} to rejected.")
    _apply_status(session, actor, ticket, Status.rejected, reason=data.reason)
    converted = None
    if data.convert_to_service_request:
        converted = create_converted(session, actor, ticket)
        ticket.converted_to_id = converted.id
        record(
            session, actor, ticket, EventKind.converted, after=converted.number, reason=data.reason
        )
    touch(session, ticket)
    return ticket, converted


def forward(
    session: Session,
    actor: Principal,
    *,
    ticket_id: uuid.UUID,
    data: Forwarding,
    if_match: str | None,
) -> Ticket:
    """Hand the ticket to a third party under its reference; the clock waits for them."""
    ticket = _load(session, actor, ticket_id, if_match)
    third_party = forwarded_to(session, data)
    if ticket.status in lifecycle.DONE:
        raise TransitionRefused("A finished ticket cannot be forwarded.")
    ticket.third_party, ticket.external_reference = third_party, data.external_reference
    supplier = {"supplierId": str(data.supplier_id)} if data.supplier_id else {}
    record(
        session,
        actor,
        ticket,
        EventKind.forwarded,
        after=third_party,
        reason=data.reason,
        externalReference=data.external_reference,
        **supplier,
    )
    if ticket.status != Status.waiting_third_party:
        _apply_status(
            session,
            actor,
            ticket,
            Status.waiting_third_party,
            reason=f"Forwarded to {third_party}",
        )
    return touch(session, ticket)
