"""Logs as JSON lines, OpenTelemetry traces, Prometheus metrics.

Logs carry ids and routing facts only: never request bodies, ticket contents or personal data.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from contextvars import ContextVar
from typing import Any

import structlog
from opentelemetry import trace
from prometheus_client import Counter, Histogram

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

REQUEST_SECONDS = Histogram(
    "regie_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
OUTBOX_HANDLED = Counter(
    "regie_outbox_messages_total", "Outbox messages handled", ["topic", "outcome"]
)


def _add_trace_ids(
    _logger: Any, _name: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    ctx = trace.get_current_span().get_span_context()
    if ctx.is_valid:
        event["trace_id"] = format(ctx.trace_id, "032x")
        event["span_id"] = format(ctx.span_id, "016x")
    return event


def configure_logging(level: str = "info") -> None:
    """Structured JSON logs on stdout for API, worker and scheduler alike."""
    logging.basicConfig(format="%(message)s", stream=sys.stdout, level=level.upper(), force=True)
    # uvicorn's own access log would repeat ours without the ids.
    logging.getLogger("uvicorn.access").disabled = True
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_trace_ids,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=True,
    )


def configure_tracing(service_name: str, otlp_endpoint: str | None) -> None:
    """Install a tracer provider; export over OTLP/HTTP only when an endpoint is set.

    Without an endpoint nothing is recorded (spans would go nowhere), but every request still
    gets a trace id, which the logs and the audit trail carry.
    """
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    resource = Resource.create({"service.name": service_name})
    if not otlp_endpoint:
        trace.set_tracer_provider(
            TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_OFF))
        )
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=otlp_endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
