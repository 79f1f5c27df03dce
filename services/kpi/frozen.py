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

The API does not hold the signing key: closing a month stores the snapshot unsigned and, in
the same transaction, asks the worker through the outbox to sign it (`request_signature`).
The worker signs once (`sign_closed_month`); until then the month's signature is "pending",
which is neither valid nor invalid. It signs only a snapshot equal to what the audit log
recorded when the month was closed: one changed in between is left unsigned, and the worker
records a `closed-month-altered` security event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session

from audit import public as audit
from core.outbox import service as outbox
from services.kpi import repository
from services.kpi.errors import MonthClosed
from services.kpi.figures import Period, canonical_json
from services.kpi.models import ClosedMonth
from services.kpi.schemas import KpiFigures, SignatureState, month_text

PURPOSE = "kpi-month"


class SnapshotAltered(RuntimeError):
    """A closed month's stored snapshot differs from what the audit log recorded at closing."""


SIGN_REQUESTED = "services.kpi.sign_closed_month"


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
    """(signature hex, key id) of the snapshot, with the audit signing key (the worker's)."""
    return audit.sign_document(PURPOSE, signed_payload(tenant_id, month, figures, evidence_hash))


def request_signature(session: Session, row: ClosedMonth) -> None:
    """Ask the worker to sign `row`, in the transaction that stores it: committed together,
    so no closed month is left unsigned by a crash between commit and signing."""
    outbox.publish(
        session, SIGN_REQUESTED, {"closedMonthId": str(row.id), "month": month_text(row.month)}
    )


def sign_closed_month(session: Session, month_id: uuid.UUID) -> ClosedMonth | None:
    """Sign the stored snapshot once: a month signed already keeps its signature untouched,
    and one whose snapshot is not what its closing recorded in the audit log stays unsigned
    (SnapshotAltered), so a snapshot changed behind the API's back never gets a signature."""
    row = repository.closed_month_to_sign(session, month_id)
    if row is None or row.signature is not None:
        return row
    if not as_closed(session, row):
        raise SnapshotAltered(f"The snapshot of {month_text(row.month)} is not as it was closed.")
    row.signature, row.key_id = sign(row.tenant_id, row.month, row.figures, row.evidence_hash)
    session.flush()
    return row


def as_closed(session: Session, row: ClosedMonth) -> bool:
    """Whether the stored month, figures and evidence hash are those the audit log recorded
    when the month was closed."""
    closed = audit.created_with(session, ClosedMonth.__tablename__, str(row.id))
    return closed is not None and (
        closed.get("month") == row.month.isoformat()
        and closed.get("figures") == row.figures
        and closed.get("evidence_hash") == row.evidence_hash
    )


def signature_valid(row: ClosedMonth) -> bool | None:
    """Whether the stored signature covers the stored snapshot, checked with the audit key;
    None while the worker has not signed it yet."""
    if row.signature is None:
        return None
    payload = signed_payload(row.tenant_id, row.month, row.figures, row.evidence_hash)
    return audit.verify_document(PURPOSE, payload, row.signature)


def signature_state(valid: bool | None) -> SignatureState:
    """The state a `signature_valid` answer stands for: None is pending, not invalid."""
    if valid is None:
        return SignatureState.pending
    return SignatureState.valid if valid else SignatureState.invalid
