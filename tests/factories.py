"""Plain factory functions for tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from core.db import unit_of_work
from core.identity.models import Grant, SubjectKind
from core.identity.roles import Role
from core.identity.service import create_api_key
from core.tenancy import Tenant
from services.catalogue import permissions as catalogue
from services.catalogue.models import CatalogueEntry, ServiceDomain
from tickets.models import AssignmentGroup, GroupMember, Line

_seq = itertools.count(1)
ALL_CATALOGUE = [catalogue.READ, catalogue.WRITE]


def make_tenant(slug: str | None = None) -> Tenant:
    tenant = Tenant(slug=slug or f"tenant-{next(_seq)}", name="Test tenant")
    with unit_of_work(None) as session:
        session.add(tenant)
    return tenant


def make_token(tenant: Tenant, permissions: list[str] | None = None) -> str:
    with unit_of_work(tenant.id) as session:
        _key, token = create_api_key(
            session, name="test", permissions=ALL_CATALOGUE if permissions is None else permissions
        )
    return token


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def make_entries(tenant: Tenant, count: int, prefix: str = "S") -> list[CatalogueEntry]:
    entries = [
        CatalogueEntry(
            code=f"{prefix}{i:04d}", name=f"Service {i:04d}", domain=ServiceDomain.B, subdomain=3
        )
        for i in range(count)
    ]
    with unit_of_work(tenant.id) as session:
        session.add_all(entries)
    return entries


def grant_staff(tenant: Tenant, idp: Any, role: Role = Role.agent_line_2) -> None:
    """Grant the supplier's agent (of the test OpenID provider) `role` in `tenant`."""
    with unit_of_work(tenant.id) as session:
        session.add(
            Grant(
                subject_kind=SubjectKind.user,
                subject_tid=idp.supplier_dir,
                subject_oid=idp.oid(idp.supplier_dir, idp.agent),
                role=role,
                granted_by="test",
            )
        )


def make_worker(tenant: Tenant, name: str = "P. Jansen", person_id: uuid.UUID | None = None) -> str:
    """A person in one of the tenant's assignment groups, who can be named to implement a change."""
    person_id = person_id or uuid.uuid4()
    group = AssignmentGroup(name=f"Operations {next(_seq)}", line=Line.second)
    with unit_of_work(tenant.id) as session:
        session.add(group)
        session.flush()
        session.add(GroupMember(group_id=group.id, member_id=person_id, member_name=name))
    return str(person_id)
