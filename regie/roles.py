"""Which role holds which permission, across the domains. Wired once at start."""

from __future__ import annotations

from audit import permissions as audit
from changes import permissions as changes
from cmdb import permissions as cmdb
from core.identity import grants, reviews, sessions
from core.identity import service as keys
from core.identity.roles import CLIENT_ROLES, Role, allow
from core.identity.scim import credentials as scim
from regie.tenant_exit import permissions as tenant_exit
from services.availability import permissions as availability
from services.catalogue import permissions as catalogue
from services.dap import permissions as dap
from services.improvement import permissions as improvement
from services.kpi import permissions as kpi
from services.reports import permissions as reports
from services.sla import permissions as sla
from services.sourcing import permissions as sourcing
from tickets import permissions as tickets
from tickets.alerts import permissions as alerts
from tickets.mail import permissions as mail
from tickets.problems import permissions as problems


def wire() -> None:
    allow(catalogue.READ, *Role)
    allow(catalogue.WRITE, Role.service_level_manager, Role.supplier_admin)
    allow(grants.MANAGE, Role.client_admin, Role.supplier_admin)
    allow(grants.SUPPLIER_GRANTS, Role.supplier_admin)
    allow(keys.MANAGE_KEYS, Role.client_admin, Role.supplier_admin)
    allow(scim.MANAGE, Role.client_admin, Role.supplier_admin)
    allow(sessions.MANAGE, Role.client_admin, Role.supplier_admin, Role.security_officer)
    allow(reviews.MANAGE, Role.client_admin, Role.supplier_admin, Role.security_officer)
    allow(reviews.DECIDE, *Role)  # any signed-in person may be named reviewer
    agents = (Role.agent_line_1, Role.agent_line_2, Role.agent_line_3, Role.problem_manager)
    allow(tickets.REPORT, Role.reporter, Role.key_user, Role.product_owner, *agents)
    allow(tickets.READ, Role.key_user, Role.product_owner, Role.kpi_viewer, Role.auditor, *agents)
    allow(tickets.READ, Role.service_level_manager, Role.change_manager, Role.supplier_admin)
    allow(tickets.WORK, *agents)
    allow(tickets.CONFIGURE, Role.service_level_manager, Role.supplier_admin)
    allow(sla.READ, Role.service_level_manager, Role.kpi_viewer, Role.key_user, *agents)
    allow(sla.READ, Role.product_owner, Role.auditor)
    allow(sla.MANAGE, Role.service_level_manager)
    allow(availability.READ, Role.service_level_manager, Role.kpi_viewer, Role.key_user, *agents)
    allow(availability.READ, Role.product_owner, Role.auditor, Role.supplier_admin)
    lines = (Role.agent_line_1, Role.agent_line_2, Role.agent_line_3)
    allow(availability.MANAGE, Role.service_level_manager, *lines)
    allow(kpi.READ, Role.kpi_viewer, Role.key_user, Role.product_owner, Role.client_admin)
    allow(kpi.READ, Role.auditor, Role.service_owner)
    allow(kpi.READ, Role.service_level_manager, Role.supplier_admin)
    allow(kpi.PROPOSE, Role.service_level_manager)
    allow(kpi.CLOSE, Role.service_level_manager)
    allow(kpi.DECIDE, Role.service_owner, Role.client_admin)
    allow(dap.READ, Role.service_level_manager, Role.kpi_viewer, Role.key_user, *agents)
    allow(dap.READ, Role.product_owner, Role.client_admin, Role.auditor)
    allow(dap.MANAGE, Role.service_level_manager, Role.client_admin)
    allow(reports.READ, Role.kpi_viewer, Role.key_user, Role.product_owner, Role.client_admin)
    allow(reports.READ, Role.auditor, Role.service_level_manager, Role.supplier_admin)
    allow(reports.REQUEST, Role.service_level_manager, Role.kpi_viewer, Role.client_admin)
    allow(tenant_exit.EXPORT, Role.client_admin)
    allow(problems.MANAGE, Role.problem_manager)
    allow(problems.LINK, *agents)
    allow(problems.READ, Role.change_manager, Role.service_level_manager, Role.auditor, *agents)
    allow(problems.READ, Role.supplier_admin)
    allow(problems.KNOWN_ERRORS, Role.reporter, Role.key_user, Role.product_owner, *agents)
    allow(problems.KNOWN_ERRORS, Role.service_level_manager, Role.change_manager)
    allow(mail.READ_ALL, Role.service_level_manager, Role.supplier_admin)
    # alerts:ingest is held by monitoring's API keys only, never by a person's role.
    allow(alerts.MANAGE, Role.supplier_admin)
    allow(audit.READ, Role.security_officer, Role.auditor)
    allow(audit.MANAGE, Role.security_officer)
    allow(audit.WITNESS, Role.security_officer, Role.auditor, Role.client_admin)
    managers = (Role.problem_manager, Role.change_manager, Role.service_level_manager)
    allow(cmdb.READ, *agents, *managers, Role.auditor, Role.key_user, Role.product_owner)
    allow(cmdb.READ, Role.supplier_admin)
    allow(cmdb.WRITE, Role.agent_line_2, Role.agent_line_3, Role.change_manager)
    allow(cmdb.WRITE, Role.supplier_admin)
    allow(cmdb.CONFIGURE, Role.supplier_admin, Role.change_manager)
    allow(cmdb.IMPORT, Role.supplier_admin, Role.change_manager)
    allow(sourcing.READ, Role.service_level_manager, Role.change_manager, Role.supplier_admin)
    allow(sourcing.READ, Role.client_admin, Role.product_owner, Role.auditor, *agents)
    allow(sourcing.MANAGE, Role.service_level_manager, Role.supplier_admin)
    allow(changes.READ, Role.product_owner, Role.service_owner, Role.auditor, *agents)
    allow(changes.READ, Role.change_manager, Role.service_level_manager, Role.supplier_admin)
    allow(changes.WRITE, Role.change_manager)
    allow(changes.APPROVE, Role.change_manager, Role.product_owner, Role.service_owner)
    allow(changes.CONFIGURE, Role.change_manager, Role.supplier_admin)
    allow(changes.RELEASE, Role.change_manager)
    allow(changes.SIGN_OFF, Role.product_owner)  # the client's acceptance, before production
    supplier_managers = (Role.service_level_manager, Role.supplier_admin, Role.problem_manager)
    allow(improvement.READ, *CLIENT_ROLES, *supplier_managers, Role.change_manager)
    allow(improvement.PROPOSE, *supplier_managers)
    allow(improvement.PRIORITISE, Role.product_owner)
    allow(improvement.DECIDE, Role.product_owner)
    allow(improvement.WORK, *supplier_managers, Role.change_manager)
