"""Which tables belong to a tenant, and how each column is written to and read from JSON."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, Engine, LargeBinary, Table, Uuid, inspect

import regie.models  # noqa: F401  (every table on the metadata)
from core.db import metadata
from core.types import UTCDateTime

TENANT_TABLE = "core_tenant"

# Tables with a tenant_id that no model maps, each with the table it is derived from: the
# database keeps them from that table by triggers (an import rebuilds them, a delete cascades)
# and the app reads them only through a SECURITY DEFINER function, so row-level security is
# enabled on them but not forced and the app role holds no right on them (migration 0039).
DERIVED = {"tickets_search_entry": "tickets_ticket"}


def tenant_table() -> Table:
    """The tenant's own row's table: exported, imported and deleted with its rows."""
    return metadata.tables[TENANT_TABLE]


def tenant_tables() -> list[Table]:
    """Every table holding a tenant's rows, parents before children (foreign-key order)."""
    return [t for t in metadata.sorted_tables if "tenant_id" in t.c]


def tables_in_database(engine: Engine) -> set[str]:
    """Tables of the live database that carry a tenant_id column (to catch any not covered),
    the derived ones excepted."""
    found = inspect(engine)
    return {
        name
        for name in found.get_table_names()
        if name not in DERIVED and any(c["name"] == "tenant_id" for c in found.get_columns(name))
    }


def is_file(column: Column[Any]) -> bool:
    """Stored bytes go to files of their own beside the rows, not into the JSON lines."""
    return isinstance(column.type, LargeBinary)


def json_value(value: Any) -> Any:
    """A column's value as JSON: ids and moments as strings, enums by value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def decoder(column: Column[Any]) -> Callable[[Any], Any]:
    """The inverse of `json_value` for this column's type."""
    kind = column.type
    if isinstance(kind, Uuid):
        return lambda v: None if v is None else uuid.UUID(v)
    if isinstance(kind, UTCDateTime | DateTime):
        return lambda v: None if v is None else datetime.fromisoformat(v)
    if isinstance(kind, Date):
        return lambda v: None if v is None else date.fromisoformat(v)
    return lambda v: v


def type_name(column: Column[Any]) -> str:
    """A reader's name for the column's type in SCHEMA.md."""
    kind = column.type
    for cls, name in (
        (Uuid, "UUID (string)"),
        (UTCDateTime, "timestamp, ISO 8601 with offset (UTC)"),
        (DateTime, "timestamp, ISO 8601"),
        (Date, "date, ISO 8601"),
        (JSON, "JSON value"),
        (LargeBinary, "file: {path, sha256} of a file in this export"),
    ):
        if isinstance(kind, cls):
            return name
    enums = getattr(kind, "enums", None)
    if enums:
        return "one of " + ", ".join(f"`{e}`" for e in enums)
    return str(kind.compile()).lower() if hasattr(kind, "compile") else type(kind).__name__


def file_name(table: Table, row: dict[str, Any]) -> str:
    """A stable name for a row's file: its primary key without the tenant."""
    key = [str(row[c.name]) for c in table.primary_key.columns if c.name != "tenant_id"]
    return f"files/{table.name}/{'_'.join(key) or 'row'}.bin"
