from core.errors import Conflict, NotFound


class ImprovementNotFound(NotFound):
    title = "Improvement not found"


class TransitionRefused(Conflict):
    type_slug, title = "improvement-transition-refused", "Improvement status change not allowed"


class AlreadyDecided(Conflict):
    type_slug, title = "improvement-already-decided", "The proposal was already decided"


class NotEvaluable(Conflict):
    type_slug, title = "improvement-not-evaluable", "The improvement cannot be evaluated"


class Closed(Conflict):
    type_slug, title = "improvement-closed", "The improvement is closed"


class NotOnBacklog(Conflict):
    type_slug, title = "improvement-not-on-backlog", "The improvement is not on the backlog"
