from core.identity.permissions import declare

READ = declare("availability:read", "Read outages and the monthly availability")
MANAGE = declare("availability:manage", "Record, correct and remove outages")
