from core.errors import AppError, NotFound, Unprocessable


class MessageNotFound(NotFound):
    title = "Message not found"


class AttachmentNotFound(NotFound):
    title = "Attachment not found"


class AttachmentTooLarge(AppError):
    status, type_slug, title = 413, "attachment-too-large", "Attachment too large"


class ContentRefused(AppError):
    """The bytes are of a kind not accepted (executables, active content, unrecognised)."""

    status, type_slug, title = 415, "content-refused", "Content type refused"


class VirusFound(Unprocessable):
    type_slug, title = "virus-found", "The file contains malware"


class ScannerUnavailable(AppError):
    status, type_slug, title = 503, "scanner-unavailable", "Virus scanner unavailable"
