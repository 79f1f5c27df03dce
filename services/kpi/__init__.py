"""KPI figures of service level management, computed from stored clocks and ticket facts."""
