from core.identity.permissions import declare

READ = declare("dap:read", "Read the tenant's DAP (agreements and procedures)")
MANAGE = declare("dap:manage", "Add versions of the tenant's DAP")
