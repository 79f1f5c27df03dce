from core.errors import Conflict, NotFound


class ExclusionNotFound(NotFound):
    title = "Exclusion not found"


class AlreadyDecided(Conflict):
    type_slug, title = "exclusion-already-decided", "The exclusion was already decided"


class AlreadyProposed(Conflict):
    type_slug, title = "exclusion-already-proposed", "An exclusion of this subject stands"


class ClosedMonthNotFound(NotFound):
    title = "Closed month not found"


class MonthAlreadyClosed(Conflict):
    type_slug, title = "month-already-closed", "The month is already closed"


class ExclusionsPending(Conflict):
    type_slug, title = "exclusions-pending", "Exclusions of the month await a decision"


class MonthClosed(Conflict):
    type_slug, title = "month-closed", "The month is closed"
