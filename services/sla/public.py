"""What other domains may use of service level management."""

from services.sla.calendar import ServiceCalendar
from services.sla.clock import (
    KINDS,
    RESPONSE,
    RESTORE_APPLICATION,
    RESTORE_PLATFORM,
    Event,
    decided_at,
)
from services.sla.clocks import (
    ClockHistory,
    clocked_tickets,
    clocks_of,
    drop_clocks_except,
    explain,
    stored_clocks,
    update_clocks,
    update_clocks_of,
)
from services.sla.models import Agreement, Clock
from services.sla.repository import breached, nearing
from services.sla.schemas import AgreementRef, SlaExplanation, agreement_ref
from services.sla.service import in_effect
from services.sla.terms import calendar, default_agreement
from services.sla.warnings import TOPIC as WARNING_TOPIC

__all__ = [
    "KINDS",
    "RESPONSE",
    "RESTORE_APPLICATION",
    "RESTORE_PLATFORM",
    "WARNING_TOPIC",
    "Agreement",
    "AgreementRef",
    "Clock",
    "ClockHistory",
    "Event",
    "ServiceCalendar",
    "SlaExplanation",
    "agreement_ref",
    "breached",
    "calendar",
    "clocked_tickets",
    "clocks_of",
    "decided_at",
    "default_agreement",
    "drop_clocks_except",
    "explain",
    "in_effect",
    "nearing",
    "stored_clocks",
    "update_clocks",
    "update_clocks_of",
]
