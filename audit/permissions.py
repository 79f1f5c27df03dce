from core.identity.permissions import declare

READ = declare("audit.log:read", "Read and export the audit log (security officer, auditor)")
WITNESS = declare(
    "audit.witness:read",
    "Download the signed checkpoints as the client's own witness copy (no entries)",
)
MANAGE = declare("audit.log:manage", "Make checkpoints on demand and set the retention period")
