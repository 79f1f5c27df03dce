"""What other modules may ask of problems (e.g. the notice that tells an incident's reporter
about a published workaround, whose history row carries only the problem's number and id)."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from tickets.problems import repository


def published_workaround(session: Session, problem_id: uuid.UUID) -> str | None:
    """The workaround of the session tenant's problem, once it was published; else None."""
    problem = repository.get(session, problem_id)
    if problem is None or problem.workaround_published_at is None:
        return None
    return problem.workaround


def problem_exists(session: Session, problem_id: uuid.UUID) -> bool:
    """Whether the id names a problem of the session's tenant (a change may fix it)."""
    return repository.get(session, problem_id) is not None
