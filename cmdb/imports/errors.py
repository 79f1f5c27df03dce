from core.errors import AppError, NotFound


class ImportNotFound(NotFound):
    title = "Import not found"


class ImportTooLarge(AppError):
    status, type_slug, title = 413, "payload-too-large", "Request body too large"
