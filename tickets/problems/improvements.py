"""A known error proposes an improvement in one step. The link lives on the item (source
kind problem and the problem's id), so the problem stores nothing new; the problem's side
reads its items back through the register's public functions."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from core.identity.permissions import Principal
from services.improvement import public as improvement
from tickets.problems.errors import NotAKnownError
from tickets.problems.service import get_problem


def propose(
    session: Session,
    actor: Principal,
    *,
    problem_id: uuid.UUID,
    data: improvement.ImprovementFromSource,
) -> improvement.ImprovementPublic:
    """A proposed improvement whose source is the known error; 409 for a problem that is
    not a known error (yet)."""
    actor.require(improvement.PROPOSE)
    problem = get_problem(session, actor, problem_id=problem_id)
    if not problem.known_error:
        raise NotAKnownError(f"Problem {problem.number} is not a known error.")
    given = data.model_dump(exclude_none=True)
    body = improvement.ImprovementCreate.model_validate(
        {
            "title": problem.title,
            "description": problem.description,
            **given,
            "source_kind": improvement.ImprovementSource.problem,
            "source_id": problem.id,
        }
    )
    return improvement.propose(session, actor, data=body)


def items(
    session: Session, actor: Principal, *, problem_id: uuid.UUID
) -> list[improvement.ImprovementPublic]:
    """The improvements the problem led to, oldest first."""
    actor.require(improvement.READ)
    get_problem(session, actor, problem_id=problem_id)
    return improvement.items_of_source(
        session, kind=improvement.ImprovementSource.problem, source_id=problem_id
    )
