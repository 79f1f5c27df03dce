"""What other domains may use of service level management."""

from services.sla.clock import Event
from services.sla.clocks import explain, stored_clocks, update_clocks
from services.sla.schemas import SlaExplanation

__all__ = ["Event", "SlaExplanation", "explain", "stored_clocks", "update_clocks"]
