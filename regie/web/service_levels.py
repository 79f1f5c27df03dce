"""The service level page: a month's KPI figures, exactly those the API gives client and
supplier, and the monthly report to request, follow and download.

The figures come from the same service function as GET /api/v1/kpis under the signed-in
person's own principal, so the page can never show another figure or another tenant's.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from core.db import unit_of_work
from core.errors import InvalidInput
from core.identity import sessions
from core.identity.permissions import Principal
from regie.web import charts, link, pick_language, ticket_forms
from regie.web.errors import error_page
from regie.web.figures import FORMAT_NAMES, Formatter, report_view, view_of
from regie.web.tickets import Caller, CallerDep, WebRoute, page, writing
from services.kpi import permissions as kpi_permissions
from services.kpi import service as kpi_service
from services.kpi.public import KpiFigures, Period, parse_period
from services.reports import api as reports_api
from services.reports import permissions as report_permissions
from services.reports import service as reports
from services.reports.data import first_of, last_twelve, shift
from services.reports.errors import ReportNotFound, ReportNotReady
from services.reports.models import ReportJob
from services.reports.schemas import ReportFormat, ReportRequest
from services.sla.service import today

PATH = "/service-levels"
RECENT_JOBS = 10
# The formats a person picks on the page; csv-data is for machines and stays in the API.
WEB_FORMATS = ("pdf", "xlsx", "ods", "csv")
NOT_VALID = ticket_forms.NOT_VALID
NOT_READY = (
    "Not ready yet",
    "This report is still being made. Reload the service level page to follow its progress.",
)
# What the form says of each refused field (the service's and the model's reasons are the API's).
REPORT_MESSAGES = {
    "month": "Choose a closed month: a month's report can be requested once the month is over.",
    "formats": "Choose at least one format.",
    "language": "Choose the language of the report.",
}

router = APIRouter(include_in_schema=False, route_class=WebRoute)
PeriodQuery = Annotated[str, Query(max_length=10)]


def last_full_month() -> str:
    """The calendar month before today's in Europe/Amsterdam, as YYYY-MM."""
    return f"{shift(first_of(today()), -1):%Y-%m}"


async def report_form(request: Request) -> dict[str, Any]:
    """The posted fields; `formats` keeps every ticked box."""
    form = await request.form()
    fields: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    fields["formats"] = [v for v in form.getlist("formats") if isinstance(v, str)]
    return fields


ReportFormDep = Annotated[dict[str, Any], Depends(report_form)]


@router.get(PATH)
def service_levels(request: Request, caller: CallerDep, period: PeriodQuery = "") -> Response:
    """The tenant's figures of `period` (default: the last full month) and its reports."""
    return _page(request, caller, period.strip() or last_full_month())


@router.post(PATH + "/reports")
def request_report(request: Request, caller: CallerDep, form: ReportFormDep) -> Response:
    """Queue the month's report, or show the page again saying what is wrong with the form."""
    sessions.check_csrf(caller.web, str(form.get("csrf", "")))
    caller.principal.require(report_permissions.REQUEST)
    month = str(form.get("month", ""))
    values = {"month": month, "formats": form["formats"], "language": form.get("language")}
    data, invalid = ticket_forms.validated(ReportRequest, values)
    if data is not None:
        try:
            with writing(caller) as session:
                reports.request_report(
                    session,
                    caller.principal,
                    month=data.first_day(),
                    formats=[f.value for f in data.formats],
                    language=data.language.value,
                )
        except InvalidInput as exc:
            invalid = ticket_forms.service_errors(exc)
        else:
            target = link(request, PATH, period=month, requested=1) + "#reports"
            return RedirectResponse(target, status_code=303)
    errors = {_field(name): REPORT_MESSAGES.get(_field(name), NOT_VALID) for name in invalid}
    shown = month if _is_month(month) else last_full_month()
    return _page(request, caller, shown, 400, report_errors=errors, report_values=values)


@router.get(PATH + "/reports/{report_id}/files/{fmt}")
def download(request: Request, caller: CallerDep, report_id: str, fmt: str) -> Response:
    """One file of a done report, under the same check and with the same headers as the API
    (the API takes bearer credentials only, never the browser's session cookie)."""
    try:
        job_id, wanted = uuid.UUID(report_id), ReportFormat(fmt)
    except ValueError:
        raise ReportNotFound("No such report file.") from None
    try:
        with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
            return reports_api.report_file(job_id, wanted, session, caller.principal)
    except ReportNotReady:
        return error_page(request, 409, texts=NOT_READY)


def _page(
    request: Request, caller: Caller, shown: str, status_code: int = 200, **form: Any
) -> Response:
    principal = caller.principal
    principal.require(kpi_permissions.READ)
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        figures = kpi_service.read_figures(session, principal, period=shown)
        jobs = _recent_jobs(session, principal)
        period = parse_period(shown)
        months = _trend_months(session, principal, period, figures)
    fmt = Formatter(pick_language(request))
    return page(
        request,
        "service_levels.html",
        status_code,
        figures=view_of(figures, fmt),
        trend=charts.trend(months, fmt),
        period=_navigation(request, period, fmt),
        reports=report_view(jobs, fmt, lambda job, f: _file_link(request, job, f)),
        can_request=principal.can(report_permissions.REQUEST),
        can_read_reports=principal.can(report_permissions.READ),
        requestable=_requestable(period),
        formats=WEB_FORMATS,
        format_names=FORMAT_NAMES,
        requested=request.query_params.get("requested") == "1",
        report_errors=form.get("report_errors", {}),
        report_values=form.get("report_values", {}),
    )


def _trend_months(
    session: Session, principal: Principal, period: Period, shown: KpiFigures
) -> list[tuple[date, kpi_service.Levels]]:
    """The twelve months up to the period's last (never past the current month), each with the
    service levels the API gives it; the shown month's from the figures already read."""
    principal.require(kpi_permissions.READ)
    end = shift(period.first_day, len(period.months) - 1)
    end = min(end, first_of(today()))
    months = last_twelve(end)
    known = {m: kpi_service.Levels.of(shown) for m in months if shown.period == f"{m:%Y-%m}"}
    computed = iter(kpi_service.levels(session, [m for m in months if m not in known]))
    return [(m, known[m] if m in known else next(computed)) for m in months]


def _recent_jobs(session: Session, principal: Principal) -> list[ReportJob]:
    if not principal.can(report_permissions.READ):
        return []
    rows, _ = reports.list_reports(session, principal, limit=RECENT_JOBS, after=None)
    return rows


def _navigation(request: Request, period: Period, fmt: Formatter) -> dict[str, Any]:
    """The period's name and, for a month, the addresses of the months either side."""
    nav: dict[str, Any] = {"text": period.text, "kind": period.kind}
    nav["name"] = fmt.period_name(period)
    nav["range"] = fmt.period_range(period)
    if period.kind == "month":
        before, after = shift(period.first_day, -1), shift(period.first_day, 1)
        nav["previous"] = (link(request, PATH, period=f"{before:%Y-%m}"), fmt.month(before))
        if after <= first_of(today()):  # no figures of months that have not begun
            nav["next"] = (link(request, PATH, period=f"{after:%Y-%m}"), fmt.month(after))
    return nav


def _requestable(period: Period) -> bool:
    """Reports exist of closed calendar months only."""
    return period.kind == "month" and period.first_day < first_of(today())


def _file_link(request: Request, job: ReportJob, fmt: str) -> str:
    return link(request, f"{PATH}/reports/{job.id}/files/{fmt}")


def _is_month(text: str) -> bool:
    try:
        return parse_period(text).kind == "month"
    except InvalidInput:
        return False


def _field(name: str) -> str:
    """`formats.0` is the formats fieldset: one box cannot be pointed at on its own."""
    return name.split(".")[0]
