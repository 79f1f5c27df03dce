from core.errors import Conflict, NotFound


class ReportNotFound(NotFound):
    title = "Report not found"


class ReportNotReady(Conflict):
    type_slug, title = "report-not-ready", "The report is not generated yet"
