"""Request parameters read with what FastAPI works out of each declared field once.

For every query, header, cookie and path parameter of every request, FastAPI asks again of
the field's type whether it is a parameter model, a JSON field or a sequence, and works out
its aliases (`typing.get_origin`, `issubclass` over unions): pure functions of a field that
does not change once the routes are built, asked 18 times by each ticket list (its query
parameters): about 2 % of the list's CPU (bench/README.md). The four answers are kept per
field (and per annotation); what is read from the request and how it is validated is
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from fastapi.dependencies import utils

_KEPT = ("_get_param_model", "_get_param_aliases", "_is_json_field", "field_annotation_is_sequence")


def _kept(function: Callable[..., Any]) -> Callable[..., Any]:
    answers: dict[Any, Any] = {}

    @wraps(function)
    def kept(key: Any, **options: Any) -> Any:
        memo = (key, *options.items())
        try:
            return answers[memo]
        except KeyError:
            answers[memo] = answer = function(key, **options)
            return answer
        except TypeError:  # an annotation that cannot be a key: asked each time
            return function(key, **options)

    return kept


def read_params_once() -> None:
    """Keep FastAPI's per-field answers, so a request pays only for the values it carries;
    called once when the app is built (a second call changes nothing)."""
    for name in _KEPT:
        function = getattr(utils, name)
        if not hasattr(function, "__wrapped__"):
            setattr(utils, name, _kept(function))
