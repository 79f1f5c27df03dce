from typing import Any

from pydantic.alias_generators import to_camel

from core.errors import Conflict, InvalidInput, NotFound


class ClassNotFound(NotFound):
    title = "Configuration item class not found"


class CiNotFound(NotFound):
    title = "Configuration item not found"


class RelationNotFound(NotFound):
    title = "Relation not found"


class BuiltinClassFixed(Conflict):
    type_slug, title = "builtin-class-fixed", "Built-in classes cannot be changed"


class DuplicateClassKey(Conflict):
    type_slug, title = "duplicate-class-key", "Class key already used"


class DuplicateNaturalKey(Conflict):
    type_slug, title = "duplicate-natural-key", "Natural key already used in this class"


class DuplicateRelation(Conflict):
    type_slug, title = "duplicate-relation", "Relation already exists"


def refuse_nulls(given: dict[str, Any], names: tuple[str, ...]) -> None:
    """400 naming each of `names` that a merge patch tried to remove."""
    nulls = [to_camel(n) for n in names if n in given and given[n] is None]
    if nulls:
        raise InvalidInput(
            "These fields cannot be removed: " + ", ".join(nulls) + ".",
            invalidParams=[
                {"name": n, "pointer": f"/{n}", "reason": "may not be null"} for n in nulls
            ],
        )
