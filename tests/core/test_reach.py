"""Supplier staff's reach: the client tenants where the person holds a grant, found in one
read whatever the number of tenants, and nothing of the tenants where they hold none."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from core.db import get_engine, unit_of_work
from core.identity import access
from core.identity.grants import held_everywhere
from core.identity.models import Grant, SubjectKind
from core.identity.permissions import Principal
from core.identity.roles import Role
from core.identity.scim.models import ScimGroup, ScimMember, ScimUser
from core.tenancy import Tenant, TenantKind, TenantStatus
from core.types import utcnow
from tests.factories import make_tenant
from tests.support.statements import counted


@pytest.fixture
def staff() -> Principal:
    """A person of a supplier bound to its own directory, acting at home."""
    directory = uuid.uuid4()
    supplier = Tenant(
        slug=f"supplier-{directory.hex[:8]}",
        name="Supplier",
        kind=TenantKind.supplier,
        entra_tenant_id=directory,
    )
    with unit_of_work(None) as session:
        session.add(supplier)
    access._tenants.clear()
    return Principal(
        tenant_id=supplier.id,
        actor_id=uuid.uuid4(),
        kind="user",
        name="agent",
        permissions=frozenset(),
        directory_id=directory,
    )


def _grant(tenant: Tenant, tid: uuid.UUID, oid: uuid.UUID, role: Role) -> None:
    with unit_of_work(tenant.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=tid,
                subject_oid=oid,
                role=role,
                granted_by="test",
            )
        )


def _reached(staff: Principal) -> dict[str, frozenset[str]]:
    return {tenant.slug: acting.roles for tenant, acting in access.reach(staff)[1:]}


def test_reach_names_the_granted_tenants_only(staff: Principal) -> None:
    tid, oid = staff.directory_id, staff.actor_id
    assert tid is not None
    a, b, c, d = (make_tenant() for _ in range(4))
    _grant(a, tid, oid, Role.agent_line_1)
    _grant(a, tid, oid, Role.kpi_viewer)
    _grant(b, tid, oid, Role.agent_line_2)
    _grant(c, tid, uuid.uuid4(), Role.agent_line_1)  # a colleague's grant
    _grant(d, uuid.uuid4(), oid, Role.agent_line_1)  # the same object id in another directory
    assert _reached(staff) == {
        a.slug: frozenset({Role.agent_line_1, Role.kpi_viewer}),
        b.slug: frozenset({Role.agent_line_2}),
    }


def test_a_grant_to_a_directory_group_reaches_its_members_while_active(staff: Principal) -> None:
    tid, oid = staff.directory_id, staff.actor_id
    assert tid is not None
    group_oid = uuid.uuid4()
    with unit_of_work(staff.tenant_id) as session:
        user = ScimUser(user_name="agent", user_name_key="agent", directory_id=tid, object_id=oid)
        group = ScimGroup(display_name="Line 1", directory_id=tid, object_id=group_oid)
        session.add_all([user, group])
        session.flush()
        session.add(ScimMember(group_id=group.id, user_id=user.id))
    client = make_tenant()
    with unit_of_work(client.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.group,
                subject_tid=tid,
                subject_oid=group_oid,
                role=Role.agent_line_1,
                granted_by="test",
            )
        )
    assert _reached(staff) == {client.slug: {Role.agent_line_1}}
    with unit_of_work(staff.tenant_id) as session:
        session.exec(select(ScimUser).where(ScimUser.id == user.id)).one().active = False
    assert _reached(staff) == {}


def test_a_revoked_grant_or_a_suspended_tenant_stops_reaching_at_once(staff: Principal) -> None:
    tid, oid = staff.directory_id, staff.actor_id
    assert tid is not None
    a, b = make_tenant(), make_tenant()
    _grant(a, tid, oid, Role.agent_line_1)
    _grant(b, tid, oid, Role.agent_line_1)
    assert set(_reached(staff)) == {a.slug, b.slug}
    with unit_of_work(a.id) as session:
        for grant in session.exec(select(Grant)):
            grant.revoked_at = utcnow()
    assert set(_reached(staff)) == {b.slug}
    with unit_of_work(None) as session:
        suspended = session.exec(select(Tenant).where(Tenant.id == b.id)).one()
        suspended.status = TenantStatus.suspended
    assert _reached(staff) == {}


def test_grants_are_told_only_to_the_persons_own_organisation(staff: Principal) -> None:
    """Asked from any tenant but the one of the person's directory, nothing is told."""
    tid, oid = staff.directory_id, staff.actor_id
    assert tid is not None
    client = make_tenant()
    _grant(client, tid, oid, Role.agent_line_1)
    with unit_of_work(staff.tenant_id, read_only=True) as session:
        assert held_everywhere(session, tid=tid, oid=oid) == {client.id: {Role.agent_line_1}}
    if get_engine().dialect.name == "postgresql":
        with (
            pytest.raises(DBAPIError, match="own directory"),
            unit_of_work(client.id, read_only=True) as session,
        ):
            held_everywhere(session, tid=tid, oid=oid)
    else:
        with unit_of_work(client.id, read_only=True) as session:
            assert held_everywhere(session, tid=tid, oid=oid) == {}


def test_reach_reads_as_much_for_fifty_clients_as_for_one(staff: Principal) -> None:
    tid, oid = staff.directory_id, staff.actor_id
    assert tid is not None
    _grant(make_tenant(), tid, oid, Role.agent_line_1)
    access.reach(staff)  # the tenant cache is warm from here on
    with counted() as one_client:
        assert len(_reached(staff)) == 1
    for _ in range(49):
        _grant(make_tenant(), tid, oid, Role.agent_line_1)
    with counted() as fifty_clients:
        assert len(_reached(staff)) == 50
    assert len(fifty_clients) == len(one_client)
