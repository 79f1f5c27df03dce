"""The application factory: wires the shared layer, the domains and the web UI."""

from __future__ import annotations

from importlib.metadata import version as package_version
from typing import cast
from urllib.parse import urlsplit

from fastapi import FastAPI
from starlette.types import ASGIApp

import tickets.sla_warnings  # noqa: F401  (registers the breach warning handler)
from audit import public as audit_public
from audit.api import router as audit_router
from changes.api import router as changes_router
from changes.calendar_api import feed_router as change_feed_router
from changes.calendar_api import router as change_calendar_router
from changes.config_api import router as change_config_router
from changes.improvements_api import router as change_improvements_router
from changes.releases_api import router as releases_router
from cmdb.api import router as cmdb_router
from cmdb.classes_api import router as ci_classes_router
from cmdb.imports import schemas as ci_imports
from cmdb.imports.api import router as ci_imports_router
from core import events
from core.api import openapi, problems
from core.api.admission import Admission
from core.api.middleware import HttpConventions
from core.api.params import read_params_once
from core.api.routing import skip_unreachable_routers
from core.api.tracing import ServerSpan
from core.identity.api import keys_router, reviews_router, sessions_router
from core.identity.api import router as grants_router
from core.identity.events import SessionChanged
from core.identity.scim.api import router as scim_tokens_router
from core.identity.scim.app import ScimApp
from core.identity.signin import router as signin_router
from core.observability import configure_logging, configure_tracing
from core.settings import Settings, get_settings
from regie import ops, roles, web, wiring
from regie.tenant_exit.api import router as tenant_exports_router
from regie.web.access_reviews import router as web_access_reviews_router
from regie.web.bulk import router as web_bulk_router
from regie.web.change_actions import router as web_change_actions_router
from regie.web.change_calendar import router as web_change_calendar_router
from regie.web.change_edit import router as web_change_edit_router
from regie.web.changes import router as web_changes_router
from regie.web.cmdb import router as web_cmdb_router
from regie.web.cmdb_actions import router as web_cmdb_actions_router
from regie.web.dap import router as web_dap_router
from regie.web.errors import BrowserErrors
from regie.web.evidence import router as web_evidence_router
from regie.web.improvement_actions import router as web_improvement_actions_router
from regie.web.improvements import router as web_improvements_router
from regie.web.outages import router as web_outages_router
from regie.web.problem_actions import router as web_problem_actions_router
from regie.web.problems import router as web_problems_router
from regie.web.queue import router as web_queue_router
from regie.web.release_actions import router as web_release_actions_router
from regie.web.releases import router as web_releases_router
from regie.web.service_levels import router as web_service_levels_router
from regie.web.sourcing import router as web_sourcing_router
from regie.web.ticket_actions import router as web_ticket_actions_router
from regie.web.tickets import router as web_tickets_router
from services.availability.api import availability_router
from services.availability.api import router as outages_router
from services.catalogue.api import router as catalogue_router
from services.dap.api import router as dap_router
from services.improvement.api import router as improvement_router
from services.kpi.api import router as kpi_router
from services.kpi.closing_api import router as kpi_closing_router
from services.reports.api import router as reports_router
from services.sla.api import router as sla_router
from services.sourcing.api import router as sourcing_router
from services.sourcing.concentration_api import router as concentration_router
from tickets.alerts.api import router as alerts_router
from tickets.api import queue_router
from tickets.api import router as tickets_router
from tickets.conversation.api import router as conversation_router
from tickets.groups_api import router as ticket_groups_router
from tickets.impact_api import router as ci_impact_router
from tickets.mail.api import router as mailbox_router
from tickets.outages_api import router as ticket_outages_router
from tickets.problems.api import router as problems_router
from tickets.problems.improvements_api import router as problem_improvements_router
from tickets.sla_api import router as ticket_sla_router

API_VERSION = package_version("regie")
ATTACHMENT_UPLOADS = openapi.API_PREFIX + r"/tickets/[^/]+/attachments$"
CI_IMPORTS = openapi.API_PREFIX + r"/ci-imports$"
UI_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self' {directory}; frame-ancestors 'none'"
)


def ui_csp() -> str:
    """The web UI's policy. Browsers apply form-action to the redirects after a form too, so
    it names the directory's origin: the sign-in form's redirect to its authorize endpoint and
    the sign-out form's to its end-session endpoint must pass, and nothing else."""
    authority = urlsplit(get_settings().entra_authority)
    return UI_CSP.format(directory=f"{authority.scheme}://{authority.netloc}")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    roles.wire()
    configure_logging(settings.log_level)
    configure_tracing("regie-api", settings.otlp_endpoint)
    wiring.wire()
    events.subscribe(SessionChanged, audit_public.record_session_change)
    app = FastAPI(
        title="Regie API",
        version=API_VERSION,
        openapi_url=openapi.API_PREFIX + "/openapi.json",
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        # Tracing comes from the OpenTelemetry instrumentation below and metrics from
        # /metrics; FastAPI's own telemetry would record everything a second time.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.include_router(catalogue_router)
    app.include_router(sla_router)
    app.include_router(outages_router)
    app.include_router(availability_router)
    app.include_router(kpi_router)
    app.include_router(kpi_closing_router)
    app.include_router(dap_router)
    app.include_router(reports_router)
    app.include_router(tenant_exports_router)
    app.include_router(improvement_router)
    app.include_router(tickets_router)
    app.include_router(ticket_sla_router)
    app.include_router(ticket_outages_router)
    app.include_router(queue_router)
    app.include_router(ticket_groups_router)
    app.include_router(problems_router)
    app.include_router(problem_improvements_router)
    app.include_router(conversation_router)
    app.include_router(mailbox_router)
    app.include_router(alerts_router)
    app.include_router(changes_router)
    app.include_router(change_improvements_router)
    app.include_router(releases_router)
    app.include_router(change_config_router)
    app.include_router(change_calendar_router)
    app.include_router(change_feed_router)
    app.include_router(audit_router)
    app.include_router(ci_classes_router)
    app.include_router(cmdb_router)
    app.include_router(ci_imports_router)
    app.include_router(ci_impact_router)
    app.include_router(concentration_router)
    app.include_router(sourcing_router)
    app.include_router(grants_router)
    app.include_router(keys_router)
    app.include_router(sessions_router)
    app.include_router(reviews_router)
    app.include_router(scim_tokens_router)
    app.include_router(signin_router)
    app.include_router(ops.router)
    app.include_router(web.router)
    app.include_router(web_tickets_router)
    app.include_router(web_service_levels_router)
    app.include_router(web_evidence_router)
    app.include_router(web_queue_router)
    app.include_router(web_bulk_router)
    app.include_router(web_ticket_actions_router)
    app.include_router(web_problem_actions_router)
    app.include_router(web_problems_router)
    app.include_router(web_outages_router)
    app.include_router(web_dap_router)
    app.include_router(web_access_reviews_router)
    app.include_router(web_cmdb_actions_router)  # before /cis/{id}, which would take /cis/new
    app.include_router(web_cmdb_router)
    app.include_router(web_sourcing_router)
    app.include_router(web_changes_router)
    app.include_router(web_change_actions_router)
    app.include_router(web_change_calendar_router)
    app.include_router(web_change_edit_router)
    app.include_router(web_releases_router)
    app.include_router(web_release_actions_router)
    app.include_router(web_improvement_actions_router)
    app.include_router(web_improvements_router)
    web.mount_static(app)
    app.mount("/scim", cast("ASGIApp", ScimApp()))  # a plain ASGI callable
    skip_unreachable_routers(app)
    read_params_once()
    problems.install(app)
    openapi.install(
        app,
        version=API_VERSION,
        public_url=settings.public_url,
        contact={
            "name": settings.api_contact_name,
            "url": settings.api_contact_url,
            "email": settings.api_contact_email,
        },
    )
    # Inside the conventions: a request refused as busy still gets every header and its log line.
    app.add_middleware(
        Admission,
        limit=settings.db_pool_size,
        queue=settings.request_queue,
        wait_seconds=settings.request_wait_seconds,
    )
    app.add_middleware(
        HttpConventions,
        api_version=API_VERSION,
        max_body=settings.max_body_bytes,
        ui_csp=ui_csp,
        # Room for the multipart framing around a file of the largest size accepted.
        uploads={
            ATTACHMENT_UPLOADS: settings.attachment_max_bytes + 64 * 1024,
            # A file's text inside JSON: escaping may double it; the service checks the file.
            CI_IMPORTS: 2 * ci_imports.MAX_BYTES + 64 * 1024,
        },
    )
    app.add_middleware(BrowserErrors)  # around it: also turns the middleware's own answers
    _instrument(app, settings)
    return app


def _instrument(app: FastAPI, settings: Settings) -> None:
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    from core.db import get_engine

    # The server span of every request, outermost (core.api.tracing).
    app.add_middleware(ServerSpan, exporting=bool(settings.otlp_endpoint))
    # Statement spans only pay off when someone collects them.
    if settings.otlp_endpoint and not getattr(_instrument, "done", False):
        # The instrumentation's declared range trails SQLAlchemy 2.1; its hooks work unchanged.
        SQLAlchemyInstrumentor().instrument(engine=get_engine(), skip_dep_check=True)
        _instrument.done = True  # type: ignore[attr-defined]
