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


def test_a_new_row_holds_what_sqlmodels_own_construction_gives_it() -> None:
    """TenantScoped writes a new row's values straight into it; the row must be the one
    SQLModel builds through its attribute events: the same values, defaults and set fields."""
    import uuid
    from datetime import datetime

    from sqlmodel._compat import partial_init, sqlmodel_table_construct

    from core.tenancy import TenantScoped

    tenant = uuid.uuid4()
    tables = [m.class_ for m in default_registry.mappers if issubclass(m.class_, TenantScoped)]
    assert len(tables) > 60
    for cls in tables:
        ours = cls(tenant_id=tenant)
        with partial_init():
            theirs = cls()
        sqlmodel_table_construct(self_instance=theirs, values={"tenant_id": tenant})
        mine, expected = _row(ours), _row(theirs)
        assert mine.keys() == expected.keys(), cls
        for name, value in expected.items():
            if isinstance(value, uuid.UUID | datetime) and name != "tenant_id":
                assert type(mine[name]) is type(value), (cls, name)  # a fresh id or time
            else:
                assert mine[name] == value, (cls, name)
        assert ours.__pydantic_fields_set__ == theirs.__pydantic_fields_set__ == {"tenant_id"}
        for name, value in mine.items():
            if isinstance(value, list | dict) and value is not None:
                assert value is not _row(cls(tenant_id=tenant))[name], (cls, name)  # not shared


def _row(obj: object) -> dict[str, object]:
    return {k: v for k, v in vars(obj).items() if k != "_sa_instance_state"}
