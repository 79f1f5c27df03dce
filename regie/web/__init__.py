"""The web UI, in Dutch and English. Server-rendered; no tokens ever reach the browser."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from changes import service as changes_service
from cmdb import service as cmdb_service
from core.db import unit_of_work
from core.errors import Forbidden, NotFound
from core.identity import access, reviews, sessions
from core.identity.permissions import Principal
from core.settings import get_settings
from core.tenancy import TenantKind
from core.types import utcnow
from services.availability import permissions as availability_permissions
from services.dap import permissions as dap_permissions
from services.improvement import service as improvement_service
from services.kpi import permissions as kpi_permissions
from services.sourcing import service as sourcing_service
from tickets import permissions as ticket_permissions
from tickets.problems import permissions as problem_permissions
from tickets.problems import service as problems_service
from tickets.queue import working_tenants

HERE = Path(__file__).parent
LANGUAGES = ("nl", "en")
router = APIRouter(include_in_schema=False)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    """Messages of one language from its gettext .po files (one shared, one per domain in
    `locale/<lang>/`); English falls back to the msgid."""
    paths = [HERE / "locale" / f"{lang}.po", *sorted((HERE / "locale" / lang).glob("*.po"))]
    messages: dict[str, str] = {}
    for path in paths:
        if path.exists():
            with path.open("rb") as fh:
                found = read_po(fh)
            messages.update({str(m.id): str(m.string) for m in found if m.id and m.string})
    return messages


def pick_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    return negotiate_locale([w for w in wanted if w], LANGUAGES) or "nl"


def chosen_language(request: Request) -> str | None:
    """The language the visitor picked on a page (`?lang=`), which links must carry on."""
    chosen = request.query_params.get("lang")
    return chosen if chosen in LANGUAGES else None


def link(request: Request, path: str, **params: Any) -> str:
    """A local address that keeps a language the visitor chose explicitly."""
    query = {k: v for k, v in params.items() if v not in (None, "", [])}
    chosen = chosen_language(request)
    if chosen:
        query["lang"] = chosen
    return path + ("?" + urlencode(query, doseq=True) if query else "")


def _in_language(request: Request, code: str) -> str:
    """This very page, its query kept, in another language."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + "?" + urlencode([*query, ("lang", code)])


def render(
    request: Request, template: str, *, signed_in: bool = True, **context: Any
) -> HTMLResponse:
    """A page in the visitor's language, with the signed-in user's session when there is one
    (`signed_in=False` leaves the session unread, for pages that must render without it)."""
    lang = pick_language(request)
    messages = catalog(lang)
    current = sessions.resolve(request.cookies.get(sessions.COOKIE, "")) if signed_in else None
    html = _env.get_template(template).render(
        _=lambda s: messages.get(s, s),
        lang=lang,
        other=[code for code in LANGUAGES if code != lang],
        in_language=lambda code: _in_language(request, code),
        link=lambda path, **params: link(request, path, **params),
        chosen_lang=chosen_language(request),
        language_name=lambda code: (Locale.parse(code).get_display_name(code) or code).capitalize(),
        when=lambda dt: format_datetime(dt, "medium", tzinfo=AMSTERDAM, locale=lang),
        hours=lambda seconds: format_decimal(round(seconds / 3600, 1), locale=lang),
        now=format_datetime(utcnow(), "full", tzinfo=AMSTERDAM, locale=lang),
        web=current[0] if current else None,
        may_read_kpis=current is not None and current[1].can(kpi_permissions.READ),
        may_work=current is not None and may_work(current[1]),
        may_read_problems=current is not None and problems_service.can_read(current[1]),
        may_read_changes=current is not None and changes_service.can_read(current[1]),
        may_search_known_errors=current is not None
        and current[1].can(problem_permissions.KNOWN_ERRORS),
        may_read_outages=current is not None and current[1].can(availability_permissions.READ),
        may_read_dap=current is not None and current[1].can(dap_permissions.READ),
        may_manage_reviews=current is not None and current[1].can(reviews.MANAGE),
        may_read_cmdb=current is not None and _may(cmdb_service.require_read, current[1]),
        may_read_sourcing=current is not None and _may(sourcing_service.require_read, current[1]),
        may_read_improvements=current is not None
        and any(current[1].can(p) for p in improvement_service.READERS),
        demo=get_settings().demo_sign_in,
        **context,
    )
    return HTMLResponse(html, headers={"Content-Language": lang, "Vary": "Accept-Language"})


def may_work(principal: Principal) -> bool:
    """Whether the header offers the work queue: agents at home, and supplier staff whose
    grants to work tickets are all in clients' tenants (read only for the supplier's people,
    so a client's pages do not look through every tenant)."""
    if principal.can(ticket_permissions.WORK):
        return True
    home = access.tenant_by_id(principal.tenant_id)
    return (
        home is not None and home.kind == TenantKind.supplier and bool(working_tenants(principal))
    )


def _may(check: Callable[[Principal], None], principal: Principal) -> bool:
    """Whether a domain's read check lets the person through (for the links to show)."""
    try:
        check(principal)
    except Forbidden:
        return False
    return True


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    return render(request, "home.html")


@router.get("/account/sessions", response_class=HTMLResponse)
def my_sessions(request: Request) -> Response:
    """The signed-in user's sessions, to end the ones they do not recognise."""
    current = sessions.resolve(request.cookies.get(sessions.COOKIE, ""))
    if current is None:
        return RedirectResponse("/", status_code=303)
    web, principal = current
    with unit_of_work(principal.tenant_id, read_only=True) as session:
        live = sessions.sessions_of(session, tid=web.user_tid, oid=web.user_oid)
    return render(request, "sessions.html", live=live)


@router.post("/account/sessions/{session_id}/end")
def end_my_session(
    request: Request, session_id: uuid.UUID, csrf: Annotated[str, Form()]
) -> Response:
    current = sessions.resolve(request.cookies.get(sessions.COOKIE, ""))
    if current is None:
        return RedirectResponse("/", status_code=303)
    web, principal = current
    sessions.check_csrf(web, csrf)
    with unit_of_work(principal.tenant_id) as session:
        mine = {s.id for s in sessions.sessions_of(session, tid=web.user_tid, oid=web.user_oid)}
        if session_id not in mine:
            raise NotFound("No such session.")
        sessions.end_session(session, session_id=session_id, reason="ended by the user")
    return RedirectResponse("/account/sessions", status_code=303)


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
