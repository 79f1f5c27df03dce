"""Outages and the monthly availability within service hours."""
