"""In-process domain events: a domain announces, others listen, neither knows the other.

Listeners run synchronously inside the announcer's transaction (when it passes its session),
so a listener's writes commit or roll back together with the change that caused them.
Subscriptions are wired in the composition root (regie/), never inside a domain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E")
_listeners: dict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[E], listener: Callable[[E], None]) -> None:
    """Let a lower layer react to a higher one's events without importing it."""
    if listener not in _listeners[event_type]:
        _listeners[event_type].append(listener)


def unsubscribe(event_type: type[E], listener: Callable[[E], None]) -> None:
    """Stop a listener, for tests that subscribe one of their own."""
    if listener in _listeners[event_type]:
        _listeners[event_type].remove(listener)


def publish(event: object) -> None:
    """Call every listener of the event's type; a listener's error propagates to the caller."""
    for listener in list(_listeners[type(event)]):
        listener(event)
