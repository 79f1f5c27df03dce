from core.identity.permissions import declare

READ_ALL = declare("tickets:mail-read", "Read every notification sent in the tenant")
