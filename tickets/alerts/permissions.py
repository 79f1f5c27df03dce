from core.identity.permissions import declare

INGEST = declare("alerts:ingest", "Post monitoring alerts (service accounts: API keys only)")
MANAGE = declare("alerts:manage", "Set up the tenant's alert rules and alert settings")
