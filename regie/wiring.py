"""The listeners and senders every process needs, so the API and the worker wire the same.

A ticket changed in a task (a problem's fix resolving its incidents, an SLA escalation) must
notify people, move its clocks and keep its KPI facts exactly as one changed over the API.
"""

from __future__ import annotations

from audit import public as audit_public
from changes import calendar as change_calendar
from changes import impact as change_impact
from changes import improvements as change_improvements
from changes import kpi as change_kpi
from core import events, mailer
from core.identity.events import CredentialRefused
from services.dap import witness
from services.improvement import public as improvement
from services.kpi import public as kpi_public
from tickets import impact, kpi, notifications, sla
from tickets.events import TicketEventRecorded
from tickets.mail import smtp
from tickets.problems import public as problems


def wire() -> None:
    """Install the audit capture, subscribe the domain listeners, and give reports a sender."""
    audit_public.install()
    # Stored calendar entries go stale in the transaction of whatever write alters them.
    change_calendar.install()
    events.subscribe(CredentialRefused, audit_public.record_refused_credential)
    events.subscribe(TicketEventRecorded, notifications.on_ticket_event)
    events.subscribe(TicketEventRecorded, sla.on_ticket_event)
    events.subscribe(TicketEventRecorded, kpi.on_ticket_event)
    # Lower layers may not import tickets: their mail leaves by the notifications' SMTP sender.
    mailer.SENDER = smtp.send
    # Audit cannot know the DAP: each new checkpoint goes to its witness recipients from here.
    events.subscribe(audit_public.CheckpointSigned, witness.on_checkpoint_signed)
    # An improvement may name a problem, or a change whose review raised it, as its source;
    # services cannot look either up.
    improvement.register_source_check(
        improvement.ImprovementSource.problem, problems.problem_exists
    )
    improvement.register_source_check(
        improvement.ImprovementSource.post_implementation_review, change_improvements.change_exists
    )
    # The KPI figures count changes, which services cannot read: changes delivers the facts.
    kpi_public.register_change_source(change_kpi.facts)
    # A CI's impact names the scheduled changes on it, which tickets cannot read.
    impact.register_change_source(change_impact.scheduled_on)
