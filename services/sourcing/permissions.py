from core.identity.permissions import declare

READ = declare("sourcing:read", "Read the sourcing register and its warnings")
MANAGE = declare("sourcing:manage", "Keep suppliers, contracts, certifications and plans")
