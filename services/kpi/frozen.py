"""The frozen figures of closed months, and the payload their signature covers.

Once a month is closed (services.kpi.closing), the figures of that month are the stored
snapshot: `GET /kpis?period=2026-11`, the overview and the yearly assessment answer it, byte
for byte what was served when the month was closed, whatever agreement version or ticket
changes follow. Quarters and years are always computed from the rows.

The signed payload, for anyone verifying with the key of GET /api/v1/audit/public-key:

    payload = canonical JSON (keys sorted at every level, separators "," and ":", UTF-8,
              non-ASCII as is) of
              {"evidenceHash": <hex>, "figures": <the figures document, by alias, as served>,
               "month": "YYYY-MM", "tenantId": "<uuid>"}
    message = b"regie-kpi-month/v1\\n" + payload
    Ed25519 signature of `message`, in hex.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from audit import public as audit
from services.kpi import repository
from services.kpi.errors import MonthClosed
from services.kpi.figures import Period, canonical_json
from services.kpi.models import ClosedMonth
from services.kpi.schemas import KpiFigures, month_text

PURPOSE = "kpi-month"


def figures(session: Session, period: Period) -> KpiFigures | None:
    """The frozen figures when `period` is a closed month; None otherwise (also for quarters
    and years, which are computed from the rows)."""
    if period.kind != "month":
        return None
    row = repository.closed_month(session, period.first_day)
    return KpiFigures.model_validate(row.figures) if row is not None else None


def is_closed(session: Session, period: Period) -> bool:
    """Whether `period` is a month that was closed."""
    return period.kind == "month" and repository.closed_month(session, period.first_day) is not None


def closed_figures(session: Session, months: Sequence[date]) -> dict[date, KpiFigures]:
    """The frozen figures of those of `months` that were closed, by month."""
    rows = repository.closed_months_in(session, months)
    return {row.month: KpiFigures.model_validate(row.figures) for row in rows}


def refuse_closed(session: Session, month: date) -> None:
    """MonthClosed (409) when `month` was closed: its exclusions are settled for good."""
    if repository.closed_month(session, month) is not None:
        raise MonthClosed(f"{month_text(month)} is closed; its exclusions can no longer change.")


def signed_payload(
    tenant_id: uuid.UUID, month: date, figures: dict[str, Any], evidence_hash: str
) -> bytes:
    """The bytes the signature covers (see the module's docstring)."""
    return canonical_json(
        {
            "evidenceHash": evidence_hash,
            "figures": figures,
            "month": month_text(month),
            "tenantId": str(tenant_id),
        }
    )


def sign(
    tenant_id: uuid.UUID, month: date, figures: dict[str, Any], evidence_hash: str
) -> tuple[str, str]:
    """(signature hex, key id) of the snapshot, with the audit signing key."""
    return audit.sign_document(PURPOSE, signed_payload(tenant_id, month, figures, evidence_hash))


def signature_valid(row: ClosedMonth) -> bool:
    """Whether the stored signature covers the stored snapshot, checked with the audit key."""
    payload = signed_payload(row.tenant_id, row.month, row.figures, row.evidence_hash)
    return audit.verify_document(PURPOSE, payload, row.signature)
