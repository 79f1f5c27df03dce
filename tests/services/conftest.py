"""The ticket fixtures (a tenant's desk, another's, the real OpenID provider and the supplier
tenant) for the service level tests that build tickets."""

from tests.tickets.conftest import desk, idp, other, supplier

__all__ = ["desk", "idp", "other", "supplier"]
