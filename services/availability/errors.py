from core.errors import Conflict, NotFound


class OutageNotFound(NotFound):
    title = "Outage not found"


class IncidentHasOutage(Conflict):
    type_slug, title = "incident-has-outage", "The incident already has an outage"


class NumberTaken(Conflict):
    type_slug, title = "outage-number-taken", "Another outage was recorded at the same time"
