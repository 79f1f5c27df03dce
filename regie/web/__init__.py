"""The web UI, in Dutch and English. Server-rendered; no tokens ever reach the browser."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale, negotiate_locale
from babel.dates import format_datetime
from babel.messages.pofile import read_po
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.types import utcnow

HERE = Path(__file__).parent
LANGUAGES = ("nl", "en")
router = APIRouter(include_in_schema=False)
_env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())


@lru_cache
def catalog(lang: str) -> dict[str, str]:
    """Messages of one language from its gettext .po file; English falls back to the msgid."""
    path = HERE / "locale" / f"{lang}.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh) if m.id and m.string}


def pick_language(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    header = request.headers.get("accept-language", "")
    wanted = [part.split(";")[0].strip().replace("-", "_") for part in header.split(",")]
    return negotiate_locale([w for w in wanted if w], LANGUAGES) or "nl"


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> HTMLResponse:
    lang = pick_language(request)
    messages = catalog(lang)
    html = _env.get_template("home.html").render(
        _=lambda s: messages.get(s, s),
        lang=lang,
        other=[code for code in LANGUAGES if code != lang],
        language_name=lambda code: (Locale.parse(code).get_display_name(code) or code).capitalize(),
        now=format_datetime(utcnow(), "full", tzinfo=ZoneInfo("Europe/Amsterdam"), locale=lang),
    )
    return HTMLResponse(html, headers={"Content-Language": lang, "Vary": "Accept-Language"})


def mount_static(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
