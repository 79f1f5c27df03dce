"""The ticket fixtures (a tenant's desk and another's) for the tenant exit tests."""

from tests.tickets.conftest import desk, other

__all__ = ["desk", "other"]
