from core.errors import Conflict, NotFound


class ExportNotFound(NotFound):
    title = "Export not found"


class ExportNotReady(Conflict):
    type_slug, title = "export-not-ready", "The export is not finished yet"
