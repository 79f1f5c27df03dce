"""The base for API shapes: lowerCamelCase on the wire, unknown fields refused, no coercion."""

from __future__ import annotations

import datetime
import types
from typing import Annotated, Any, Literal, Self, Union, cast, get_args, get_origin

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    Strict,
    field_validator,
)
from pydantic.alias_generators import to_camel


class ApiModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", from_attributes=True
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Hold every field to the type the published schema gives it (see `_strict`)."""
        super().__pydantic_init_subclass__(**kwargs)
        changed = [_strict(f.annotation, f.metadata) for f in cls.model_fields.values()]
        if any(changed):  # 78 models, about 44 ms at start-up
            cls.model_rebuild(force=True)

    @classmethod
    def from_stored(cls, values: dict[str, Any]) -> Self:
        """An answer from stored values, checked when they were written: no validators, and
        none of `model_construct`'s per-field bookkeeping (1 µs a model instead of 14; a list
        builds 50). `values` holds every field under its name, as the model's types hold them;
        a model with private attributes falls back to `model_construct`."""
        if cls.__private_attributes__:
            return cast(Self, cls.model_construct(**values))
        model = object.__new__(cls)
        object.__setattr__(model, "__dict__", values)
        object.__setattr__(model, "__pydantic_fields_set__", set(values))
        object.__setattr__(model, "__pydantic_extra__", None)
        object.__setattr__(model, "__pydantic_private__", None)
        return model

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold NUL; refuse it as invalid input rather than fail later.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def _strict(annotation: Any, metadata: list[Any]) -> bool:
    """Pydantic's lax mode takes "yes" and 0 for a boolean, "1" and true for an integer and a
    number for a date-time, none of which the OpenAPI document allows: refuse them. Date-times
    still parse from ISO strings, which strict mode would refuse."""
    kinds = _kinds(annotation)
    if kinds & {str, object, Any}:
        return False
    if kinds & {bool, int} and not kinds & {float}:
        metadata.append(Strict())
    elif kinds & {float}:
        metadata.append(BeforeValidator(_number))
    elif kinds & {datetime.datetime, datetime.date, datetime.time}:
        metadata.append(BeforeValidator(_not_a_number))
    else:
        return False
    return True


# Pydantic's constrained date-times are classes of their own, not subclasses of datetime.
_DATE_TYPES = {
    AwareDatetime: datetime.datetime,
    NaiveDatetime: datetime.datetime,
    PastDatetime: datetime.datetime,
    FutureDatetime: datetime.datetime,
    PastDate: datetime.date,
    FutureDate: datetime.date,
}


def _kinds(annotation: Any) -> set[Any]:
    if annotation in _DATE_TYPES:
        return {_DATE_TYPES[annotation]}
    origin = get_origin(annotation)
    if origin is Annotated:
        return _kinds(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return set().union(*(_kinds(a) for a in get_args(annotation)))
    if origin is Literal:
        return {type(v) for v in get_args(annotation)}
    if origin is not None:  # lists, dicts: their items keep the default
        return {object}
    if isinstance(annotation, type) and issubclass(annotation, str):  # str enums
        return {str}
    return {annotation}


def _number(value: Any) -> Any:
    if isinstance(value, bool | str):
        raise ValueError("must be a JSON number")
    return value


def _not_a_number(value: Any) -> Any:
    if isinstance(value, bool | int | float):
        raise ValueError("must be an ISO 8601 string")
    return _iso_text(value)


def _bool_word(value: Any) -> Any:
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value


def _iso_text(value: Any) -> Any:
    if isinstance(value, str) and value.lstrip("+-").replace(".", "", 1).isdigit():
        raise ValueError("must be an ISO 8601 date-time, not a number")
    return value


# Query parameters arrive as text: only the forms the OpenAPI document names are taken.
QueryBool = Annotated[bool, BeforeValidator(_bool_word)]
QueryDateTime = Annotated[datetime.datetime, BeforeValidator(_iso_text)]
QueryAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]
