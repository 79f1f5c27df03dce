from core.identity.permissions import declare

READ = declare("kpi:read", "Read the tenant's KPI figures, their evidence and the exclusions")
PROPOSE = declare("kpi:exclusions:propose", "Propose to exclude a ticket or outage from a month")
DECIDE = declare("kpi:exclusions:decide", "Accept or reject a proposed exclusion")
CLOSE = declare("kpi:close", "Close a month: freeze its figures as a signed snapshot")
