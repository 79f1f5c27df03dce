from core.errors import Conflict, NotFound


class ExclusionNotFound(NotFound):
    title = "Exclusion not found"


class AlreadyDecided(Conflict):
    type_slug, title = "exclusion-already-decided", "The exclusion was already decided"


class AlreadyProposed(Conflict):
    type_slug, title = "exclusion-already-proposed", "An exclusion of this subject stands"
