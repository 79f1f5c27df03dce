from core.identity.permissions import declare

READ = declare("services.catalogue:read", "Read the service catalogue")
WRITE = declare("services.catalogue:write", "Add and change catalogue entries")
