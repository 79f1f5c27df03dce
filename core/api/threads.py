"""Routes whose plain (blocking) endpoint runs in one thread hand-off, its commit included.

FastAPI runs a plain `def` endpoint in its threadpool; then the request's unit of work was
committed in a second hand-off (the session dependency's end), and the returned model handed
to the threadpool a third time only to be validated against the response model. Each hand-off
is a queue, a condition variable and a wake-up of the event loop: ~0.1 ms of CPU here
(bench/README.md), for work that needs no other thread. Wrapped in a coroutine that runs it in
the threadpool itself, the endpoint counts as asynchronous to FastAPI: it still runs in a
worker thread, followed there by the commit of the unit the request's session dependency
handed over (`commit_with_endpoint`), and the response is validated and encoded on the event
loop, as for every `async def` endpoint. The order is the same as before: endpoint, commit,
response; an endpoint that raises commits nothing, and the dependency rolls back as before.
What the route declares (parameters, response model, name, docstring, OpenAPI) is read from
the endpoint the wrapper wraps, so it is unchanged.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from fastapi.routing import APIRoute
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from core.db import finish

_ENDED = "ended_with_endpoint"
_unit: ContextVar[Session | None] = ContextVar("unit_ended_with_endpoint", default=None)


def commit_with_endpoint(session: Session | None) -> None:
    """Hand the request's unit of work to the thread that runs a threaded route's endpoint,
    which commits it when the endpoint returns (None: take it back)."""
    _unit.set(session)


def ended(session: Session) -> bool:
    """Whether the endpoint's thread already committed and closed `session`."""
    return bool(session.info.get(_ENDED))


def _call_then_commit(endpoint: Callable[..., Any], values: dict[str, Any], unit: Any) -> Any:
    result = endpoint(**values)
    if unit is not None:
        finish(unit, ok=True)  # a failed commit raises here, as it did in the dependency
        unit.info[_ENDED] = True
    return result


def in_thread(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` as a coroutine that runs it, then the commit, in the threadpool; what FastAPI
    reads of a signature (`inspect.signature`, `inspect.unwrap`) still sees `endpoint`."""

    @functools.wraps(endpoint)
    async def run(**values: Any) -> Any:
        return await run_in_threadpool(_call_then_commit, endpoint, values, _unit.get())

    return run


class ThreadedRoute(APIRoute):
    """An API route whose plain endpoint costs one thread hand-off per request, not three."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if inspect.isfunction(endpoint) and not (
            inspect.iscoroutinefunction(endpoint) or inspect.isgeneratorfunction(endpoint)
        ):
            endpoint = in_thread(endpoint)
        super().__init__(path, endpoint, **kwargs)
