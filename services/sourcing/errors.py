from core.errors import Conflict, NotFound


class SupplierNotFound(NotFound):
    title = "Supplier not found"


class RecordNotFound(NotFound):
    title = "Not found for this supplier"


class DuplicateSupplier(Conflict):
    type_slug, title = "duplicate-supplier", "Supplier name already used"
