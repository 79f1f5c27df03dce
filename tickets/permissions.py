from core.identity.permissions import declare

REPORT = declare("tickets:report", "Report tickets and follow your own")
READ = declare("tickets:read", "Read every ticket of the tenant")
WORK = declare("tickets:work", "Work tickets: assign, escalate, change status and priority")
CONFIGURE = declare("tickets:configure", "Set up assignment groups and the tenant's ticket rules")
