from core.errors import NotFound


class RuleNotFound(NotFound):
    title = "Alert rule not found"


class CiRuleNotFound(NotFound):
    title = "Alert CI rule not found"
