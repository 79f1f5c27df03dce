"""Every table of every domain, imported once so metadata and migrations see them all."""

from audit.models import AuditCheckpoint, AuditEntry, AuditHead
from changes.models import (
    ApprovalRule,
    Change,
    ChangeEvent,
    ChangeSettings,
    ChangeTemplate,
    Deployment,
    FeedToken,
    Freeze,
    Release,
    Review,
    Rollback,
    SignOff,
    Vote,
)
from cmdb.imports.models import CiImport
from cmdb.models import Ci, CiClass, CiRelation, CiVersion
from core.api.idempotency import IdempotencyRecord
from core.identity.models import (
    AccessReview,
    AccessReviewItem,
    ApiKey,
    Grant,
    LoginAttempt,
    WebSession,
)
from core.identity.scim.models import ScimCredential, ScimGroup, ScimMember, ScimUser
from core.outbox.models import OutboxMessage
from core.tenancy import Tenant
from regie.tenant_exit.models import ExportJob
from regie.web.models import SavedView
from services.availability.models import Outage
from services.catalogue.models import CatalogueEntry
from services.dap.models import DapVersion
from services.improvement.models import Backlog, ChangeLink, Evaluation, Item
from services.improvement.models import Event as ImprovementEvent
from services.kpi.models import ClosedMonth, Exclusion, TicketFactsRow
from services.reports.models import MonthlyReport, ReportFile, ReportJob
from services.sla.models import Agreement, BreachWarning, Clock
from services.sourcing.models import Certification, Contract, Plan, SourcingWarning, Supplier
from tickets.alerts.models import AlertFold, AlertRule, AlertSettings
from tickets.conversation.models import Attachment, AttachmentContent, Message
from tickets.mail.models import Mail, MailAddress
from tickets.models import AssignmentGroup, GroupMember, Ticket, TicketEvent, TicketSettings
from tickets.problems.models import Problem, ProblemCounter, ProblemEvent

__all__ = [
    "AccessReview",
    "AccessReviewItem",
    "Agreement",
    "AlertFold",
    "AlertRule",
    "AlertSettings",
    "ApiKey",
    "ApprovalRule",
    "AssignmentGroup",
    "Attachment",
    "AttachmentContent",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditHead",
    "Backlog",
    "BreachWarning",
    "CatalogueEntry",
    "Certification",
    "Change",
    "ChangeEvent",
    "ChangeLink",
    "ChangeSettings",
    "ChangeTemplate",
    "Ci",
    "CiClass",
    "CiImport",
    "CiRelation",
    "CiVersion",
    "Clock",
    "ClosedMonth",
    "Contract",
    "DapVersion",
    "Deployment",
    "Evaluation",
    "Exclusion",
    "ExportJob",
    "FeedToken",
    "Freeze",
    "Grant",
    "GroupMember",
    "IdempotencyRecord",
    "ImprovementEvent",
    "Item",
    "LoginAttempt",
    "Mail",
    "MailAddress",
    "Message",
    "MonthlyReport",
    "Outage",
    "OutboxMessage",
    "Plan",
    "Problem",
    "ProblemCounter",
    "ProblemEvent",
    "Release",
    "ReportFile",
    "ReportJob",
    "Review",
    "Rollback",
    "SavedView",
    "ScimCredential",
    "ScimGroup",
    "ScimMember",
    "ScimUser",
    "SignOff",
    "SourcingWarning",
    "Supplier",
    "Tenant",
    "Ticket",
    "TicketEvent",
    "TicketFactsRow",
    "TicketSettings",
    "Vote",
    "WebSession",
]
