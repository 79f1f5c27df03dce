from core.errors import Conflict, NotFound, Unprocessable


class TicketNotFound(NotFound):
    title = "Ticket not found"


class GroupNotFound(NotFound):
    title = "Assignment group not found"


class TransitionRefused(Conflict):
    type_slug, title = "transition-refused", "Status change not allowed"


class DuplicateGroup(Conflict):
    title = "Group name already in use"


class PersonalDataRefused(Unprocessable):
    type_slug, title = "personal-data", "Personal data is not allowed in tickets"
