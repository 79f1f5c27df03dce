"""The built-in CI classes every tenant sees: definitions held in code, not rows.

Why in code: a row per tenant would need seeding for every existing tenant in a migration and
a hook on every new tenant (which lives in core, below the CMDB), and tenant-less rows would
need an exception to row-level security. Held here, they are the same for every tenant at
once, RLS stays without exceptions, and a change to them ships with the code. Each has a fixed
id (a UUIDv5 of its key), so a CI names a built-in class exactly as it names one of the
tenant's own; a tenant's own class may not reuse a built-in key. Built-ins cannot be edited
through the API; a tenant that needs more attributes defines its own class.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cmdb.attributes import AttributeDefinition

_NAMESPACE = uuid.UUID("0d3c6a52-8b5e-4c71-9a0f-5a4f3c1e2b10")
SINCE = datetime(2026, 12, 5, tzinfo=UTC)  # when the built-ins first shipped
ENVIRONMENTS = ["production", "acceptance", "test", "development"]


@dataclass(frozen=True)
class BuiltinClass:
    key: str
    name: str
    description: str
    attributes: list[AttributeDefinition] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, self.key)


def _attr(key: str, label: str, kind: str = "string", **limits: Any) -> AttributeDefinition:
    return AttributeDefinition.model_validate({"key": key, "label": label, "type": kind, **limits})


_environment = _attr("environment", "Environment", "enum", values=ENVIRONMENTS)
_version = _attr("version", "Version", maxLength=100)
_vendor = _attr("vendor", "Vendor", maxLength=200)

BUILTINS: tuple[BuiltinClass, ...] = (
    BuiltinClass(
        "business-service",
        "Business service",
        "A service the client's organisation delivers with the information service",
        [_attr("criticality", "Criticality", "enum", values=["low", "medium", "high", "vital"])],
    ),
    BuiltinClass(
        "application", "Application", "A software application", [_vendor, _version, _environment]
    ),
    BuiltinClass("component", "Component", "A part of an application", [_version]),
    BuiltinClass(
        "server",
        "Server",
        "A physical or virtual server",
        [
            _attr("hostname", "Host name", maxLength=253, pattern=r"[A-Za-z0-9.-]+"),
            _attr("osVersion", "Operating system version", maxLength=100),
            _attr("cpuCount", "Processors", "number", minimum=1, maximum=1024),
            _environment,
        ],
    ),
    BuiltinClass(
        "database",
        "Database",
        "A database or database cluster",
        [_attr("engine", "Engine", maxLength=100), _version, _environment],
    ),
    BuiltinClass(
        "network", "Network", "A network segment or link", [_attr("cidr", "CIDR", maxLength=43)]
    ),
    BuiltinClass(
        "saas-service",
        "SaaS service",
        "A service used from a third party over the internet",
        [_vendor, _attr("dataLocation", "Where the data is processed", maxLength=200)],
    ),
    BuiltinClass(
        "interface",
        "Interface",
        "An exchange of data between two systems",
        [_attr("protocol", "Protocol", maxLength=100)],
    ),
    BuiltinClass(
        "document",
        "Document",
        "A document the service depends on, such as a plan or an agreement",
        [_attr("url", "Location", maxLength=2000), _attr("documentDate", "Date", "date")],
    ),
)
BY_ID = {b.id: b for b in BUILTINS}
KEYS = frozenset(b.key for b in BUILTINS)
