"""What other domains may use of service level management."""

from services.sla.calendar import ServiceCalendar
from services.sla.clock import Event
from services.sla.clocks import drop_clocks_except, explain, stored_clocks, update_clocks
from services.sla.schemas import SlaExplanation
from services.sla.service import in_effect
from services.sla.terms import calendar
from services.sla.warnings import TOPIC as WARNING_TOPIC

__all__ = [
    "WARNING_TOPIC",
    "Event",
    "ServiceCalendar",
    "SlaExplanation",
    "calendar",
    "drop_clocks_except",
    "explain",
    "in_effect",
    "stored_clocks",
    "update_clocks",
]
