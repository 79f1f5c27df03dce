from core.identity.permissions import declare

READ = declare("problems:read", "Read problems and their linked incidents")
MANAGE = declare(
    "problems:manage",
    "Run problems: record, analyse, publish workarounds, resolve, raise change requests",
)
LINK = declare("problems:link", "Link incidents to problems and unlink them")
KNOWN_ERRORS = declare("known-errors:read", "Search the known errors and their workarounds")
