"""Incidents opened by monitoring: the incident report filled from the alert, the service
account as reporter, and the settings of the matching rules."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.identity.permissions import Principal
from core.types import utcnow
from tickets import repository as ticket_repository
from tickets import service as ticket_service
from tickets import workflow
from tickets.alerts.normalize import Alert
from tickets.alerts.rules import Chosen
from tickets.lifecycle import priority_for
from tickets.models import EventKind, IncidentClass, Level, Ticket, TicketType

# What an alert cannot know is said so, rather than left for the intake check to refuse.
NOT_INVESTIGATED = (
    "Not investigated yet: opened automatically from a monitoring alert. Whether the cause "
    "lies outside the service and whether it reproduces are still to be assessed."
)


def incident_report(alert: Alert) -> dict[str, object]:
    """The SLA's incident-report items as far as monitoring can fill them."""
    return {
        # A sender's clock ahead of ours must not make the report "in the future".
        "occurred_at": min(alert.starts_at, utcnow()),
        "preceding_actions": f"Raised by monitoring ({alert.source})",
        "reproducible": False,
        "investigation": NOT_INVESTIGATED,
        "cause_outside_service": False,
    }


def open_incident(
    session: Session,
    actor: Principal,
    alert: Alert,
    chosen: Chosen,
    *,
    ci_id: uuid.UUID | None = None,
) -> Ticket:
    """Register an incident for the alert, reported by the service account that posted it,
    on the CI an alert CI rule named."""
    report = incident_report(alert)
    impact, urgency = chosen.impact or Level.medium, chosen.urgency or Level.medium
    ticket_service.check_incident_report({**report, "impact": impact})
    matrix = ticket_service.ticket_settings(session).priority_matrix
    ticket = Ticket(
        type=TicketType.incident,
        incident_class=IncidentClass.platform,  # monitoring watches the platform
        title=alert.summary,
        description=alert.description,
        impact=impact,
        urgency=urgency,
        priority=chosen.priority or priority_for(impact, urgency, matrix),
        reporter_id=actor.actor_id,
        reporter_name=actor.name,
        service_id=chosen.service_id,
        ci_id=ci_id,
        number=ticket_repository.take_number(session),
        **report,  # type: ignore[arg-type]
    )
    session.add(ticket)
    session.flush()
    ticket_service.record(session, actor, ticket, EventKind.created, after=ticket.status.value)
    if chosen.group_id is not None:
        assign_group(session, actor, ticket, chosen.group_id, reason="Alert rule")
    return ticket


def assign_group(
    session: Session, actor: Principal, ticket: Ticket, group_id: uuid.UUID, *, reason: str
) -> bool:
    """Put the ticket in the group's queue (history rows included); False when the group is
    gone or inactive, and the ticket then stays unassigned."""
    group = ticket_repository.group(session, group_id)
    if group is None or not group.active:
        return False
    workflow.assign_to_group(session, actor, ticket, group, reason=reason)
    return True
