"""Grants of roles within a tenant: deny by default, revocation takes effect at once."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    cast,
    exists,
    null,
    or_,
    text,
    union_all,
)
from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import Uuid
from sqlmodel import Session, col, select

from core.db import session_tenant
from core.errors import Conflict, Forbidden, NotFound
from core.identity.models import Grant, SubjectKind
from core.identity.permissions import Principal, declare
from core.identity.roles import CLIENT_ROLES, Role
from core.identity.scim import directory
from core.tenancy import Tenant, TenantKind, TenantStatus
from core.types import utcnow

MANAGE = declare("identity.grants:manage", "Grant and revoke roles in this tenant")
SUPPLIER_GRANTS = declare(
    "identity.grants:supplier", "Grant supplier roles (staff access) in a client tenant"
)


def active_roles(
    session: Session,
    *,
    tid: uuid.UUID,
    oid: uuid.UUID,
    groups: frozenset[uuid.UUID] = frozenset(),
) -> frozenset[str]:
    """Roles granted in the session's tenant, not revoked, to the user (tid, oid) or to one of
    `groups`: the object ids, in the same directory, of the groups SCIM says the user is in."""
    params = {"tenant": session_tenant(session), "tid": tid, "oid": oid, "groups": list(groups)}
    return frozenset(str(role) for role in session.execute(_ROLES, params).scalars())


def _held_by(grant: Any, tid: Any, oid: Any, groups: Any) -> ColumnElement[bool]:
    """Grants (columns of `core_grant`) not revoked, to the user or to one of `groups` (values
    or bound parameters; no groups matches no group grant)."""
    to_user = and_(grant.subject_kind == SubjectKind.user.value, grant.subject_oid == oid)
    to_groups = and_(grant.subject_kind == SubjectKind.group.value, grant.subject_oid.in_(groups))
    return and_(grant.subject_tid == tid, or_(to_user, to_groups), grant.revoked_at.is_(None))


_grant = Grant.__table__.c  # type: ignore[attr-defined]
# Read on every request signed in with a token: built once, on the table, the tenant named
# (row-level security holds it too on PostgreSQL), without the ORM's per-statement work.
_ROLES = sa_select(_grant.role).where(
    _grant.tenant_id == bindparam("tenant"),
    _held_by(_grant, bindparam("tid"), bindparam("oid"), bindparam("groups", expanding=True)),
)

# The standing (a row with `active` when SCIM provisioned the person) and the roles, in one.
_STANDING_ROLES = union_all(
    sa_select(directory.ACTIVE, cast(null(), String).label("role")).where(directory.PERSON),
    sa_select(cast(null(), Boolean), _grant.role).where(
        _grant.tenant_id == bindparam("tenant"),
        _held_by(_grant, bindparam("tid"), bindparam("oid"), directory.PERSON_GROUPS),
    ),
)


def standing_and_roles(
    session: Session, *, tid: uuid.UUID, oid: uuid.UUID
) -> tuple[bool, set[str]]:
    """Whether the user is active, and `active_roles` with the groups SCIM says they are in,
    in the session's tenant as their home tenant: one statement on every request signed in
    with a token, not three. A user SCIM never provisioned is active in no group."""
    params = {"tenant": session_tenant(session), "tid": tid, "oid": oid}
    active, roles = True, set()
    for is_active, role in session.connection().execute(_STANDING_ROLES, params):
        if role is None:
            active = bool(is_active)
        else:
            roles.add(str(role))
    return (True, roles) if active else (False, set())


def held_everywhere(
    session: Session,
    *,
    tid: uuid.UUID,
    oid: uuid.UUID,
    groups: frozenset[uuid.UUID] = frozenset(),
) -> dict[uuid.UUID, frozenset[str]]:
    """The roles of `active_roles`, in every active tenant at once (by tenant): supplier staff's
    reach in one statement. The session's tenant must be the one of directory `tid`; on
    PostgreSQL a function reads each tenant's grants under that tenant's row-level security."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT tenant_id, role FROM core_grants_held(:tid, :oid, :groups)")
        stmt = stmt.bindparams(bindparam("groups", type_=ARRAY(Uuid())))
        rows = session.execute(stmt, {"tid": tid, "oid": oid, "groups": sorted(groups)})
    else:  # the embedded database has no row-level security: the same filter, over the table
        rows = session.execute(_held_embedded(session_tenant(session), tid, oid, groups))
    held: dict[uuid.UUID, set[str]] = {}
    for tenant_id, role in rows:
        held.setdefault(tenant_id, set()).add(str(role))
    return {tenant_id: frozenset(roles) for tenant_id, roles in held.items()}


def _held_embedded(
    home: uuid.UUID | None, tid: uuid.UUID, oid: uuid.UUID, groups: frozenset[uuid.UUID]
) -> Select:
    grants, tenants = Grant.__table__, Tenant.__table__  # type: ignore[attr-defined]
    grant, tenant, own = grants.c, tenants.c, tenants.alias("own").c
    from_home = exists().where(own.id == home, own.entra_tenant_id == tid)
    return (
        sa_select(grant.tenant_id, grant.role)
        .join(tenants, tenant.id == grant.tenant_id)
        .where(
            from_home,
            tenant.status == TenantStatus.active.value,
            _held_by(grant, tid, oid, groups),
        )
    )


def list_grants(session: Session, actor: Principal, *, include_revoked: bool) -> list[Grant]:
    """The tenant's grants for access managers, revoked ones only when asked."""
    actor.require(MANAGE)
    stmt = select(Grant).order_by(col(Grant.granted_at), col(Grant.id))
    if not include_revoked:
        stmt = stmt.where(col(Grant.revoked_at).is_(None))
    return list(session.exec(stmt))


def create_grant(
    session: Session,
    actor: Principal,
    *,
    subject_kind: SubjectKind,
    subject_tid: uuid.UUID,
    subject_oid: uuid.UUID,
    subject_name: str,
    role: Role,
) -> Grant:
    """Grant `role`; a client's admin may hand out only the client's own roles."""
    actor.require(MANAGE)
    _check_grantable(session, actor, role)
    duplicate = select(Grant.id).where(
        Grant.subject_tid == subject_tid,
        Grant.subject_oid == subject_oid,
        Grant.role == role,
        col(Grant.revoked_at).is_(None),
    )
    if session.exec(duplicate).first() is not None:
        raise Conflict("This subject already holds this role here.")
    grant = Grant(
        subject_kind=subject_kind,
        subject_tid=subject_tid,
        subject_oid=subject_oid,
        subject_name=subject_name,
        role=role,
        granted_by=actor.label,
    )
    session.add(grant)
    session.flush()
    return grant


def revoke_grant(session: Session, actor: Principal, *, grant_id: uuid.UUID) -> Grant:
    """Revoke at once. A client's admin may revoke any grant, supplier staff's included."""
    actor.require(MANAGE)
    return revoke(session, grant_id=grant_id, by=actor.label)


def revoke(session: Session, *, grant_id: uuid.UUID, by: str) -> Grant:
    """Revoke a grant of the session's tenant (callers have checked who may)."""
    grant = session.exec(select(Grant).where(Grant.id == grant_id)).first()
    if grant is None:
        raise NotFound(f"No grant with id {grant_id}.")
    if grant.revoked_at is None:
        grant.revoked_at, grant.revoked_by = utcnow(), by
        session.flush()
    return grant


def _check_grantable(session: Session, actor: Principal, role: Role) -> None:
    tenant = session.exec(select(Tenant).where(Tenant.id == actor.tenant_id)).one()
    if (
        tenant.kind == TenantKind.client
        and role not in CLIENT_ROLES
        and not actor.can(SUPPLIER_GRANTS)
    ):
        raise Forbidden("Only the supplier's administrators grant supplier roles.")
