"""The server span of every request, recorded only when someone will read it.

OpenTelemetry's ASGI middleware gathers the request's attributes (host, URL, user agent, the
headers decoded one by one), wraps `receive` and `send`, and records metrics, before and
whether or not the span is recorded: a tenth of a ticket get's CPU (bench/README.md). Without
an exporter the tracer provider records no span of its own (`core.observability`), only one
whose caller's trace is sampled. Such a request, and every request when spans are exported,
goes through the middleware as before; any other gets a span that is not recorded, under the
caller's trace if one came with it: the trace id the logs and the audit trail carry.
"""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware, asgi_getter
from opentelemetry.propagate import extract
from opentelemetry.util.http import parse_excluded_urls
from starlette.types import ASGIApp, Receive, Scope, Send

EXCLUDED = "health,ready,metrics"


class ServerSpan:
    """A request's server span: recorded by OpenTelemetry's middleware when it is to be read."""

    def __init__(self, app: ASGIApp, *, exporting: bool) -> None:
        self.app = app
        self.exporting = exporting
        self.excluded = parse_excluded_urls(EXCLUDED)
        # Named after the method; core.api.middleware renames it after the matched route.
        # No spans per ASGI message: they said nothing the server span does not.
        self.recorded = OpenTelemetryMiddleware(
            app,
            excluded_urls=self.excluded,
            default_span_details=lambda scope: (scope.get("method") or "HTTP", {}),
            exclude_spans=["receive", "send"],
        )
        self.tracer = trace.get_tracer(__name__)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.exporting or scope["type"] != "http":
            return await self.recorded(scope, receive, send)
        caller = extract(scope, getter=asgi_getter)  # type: ignore[misc]
        if trace.get_current_span(caller).get_span_context().trace_flags.sampled:
            return await self.recorded(scope, receive, send)
        if self.excluded.url_disabled(scope["path"]):
            return await self.app(scope, receive, send)
        with self.tracer.start_as_current_span(
            scope["method"], context=caller, kind=trace.SpanKind.SERVER
        ):
            await self.app(scope, receive, send)
