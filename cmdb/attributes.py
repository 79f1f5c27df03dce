"""Typed attributes of a CI class, and the check of a CI's attribute values against them.

A class holds its attribute definitions as data, so a tenant adds a class or an attribute
without a code change or a migration. Values are plain JSON: a string, a number, an ISO date
string, a boolean, one of an enum's values, or the id of another CI of the same tenant.
"""

from __future__ import annotations

import datetime
import enum
import math
import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from core.api.schemas import ApiModel

MAX_TEXT = 4000  # a string attribute's length when its class sets no maxLength
MAX_NUMBER = 1e15  # beyond this a JSON number loses precision in some readers

AttributeKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-zA-Z0-9]{0,39}$")]


class AttributeType(enum.StrEnum):
    string = "string"
    number = "number"
    date = "date"
    boolean = "boolean"
    enum = "enum"
    reference = "reference"


class AttributeDefinition(ApiModel):
    """One attribute of a class; the limits that apply depend on its type."""

    key: AttributeKey = Field(description="lowerCamelCase; the name in a CI's attributes")
    label: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    type: AttributeType
    required: bool = False
    max_length: int | None = Field(None, ge=1, le=MAX_TEXT, description="string only")
    pattern: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="string only: a regular expression the whole value must match"
    )
    minimum: float | None = Field(None, description="number only")
    maximum: float | None = Field(None, description="number only")
    values: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(
        None, min_length=1, max_length=200, description="enum only: the allowed values"
    )
    reference_class_id: uuid.UUID | None = Field(
        None, description="reference only: the class the referred CI must have (any if absent)"
    )

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _fits_type(self) -> AttributeDefinition:
        allowed = {
            AttributeType.string: {"max_length", "pattern"},
            AttributeType.number: {"minimum", "maximum"},
            AttributeType.enum: {"values"},
            AttributeType.reference: {"reference_class_id"},
        }.get(self.type, set())
        limits = {"max_length", "pattern", "minimum", "maximum", "values", "reference_class_id"}
        misplaced = [n for n in sorted(limits - allowed) if getattr(self, n) is not None]
        if misplaced:
            raise ValueError(f"{', '.join(misplaced)} does not apply to type {self.type.value}")
        if self.type == AttributeType.enum and not self.values:
            raise ValueError("an enum needs its values")
        if self.values is not None and len(set(self.values)) != len(self.values):
            raise ValueError("enum values must be distinct")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        return self


def check_unique_keys(attributes: list[AttributeDefinition]) -> list[AttributeDefinition]:
    """Refuse two attributes with one key (a pydantic validator for a class's attribute list)."""
    seen: set[str] = set()
    for attribute in attributes:
        if attribute.key in seen:
            raise ValueError(f"the key {attribute.key} is used twice")
        seen.add(attribute.key)
    return attributes


# Whether a CI id names a CI of the tenant, and of the given class when one is given.
ReferenceCheck = Callable[[uuid.UUID, uuid.UUID | None], bool]


def invalid_values(
    definitions: list[AttributeDefinition], values: dict[str, Any], refers: ReferenceCheck
) -> list[dict[str, str]]:
    """Every attribute value that its class does not allow, as invalidParams entries."""
    known = {d.key: d for d in definitions}
    problems = [_param(key, "not an attribute of this class") for key in values if key not in known]
    for definition in definitions:
        value = values.get(definition.key)
        if value is None:
            if definition.required:
                problems.append(_param(definition.key, "required by the class"))
            continue
        reason = _reason(definition, value, refers)
        if reason:
            problems.append(_param(definition.key, reason))
    return problems


def _param(key: str, reason: str) -> dict[str, str]:
    return {"name": f"attributes.{key}", "pointer": f"/attributes/{key}", "reason": reason}


def _reason(definition: AttributeDefinition, value: Any, refers: ReferenceCheck) -> str | None:
    check = {
        AttributeType.string: _string,
        AttributeType.number: _number,
        AttributeType.date: _date,
        AttributeType.boolean: _boolean,
        AttributeType.enum: _enum,
    }.get(definition.type)
    if check is not None:
        return check(definition, value)
    return _reference(definition, value, refers)


def _string(definition: AttributeDefinition, value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    if "\x00" in value:
        return "must not contain NUL characters"
    limit = definition.max_length or MAX_TEXT
    if len(value) > limit:
        return f"at most {limit} characters"
    if definition.pattern and re.fullmatch(definition.pattern, value) is None:
        return f"must match {definition.pattern}"
    return None


def _number(definition: AttributeDefinition, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number"
    # JSON allows integers no float holds; stored values stay within a double's range.
    if abs(value) > MAX_NUMBER or (isinstance(value, float) and not math.isfinite(value)):
        return f"at most {MAX_NUMBER:g} in size"
    if definition.minimum is not None and value < definition.minimum:
        return f"at least {definition.minimum:g}"
    if definition.maximum is not None and value > definition.maximum:
        return f"at most {definition.maximum:g}"
    return None


def _date(_definition: AttributeDefinition, value: Any) -> str | None:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            datetime.date.fromisoformat(value)
            return None
        except ValueError:
            pass
    return "must be a date (YYYY-MM-DD)"


def _boolean(_definition: AttributeDefinition, value: Any) -> str | None:
    return None if isinstance(value, bool) else "must be true or false"


def _enum(definition: AttributeDefinition, value: Any) -> str | None:
    if isinstance(value, str) and value in (definition.values or []):
        return None
    return "must be one of " + ", ".join(definition.values or [])


def _reference(definition: AttributeDefinition, value: Any, refers: ReferenceCheck) -> str | None:
    try:
        ci_id = uuid.UUID(value) if isinstance(value, str) else None
    except ValueError:
        ci_id = None
    if ci_id is None:
        return "must be the id of a configuration item"
    if not refers(ci_id, definition.reference_class_id):
        return "names no configuration item of this organisation" + (
            " of the required class" if definition.reference_class_id else ""
        )
    return None
