"""Audit tests keep their key and checkpoint files in the run's temporary folder."""

from __future__ import annotations

import os

import pytest

from tests.conftest import TMP
from tests.support.smtp_sink import smtp  # noqa: F401  (the mail sink fixture)

# Read when settings are first built (after collection), so set before any test runs.
os.environ.setdefault("REGIE_AUDIT_CHECKPOINT_DIR", str(TMP / "audit-checkpoints"))
os.environ.setdefault("REGIE_AUDIT_KEY_FILE", str(TMP / "audit-signing.key"))


@pytest.fixture(autouse=True)
def capture_installed() -> None:
    """As in the API, the worker and the CLI, whichever test of the run comes first."""
    from audit import public

    public.install()
