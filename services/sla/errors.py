from core.errors import Conflict, NotFound


class AgreementNotFound(NotFound):
    title = "Agreement not found"


class VersionTaken(Conflict):
    type_slug, title = "agreement-version-taken", "Another version was added at the same time"
