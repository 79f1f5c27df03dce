from core.errors import Conflict, NotFound


class EntryNotFound(NotFound):
    title = "Service not found"


class DuplicateCode(Conflict):
    title = "Service code already in use"
