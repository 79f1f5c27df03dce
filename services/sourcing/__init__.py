"""The sourcing register: suppliers, contracts, certifications, exit and continuity plans.

It lives in services/ rather than cmdb/: below tickets, whose forwarding to a third party is to
pick a supplier from it; beside the DAP, whose recipients get its warnings; and above the CMDB,
whose graph (through cmdb.public) a concentration report will walk from the suppliers.
"""
