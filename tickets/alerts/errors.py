from core.errors import NotFound


class RuleNotFound(NotFound):
    title = "Alert rule not found"
