"""All SQL of CI imports. The session scopes every statement to its tenant."""

from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from cmdb.imports.models import CiImport
from cmdb.models import Ci


def get(session: Session, import_id: uuid.UUID, *, lock: bool = False) -> CiImport | None:
    """The import; with `lock`, its row held until the transaction ends (PostgreSQL)."""
    stmt = select(CiImport).where(CiImport.id == import_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return session.exec(stmt).first()


def by_natural_key(session: Session, class_id: uuid.UUID, keys: list[str]) -> dict[str, Ci]:
    """The class's CIs with these natural keys, by key."""
    if not keys:
        return {}
    stmt = select(Ci).where(Ci.class_id == class_id, col(Ci.natural_key).in_(keys))
    return {ci.natural_key: ci for ci in session.exec(stmt)}


def by_id(session: Session, ci_ids: list[uuid.UUID], *, lock: bool) -> dict[uuid.UUID, Ci]:
    """These CIs by id; with `lock`, held for the import's transaction (PostgreSQL)."""
    if not ci_ids:
        return {}
    stmt = select(Ci).where(col(Ci.id).in_(ci_ids))
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return {ci.id: ci for ci in session.exec(stmt)}


def existing_ids(session: Session, ci_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Class id by CI id, for the given ids that name a CI of the tenant."""
    if not ci_ids:
        return {}
    stmt = select(Ci.id, Ci.class_id).where(col(Ci.id).in_(ci_ids))
    return {row[0]: row[1] for row in session.exec(stmt)}
