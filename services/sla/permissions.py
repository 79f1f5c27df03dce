from core.identity.permissions import declare

READ = declare("sla:read", "Read the tenant's service level agreements")
MANAGE = declare("sla:manage", "Add versions of the tenant's service level agreement")
