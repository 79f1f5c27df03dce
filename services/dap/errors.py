from core.errors import Conflict, NotFound


class VersionNotFound(NotFound):
    type_slug, title = "dap-version-not-found", "DAP version not found"


class NoDap(NotFound):
    type_slug, title = "no-dap", "No DAP yet"


class VersionTaken(Conflict):
    type_slug, title = "dap-version-taken", "Another DAP version was added at the same time"
