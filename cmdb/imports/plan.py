"""Reconciliation: what each checked row does to the class's CIs, decided by natural key.

A row whose natural key the class already has updates that CI, or leaves it unchanged when
every given value is the one stored; any other valid row creates a CI. Values merge as a
PATCH does: a field or attribute the row leaves out stays, an empty one (null, or an empty
CSV cell) removes it. The result must satisfy the class like any CI write.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from cmdb.attributes import AttributeType, invalid_values
from cmdb.imports import repository
from cmdb.imports.rows import Row
from cmdb.models import Ci, CiStatus
from cmdb.schemas import ClassPublic


class RowOutcome(enum.StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"
    rejected = "rejected"


@dataclass
class Planned:
    row: int
    outcome: RowOutcome
    natural_key: str
    ci_id: uuid.UUID | None = None
    version: int | None = None  # of the CI as read, checked again when written
    state: dict[str, Any] = field(default_factory=dict)
    problems: list[dict[str, str]] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        """The row's line in the report."""
        line: dict[str, Any] = {
            "row": self.row,
            "outcome": self.outcome.value,
            "naturalKey": self.natural_key,
            "ciId": str(self.ci_id) if self.ci_id else None,
        }
        if self.problems:
            line["problems"] = self.problems
        return line


def plan(
    session: Session, found: ClassPublic, rows: list[Row], seen: dict[str, int]
) -> list[Planned]:
    """The outcome of each row of one chunk; `seen` holds the natural keys of earlier rows."""
    existing = repository.by_natural_key(
        session, found.id, [r.natural_key for r in rows if not r.problems]
    )
    refs = repository.existing_ids(session, _references(found, rows))

    def refers(ci_id: uuid.UUID, class_id: uuid.UUID | None) -> bool:
        return ci_id in refs and (class_id is None or refs[ci_id] == class_id)

    planned = []
    for row in rows:
        result = _one(found, row, existing.get(row.natural_key), seen, refers)
        if row.natural_key:
            seen.setdefault(row.natural_key, row.number)
        planned.append(result)
    return planned


def _one(
    found: ClassPublic, row: Row, current: Ci | None, seen: dict[str, int], refers: Any
) -> Planned:
    result = Planned(row.number, RowOutcome.rejected, row.natural_key, problems=list(row.problems))
    if row.problems:
        return result
    if row.natural_key in seen:
        reason = f"also in row {seen[row.natural_key]}"
        result.problems.append({"name": "naturalKey", "reason": reason})
        return result
    merged = {**(current.attributes if current else {}), **row.attributes}
    attributes = {k: v for k, v in merged.items() if v is not None}
    for problem in invalid_values(found.attributes, attributes, refers):
        result.problems.append({"name": problem["name"], "reason": problem["reason"]})
    if result.problems:
        return result
    state = {
        "name": row.name,
        "status": CiStatus(row.status) if "status" in row.present else _keep(current, "status"),
        "owner": row.owner if "owner" in row.present else _keep(current, "owner"),
        "attributes": attributes,
    }
    if current is None:
        result.outcome, result.state = RowOutcome.created, state
        return result
    result.ci_id, result.version, result.state = current.id, current.version, state
    same = all(getattr(current, k) == v for k, v in state.items())
    result.outcome = RowOutcome.unchanged if same else RowOutcome.updated
    return result


def _keep(current: Ci | None, name: str) -> Any:
    if current is None:
        return CiStatus.active if name == "status" else None
    return getattr(current, name)


def _references(found: ClassPublic, rows: list[Row]) -> list[uuid.UUID]:
    keys = [d.key for d in found.attributes if d.type == AttributeType.reference]
    ids = []
    for row in rows:
        for key in keys:
            try:
                ids.append(uuid.UUID(str(row.attributes.get(key))))
            except ValueError:
                continue
    return ids
