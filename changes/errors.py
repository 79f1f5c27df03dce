from core.errors import Conflict, Forbidden, NotFound, Unprocessable


class ChangeNotFound(NotFound):
    title = "Change not found"


class TemplateNotFound(NotFound):
    title = "Change template not found"


class RuleNotFound(NotFound):
    title = "Approval rule not found"


class TransitionRefused(Conflict):
    type_slug, title = "change-transition-refused", "Change status change not allowed"


class NotReady(Unprocessable):
    """The change lacks what the step demands; `invalidParams` names each missing part."""

    type_slug, title = "change-not-ready", "The change is not complete enough for this step"


class UntestedRollbackPlan(Conflict):
    type_slug, title = "untested-rollback-plan", "The rollback plan has not been tested"


class AlreadyVoted(Conflict):
    type_slug, title = "already-voted", "This person already voted on the change"


class NotAnApprover(Forbidden):
    type_slug, title = "not-an-approver", "Not an approver of this change"


class AlreadyExists(Conflict):
    type_slug, title = "already-exists", "Already exists"


class FreezeNotFound(NotFound):
    title = "Freeze period not found"


class FeedNotFound(NotFound):
    title = "Calendar feed not found"


class FrozenWindow(Conflict):
    type_slug, title = "frozen-window", "The window falls in a freeze period"


class ReviewNotFound(NotFound):
    title = "Review not found"


class ReleaseNotFound(NotFound):
    title = "Release not found"


class DeploymentRefused(Conflict):
    """The lane refuses the step; `reasons` says why, `changes` names bundled changes that
    are not far enough."""

    type_slug, title = "deployment-refused", "The release cannot be deployed there yet"


class NotTheClient(Forbidden):
    type_slug, title = "not-the-client", "Only the client's product owner signs off a release"
