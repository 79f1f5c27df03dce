from core.errors import Conflict, NotFound


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
