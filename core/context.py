"""Who acts and from where, carried in context variables for the audit trail and the logs.

The HTTP middleware sets the client; the principal dependency sets the actor. Jobs and
commands keep the default actor, the system. Core only carries these facts; it never reads
them for decisions.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str
    id: str


@dataclass(frozen=True)
class Client:
    address: str | None
    user_agent: str | None


SYSTEM = Actor(kind="system", id="system")

actor_var: ContextVar[Actor] = ContextVar("actor", default=SYSTEM)
client_var: ContextVar[Client | None] = ContextVar("client", default=None)
# Logboek Dataverwerkingen: the processing activity, purpose and legal ground of a change,
# set by a service when it knows them (e.g. {"activity": ..., "purpose": ..., "legalGround": ...}).
processing_var: ContextVar[dict[str, str] | None] = ContextVar("processing", default=None)
