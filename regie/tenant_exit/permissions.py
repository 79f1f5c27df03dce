from core.identity.permissions import declare

EXPORT = declare("tenant-exports:request", "Export all of the tenant's records and download them")
