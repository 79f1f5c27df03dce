"""What other domains may use of the DAP (the report sender, the availability figures)."""

from services.dap.service import Recipient, maintenance_windows, report_recipients

__all__ = ["Recipient", "maintenance_windows", "report_recipients"]
