"""Every table of every domain, imported once so metadata and migrations see them all."""

from audit.models import AuditCheckpoint, AuditEntry, AuditHead
from core.api.idempotency import IdempotencyRecord
from core.identity.models import ApiKey, Grant
from core.outbox.models import OutboxMessage
from core.tenancy import Tenant
from services.catalogue.models import CatalogueEntry

__all__ = [
    "ApiKey",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "CatalogueEntry",
    "Grant",
    "IdempotencyRecord",
    "OutboxMessage",
    "Tenant",
]
