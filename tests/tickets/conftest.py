"""The real clamd fixture for the attachment tests."""

from tests.support.clamd import clamd

__all__ = ["clamd"]
