from core.identity.permissions import declare

READ = declare("cmdb:read", "Read configuration items, classes, relations, history and impact")
WRITE = declare("cmdb:write", "Record and change configuration items and their relations")
CONFIGURE = declare("cmdb:configure", "Define the tenant's configuration item classes")
IMPORT = declare("cmdb:import", "Import configuration items from CSV and JSON files")
