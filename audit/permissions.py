from core.identity.permissions import declare

READ = declare("audit.log:read", "Read and export the audit log (security officer, auditor)")
MANAGE = declare("audit.log:manage", "Make checkpoints on demand and set the retention period")
