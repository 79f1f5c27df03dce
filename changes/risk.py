"""Risk from the tenant's questionnaire, and who approves by default. Pure: no database.

The weights of the chosen answers add up to the score; the tenant's thresholds turn the
score into a class. The answers are kept with their texts and weights as they stood, so a
later change of the questionnaire never changes what an assessed change shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from changes.models import ChangeType, RiskClass
from core.identity.roles import Role

DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    {
        "key": "downtime",
        "text": "Does the change make a service unavailable?",
        "answers": [
            {"key": "none", "text": "No", "weight": 0},
            {"key": "short", "text": "For less than an hour", "weight": 2},
            {"key": "long", "text": "For an hour or more", "weight": 4},
        ],
    },
    {
        "key": "reversible",
        "text": "How easily is the change undone?",
        "answers": [
            {"key": "easily", "text": "Easily, within minutes", "weight": 0},
            {"key": "effort", "text": "With effort", "weight": 2},
            {"key": "hardly", "text": "Hardly or not at all", "weight": 4},
        ],
    },
    {
        "key": "experience",
        "text": "Has this kind of change been done here before?",
        "answers": [
            {"key": "often", "text": "Often", "weight": 0},
            {"key": "once", "text": "Once or twice", "weight": 1},
            {"key": "never", "text": "Never", "weight": 3},
        ],
    },
]
DEFAULT_MEDIUM_FROM, DEFAULT_HIGH_FROM = 4, 8


def default_approvers(change_type: ChangeType, risk: RiskClass) -> list[dict[str, Any]]:
    """Who approves when the tenant set no rule: the client's product owner and the supplier's
    change manager (an emergency only the change manager); high risk adds the client's
    service owner, or for an emergency the product owner."""
    if change_type == ChangeType.emergency:
        roles = [Role.change_manager] + ([Role.product_owner] if risk == RiskClass.high else [])
    else:
        roles = [Role.product_owner, Role.change_manager]
        roles += [Role.service_owner] if risk == RiskClass.high else []
    return [{"role": role.value, "quorum": 1} for role in roles]


@dataclass(frozen=True)
class Assessment:
    score: int
    risk_class: RiskClass
    answers: list[dict[str, Any]]
    problems: list[dict[str, str]]  # invalid fields, for a 400 naming each


def assess(
    questions: list[dict[str, Any]], given: dict[str, str], *, medium_from: int, high_from: int
) -> Assessment:
    """Score the answers; every question must be answered with one of its answers."""
    problems: list[dict[str, str]] = []
    answers: list[dict[str, Any]] = []
    known = {q["key"] for q in questions}
    for key in sorted(set(given) - known):
        problems.append(_problem(key, "not a question of this questionnaire"))
    for question in questions:
        choice = given.get(question["key"])
        option = next((a for a in question["answers"] if a["key"] == choice), None)
        if option is None:
            why = "unanswered" if choice is None else "not an answer to this question"
            problems.append(_problem(question["key"], why))
            continue
        answers.append(
            {
                "question": question["key"],
                "questionText": question["text"],
                "answer": option["key"],
                "answerText": option["text"],
                "weight": option["weight"],
            }
        )
    score = sum(a["weight"] for a in answers)
    return Assessment(score, classify(score, medium_from, high_from), answers, problems)


def classify(score: int, medium_from: int, high_from: int) -> RiskClass:
    """The risk class a score falls in by the tenant's thresholds."""
    if score >= high_from:
        return RiskClass.high
    return RiskClass.medium if score >= medium_from else RiskClass.low


def _problem(key: str, reason: str) -> dict[str, str]:
    return {"name": f"answers.{key}", "pointer": f"/answers/{key}", "reason": reason}
