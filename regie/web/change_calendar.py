"""The change calendar as a month and a week: each change on the days of its window, its
conflicts said in words and with an icon, and the freeze periods and the DAP's maintenance
windows on the days they cover. Read through the calendar API's own service call."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from babel.dates import format_date, format_time, get_day_names
from fastapi import APIRouter, Request
from fastapi.responses import Response

from changes import calendar
from changes.models import Freeze
from changes.repository import Planned
from core.db import unit_of_work
from core.errors import InvalidInput
from regie.web import AMSTERDAM, link, pick_language
from regie.web.changes import page
from regie.web.tickets import CallerDep, WebRoute
from services.dap import public as dap

router = APIRouter(include_in_schema=False, route_class=WebRoute)
VIEWS = ("month", "week")


@dataclass
class Day:
    day: date
    in_period: bool
    changes: list[tuple[Planned, list[dict[str, Any]]]] = field(default_factory=list)
    freezes: list[Freeze] = field(default_factory=list)
    maintenance: list[tuple[datetime, datetime]] = field(default_factory=list)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=AMSTERDAM)


def _overlaps(start: datetime, end: datetime, day: date) -> bool:
    return start < _midnight(day + timedelta(days=1)) and end > _midnight(day)


def _period(view: str, around: date) -> tuple[date, date, date, date]:
    """The days shown (whole weeks from Monday), and the period's first and last day."""
    if view == "week":
        first = around - timedelta(days=around.weekday())
        return first, first + timedelta(days=6), first, first + timedelta(days=6)
    first = around.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    shown_first = first - timedelta(days=first.weekday())
    return shown_first, last + timedelta(days=6 - last.weekday()), first, last


def _neighbours(view: str, first: date) -> tuple[date, date]:
    if view == "week":
        return first - timedelta(days=7), first + timedelta(days=7)
    before = (first - timedelta(days=1)).replace(day=1)
    return before, (first + timedelta(days=32)).replace(day=1)


def _date(raw: str) -> date:
    if not raw:
        return datetime.now(AMSTERDAM).date()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        param = {"name": "date", "pointer": "/date", "reason": "not a date"}
        raise InvalidInput("date is not a date (YYYY-MM-DD)", invalidParams=[param]) from None


@router.get("/change-calendar")
def change_calendar(
    request: Request, caller: CallerDep, view: str = "month", date: str = ""
) -> Response:
    """The changes of a month or a week, with their conflicts, freezes and maintenance."""
    view = view if view in VIEWS else "month"
    around = _date(date)
    shown_first, shown_last, first, last = _period(view, around)
    start, end = _midnight(shown_first), _midnight(shown_last + timedelta(days=1))
    with unit_of_work(caller.principal.tenant_id, read_only=True) as session:
        entries, freezes = calendar.calendar(session, caller.principal, start=start, end=end)
        windows = dap.maintenance_windows(session, start=start, end=end)
        session.expunge_all()
    days = []
    for offset in range((shown_last - shown_first).days + 1):
        day = shown_first + timedelta(days=offset)
        days.append(
            Day(
                day,
                first <= day <= last,
                [e for e in entries if _on(e[0], day)],
                [f for f in freezes if _overlaps(f.starts_at, f.ends_at, day)],
                [w for w in windows if _overlaps(w[0], w[1], day)],
            )
        )
    lang = pick_language(request)
    before, after = _neighbours(view, first)
    title = (
        format_date(first, "LLLL y", locale=lang)
        if view == "month"
        else f"{format_date(first, 'd MMMM', locale=lang)} \u2013 "
        f"{format_date(last, 'd MMMM y', locale=lang)}"
    )
    return page(
        request,
        "change_calendar.html",
        view=view,
        title=title,
        weeks=[days[i : i + 7] for i in range(0, len(days), 7)],
        days=days,
        freezes=freezes,
        windows=windows,
        conflicted=sum(1 for _, found in entries if found),
        weekdays=[get_day_names("abbreviated", locale=lang)[i] for i in range(7)],
        day_name=lambda d: format_date(d, "EEEE d MMMM", locale=lang),
        clock=lambda dt: format_time(dt, "HH:mm", tzinfo=AMSTERDAM, locale=lang),
        previous_url=link(
            request, "/change-calendar", view=view, date=before.isoformat(), tenant=caller.tenant
        ),
        next_url=link(
            request, "/change-calendar", view=view, date=after.isoformat(), tenant=caller.tenant
        ),
        other_view_url=link(
            request,
            "/change-calendar",
            view="week" if view == "month" else "month",
            date=around.isoformat(),
            tenant=caller.tenant,
        ),
    )


def _on(change: Planned, day: date) -> bool:
    return _overlaps(change.planned_start, change.planned_end, day)
