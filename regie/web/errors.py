"""Error pages: a browser that navigates to Regie gets a page in its language, never JSON.

The API keeps answering application/problem+json. Everything else that a browser asks for as
a page (`Accept: text/html`) and that ends in a problem - an unknown path, an unknown
organisation at sign-in, a stale form, an unexpected failure - is shown as the same error
page, with the status kept and the correlation id to quote.
"""

from __future__ import annotations

import structlog
from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.api.problems import PROBLEM_JSON
from core.observability import request_id_var
from regie.web import render

log = structlog.get_logger("regie.web")
CONFLICT = (
    "Someone else changed this ticket after you opened it. Nothing was changed: "
    "check the ticket and its history, then try again."
)
ERROR_TEXTS = {
    400: ("Invalid request", "The address or the form could not be read. Go back and try again."),
    403: (
        "Not allowed",
        "You may not do this, or the form has expired. Reload the page and try again.",
    ),
    404: ("Not found", "This ticket or page does not exist, or it is not visible to you."),
    405: ("Invalid request", "The address or the form could not be read. Go back and try again."),
    409: ("Not possible", "This change is not possible for the ticket as it is now."),
    412: ("Changed by someone else", CONFLICT),
    500: ("Something went wrong", "Try again later."),
}
# Paths that machines read; their errors stay problem+json whoever asks.
_MACHINE_PATHS = ("/api/", "/scim/", "/health", "/ready", "/metrics", "/.well-known/")


def error_page(
    request: Request,
    status_code: int,
    *,
    texts: tuple[str, str] | None = None,
    correlation_id: str | None = None,
    signed_in: bool = True,
) -> Response:
    """The error page of a status (or of `texts`), in the visitor's language."""
    fallback = ERROR_TEXTS[400] if 400 <= status_code < 500 else ERROR_TEXTS[500]
    title, text = texts or ERROR_TEXTS.get(status_code, fallback)
    response = render(
        request,
        "error.html",
        signed_in=signed_in,
        title=title,
        text=text,
        correlation_id=correlation_id or request_id_var.get(),
    )
    response.status_code = status_code
    return response


def wants_page(scope: Scope) -> bool:
    """A browser navigation to a page: HTML accepted, and not a path that machines read."""
    if scope["type"] != "http" or scope["path"].startswith(_MACHINE_PATHS):
        return False
    return "text/html" in Headers(scope=scope).get("accept", "")


class BrowserErrors:
    """Turns a problem+json answer to a browser navigation into the error page, keeping the
    status and every other header (CSP, request id) of the answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not wants_page(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None

        async def send_page(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if Headers(raw=message["headers"]).get("content-type") == PROBLEM_JSON:
                    start = message  # held back: the body below replaces it
                    return
                await send(message)
            elif start is None:
                await send(message)
            elif not message.get("more_body", False):
                await self._send_page(scope, start, send)

        await self.app(scope, receive, send_page)

    async def _send_page(self, scope: Scope, start: Message, send: Send) -> None:
        headers = MutableHeaders(raw=list(start["headers"]))
        page = await run_in_threadpool(_page_for, scope, start["status"], headers)
        headers["content-type"] = page.headers["content-type"]
        headers["content-length"] = str(len(page.body))
        headers["content-language"] = page.headers["content-language"]
        headers["vary"] = "Accept-Language"
        await send(
            {"type": "http.response.start", "status": start["status"], "headers": headers.raw}
        )
        await send({"type": "http.response.body", "body": page.body})


def _page_for(scope: Scope, status: int, headers: MutableHeaders) -> Response:
    request = Request(scope)
    correlation = headers.get("x-request-id")
    try:
        return error_page(request, status, correlation_id=correlation)
    except Exception as exc:  # the session lookup needs the database, which may be the cause
        log.warning("error_page_without_session", error=type(exc).__name__)
        return error_page(request, status, correlation_id=correlation, signed_in=False)
