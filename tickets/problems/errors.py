from core.errors import Conflict, NotFound, Unprocessable


class ProblemNotFound(NotFound):
    title = "Problem not found"


class ProblemTransitionRefused(Conflict):
    type_slug, title = "problem-transition-refused", "Problem status change not allowed"


class AlreadyLinked(Conflict):
    type_slug, title = "already-linked", "Incident already linked to another problem"


class NotAnIncident(Unprocessable):
    type_slug, title = "not-an-incident", "Only incidents can be linked to a problem"


class NoWorkaround(Conflict):
    type_slug, title = "no-workaround", "The problem has no workaround to publish"


class NotAKnownError(Conflict):
    type_slug, title = "not-a-known-error", "The problem is not a known error"
