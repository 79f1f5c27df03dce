"""Roles of supplier staff and of clients' people, and the permissions each role carries.

Domains declare their permissions; the composition root (regie.roles) says which role holds
which, so no domain needs to know the others' permissions.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Role(enum.StrEnum):
    # Supplier staff
    agent_line_1 = "agent-line-1"
    agent_line_2 = "agent-line-2"
    agent_line_3 = "agent-line-3"
    problem_manager = "problem-manager"
    change_manager = "change-manager"
    service_level_manager = "service-level-manager"
    security_officer = "security-officer"
    supplier_admin = "supplier-admin"
    # The client's people
    reporter = "reporter"
    key_user = "key-user"
    product_owner = "product-owner"
    kpi_viewer = "kpi-viewer"
    client_admin = "client-admin"
    auditor = "auditor"
    service_owner = "service-owner"  # decides on exclusions from the KPI figures


# New roles go at the end: the first eight are the supplier's.
SUPPLIER_ROLES = frozenset(list(Role)[:8])
CLIENT_ROLES = frozenset(list(Role)[8:])
ROLE_PERMISSIONS: dict[Role, set[str]] = {role: set() for role in Role}


def allow(permission: str, *roles: Role) -> None:
    """Give `permission` to each of `roles`."""
    for role in roles:
        ROLE_PERMISSIONS[role].add(permission)


def permissions_for(roles: Iterable[str]) -> frozenset[str]:
    """The union of the permissions of the known roles among `roles` (unknown names are ignored)."""
    known = [Role(r) for r in roles if r in Role._value2member_map_]
    return frozenset().union(*(ROLE_PERMISSIONS[r] for r in known))
