from core.identity.permissions import declare

READ = declare("reports:read", "Read and download the tenant's monthly service level reports")
REQUEST = declare("reports:request", "Request a monthly service level report")
