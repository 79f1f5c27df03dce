"""Reading an import file into rows, and checking each row as a CI write would.

CSV: a header line, then one CI per line, separated by commas, or by semicolons as Dutch
spreadsheets write them (taken when the header line has a semicolon and no comma). The
columns `name`, `naturalKey`, `status` and `owner` are the CI's own fields; every other
column is an attribute of the class, its text converted by the attribute's type (numbers,
`true`/`false`); an empty cell means no value.
JSON: a list of objects shaped like a CI create (`name`, `naturalKey`, `status`, `owner`,
`attributes`), or an object with that list as `items`. A row without a natural key takes its
name as key. Rows are numbered from 1, the first CI of the file (the CSV header is row 0).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from cmdb.attributes import AttributeDefinition, AttributeType
from cmdb.imports.models import ImportFormat
from cmdb.schemas import CiCreate

FIELDS = ("name", "naturalKey", "status", "owner")
MAX_ROWS = 100_000
_TRUE, _FALSE = {"true", "1", "yes", "ja"}, {"false", "0", "no", "nee"}


class Unreadable(ValueError):
    """The file as a whole cannot be read (not CSV or JSON of the expected shape)."""


@dataclass
class Row:
    number: int
    name: str = ""
    natural_key: str = ""
    status: str = "active"
    owner: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    present: set[str] = field(default_factory=set)  # fields given; owner even when empty
    problems: list[dict[str, str]] = field(default_factory=list)


def read(content: bytes, fmt: ImportFormat, definitions: list[AttributeDefinition]) -> list[Row]:
    """Every row of the file, each already checked for its own fields (not yet the database)."""
    return [_row(n, item) for n, item in enumerate(items(content, fmt, definitions), start=1)]


def items(
    content: bytes, fmt: ImportFormat, definitions: list[AttributeDefinition]
) -> list[dict[str, Any]]:
    """The file's rows as plain values, or Unreadable for a file that is no list of rows."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the file is not UTF-8 text") from None
    raw = _csv(text, definitions) if fmt == ImportFormat.csv else _json(text)
    if len(raw) > MAX_ROWS:
        raise Unreadable(f"the file has {len(raw)} rows; at most {MAX_ROWS} are imported at once")
    return raw


def unknown_columns(content: bytes, definitions: list[AttributeDefinition]) -> list[str]:
    """CSV header names that are neither a CI field nor an attribute of the class."""
    text = content.decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text), delimiter=_delimiter(text)), [])
    known = set(FIELDS) | {d.key for d in definitions}
    return [h for h in header if h.strip() not in known]


def _csv(text: str, definitions: list[AttributeDefinition]) -> list[dict[str, Any]]:
    types = {d.key: d.type for d in definitions}
    try:
        lines = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        raise Unreadable(f"not CSV: {exc}") from None
    if not lines or "name" not in [h.strip() for h in lines[0]]:
        raise Unreadable("the first line must name the columns, among them name")
    header = [h.strip() for h in lines[0]]
    items: list[dict[str, Any]] = []
    for line in lines[1:]:
        if not any(cell.strip() for cell in line):
            continue  # a blank line is no CI
        cells = dict(zip(header, line, strict=False))
        item: dict[str, Any] = {k: v.strip() or None for k, v in cells.items() if k in FIELDS}
        item["attributes"] = {
            k: _typed(types.get(k), v) for k, v in cells.items() if k not in FIELDS
        }
        if len(line) > len(header):
            item["_extra"] = len(line) - len(header)
        items.append(item)
    return items


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return ";" if ";" in first and "," not in first else ","


def _typed(kind: AttributeType | None, cell: str) -> Any:
    """A CSV cell as the JSON value its attribute takes; left as text when it does not fit,
    so the class check names the field."""
    value = cell.strip()
    if value == "":
        return None
    if kind == AttributeType.number:
        if value.count(",") == 1 and "." not in value:
            value = value.replace(",", ".")  # a Dutch decimal comma
        try:
            number = float(value)
        except ValueError:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    if kind == AttributeType.boolean and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value


def _json(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Unreadable(f"not JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list):
        raise Unreadable("JSON must be a list of CIs, or an object with the list as items")
    return [item if isinstance(item, dict) else {"_notObject": True} for item in data]


def _row(number: int, item: dict[str, Any]) -> Row:
    row = Row(number=number)
    if item.get("_notObject"):
        row.problems.append({"name": "row", "reason": "must be an object"})
        return row
    if item.get("_extra"):
        row.problems.append({"name": "row", "reason": "more cells than the header names"})
    given = {k: v for k, v in item.items() if not k.startswith("_") and v is not None}
    row.present = {k for k, v in item.items() if k in FIELDS and (v is not None or k == "owner")}
    if "naturalKey" not in given and isinstance(given.get("name"), str):
        given["naturalKey"] = given["name"]
    attributes = given.get("attributes") or {}
    # The class is checked later, against the database; a placeholder passes the shape check.
    shape = {**given, "classId": "00000000-0000-0000-0000-000000000000", "attributes": {}}
    try:
        checked = CiCreate.model_validate(shape)
    except ValidationError as exc:
        row.problems.extend(_problems(exc))
        return row
    if not isinstance(attributes, dict):
        row.problems.append({"name": "attributes", "reason": "must be an object"})
        return row
    row.name, row.natural_key, row.status = checked.name, checked.natural_key, checked.status
    row.owner, row.attributes = checked.owner, attributes
    return row


def _problems(exc: ValidationError) -> list[dict[str, str]]:
    found = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "row"
        found.append({"name": name, "reason": error["msg"]})
    return found
