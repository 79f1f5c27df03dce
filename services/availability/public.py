"""What other domains may use of outages and availability."""

from services.availability.compute import BY_AGREEMENT, percent_available
from services.availability.models import Cause, Outage, Scope
from services.availability.permissions import MANAGE, READ
from services.availability.schemas import (
    Availability,
    CountedOutage,
    ExcludedOutage,
    OutageCreate,
    OutageOverrides,
    OutagePublic,
    outage_public,
)
from services.availability.service import create_outage, monthly_availability, outage_exists

__all__ = [
    "BY_AGREEMENT",
    "MANAGE",
    "READ",
    "Availability",
    "Cause",
    "CountedOutage",
    "ExcludedOutage",
    "Outage",
    "OutageCreate",
    "OutageOverrides",
    "OutagePublic",
    "Scope",
    "create_outage",
    "monthly_availability",
    "outage_exists",
    "outage_public",
    "percent_available",
]
