"""Filling a new row's defaults stays cheap (core.factories)."""

from __future__ import annotations

import inspect

from sqlmodel.main import default_registry

import regie.app  # noqa: F401  # every domain's tables


def test_every_table_default_factory_answers_its_signature_at_once() -> None:
    """pydantic asks a table field's default factory for its signature on every new row; a
    builtin or a class (`list`, `dict`) answers by parsing text, ~125 µs each time."""
    slow = [
        f"{mapper.class_.__name__}.{name}: {field.default_factory!r}"
        for mapper in default_registry.mappers
        for name, field in mapper.class_.model_fields.items()
        if field.default_factory is not None and not inspect.isfunction(field.default_factory)
    ]
    assert not slow, slow
