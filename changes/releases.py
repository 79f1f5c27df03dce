"""Releases and the DTAP lane: a release bundles changes and moves through development, test,
acceptance and production, each step a deployment record; an environment can be rolled back
to an earlier version. Never commits.

The lane. A version enters development freely; every later environment takes it only once
its latest deployment to the environment before succeeded, and not earlier in time.
Production further needs the client's sign-off of that version, given by the client's own
product owner after acceptance succeeded, and every bundled change approved, scheduled,
implementing or implemented. A release's records in production are written into the history
of each bundled change; the change's own status moves only by its own steps.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from changes import permissions, repository
from changes.approval import client_side
from changes.errors import AlreadyExists, DeploymentRefused, NotTheClient, ReleaseNotFound
from changes.models import (
    ChangeEventKind,
    ChangeStatus,
    Deployment,
    DeploymentKind,
    DeploymentResult,
    Environment,
    Release,
    SignOff,
)
from changes.release_schemas import (
    DeploymentCreate,
    EnvironmentState,
    ReleaseCreate,
    ReleasePublic,
    ReleaseRollbackCreate,
    ReleaseUpdate,
    SignOffCreate,
)
from changes.service import invalid, raise_invalid, record
from core.api.etag import check_if_match
from core.db import touch
from core.errors import Forbidden
from core.identity.permissions import Principal
from core.identity.roles import Role
from core.types import utcnow
from tickets import public as tickets

LANE = list(Environment)
S = ChangeStatus
# How far a bundled change must be before its release reaches production.
READY_FOR_PRODUCTION = frozenset({S.approved, S.scheduled, S.implementing, S.implemented})
NOT_BUNDLED = frozenset({S.rejected, S.cancelled})
READ_ANY = (
    permissions.READ,
    permissions.WRITE,
    permissions.APPROVE,
    permissions.RELEASE,
    permissions.SIGN_OFF,
)
CLOCK_SKEW = timedelta(minutes=5)


def _require_read(actor: Principal) -> None:
    if not any(actor.can(p) for p in READ_ANY):
        raise Forbidden(f"This action needs the permission '{permissions.READ}'.")


def get_release(
    session: Session, actor: Principal, *, release_id: uuid.UUID, for_update: bool = False
) -> Release:
    """The release, or ReleaseNotFound (also for another tenant's id)."""
    _require_read(actor)
    found = repository.release(session, release_id, for_update=for_update)
    if found is None:
        raise ReleaseNotFound(f"No release with id {release_id}.")
    return found


def _for_update(
    session: Session, actor: Principal, release_id: uuid.UUID, if_match: str | None, permission: str
) -> Release:
    actor.require(permission)
    found = get_release(session, actor, release_id=release_id, for_update=True)
    check_if_match(if_match, found.version)
    return found


def list_releases(
    session: Session, actor: Principal, *, limit: int, after: list[Any] | None
) -> tuple[list[Release], list[Any] | None]:
    """One page of releases, newest first, and the cursor values of its last row."""
    _require_read(actor)
    rows = repository.release_page(session, limit=limit + 1, after=after)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return rows, [last.created_at.isoformat(), str(last.id)] if last else None


def bundling(
    session: Session, actor: Principal, *, change_id: uuid.UUID, limit: int = 50
) -> list[Release]:
    """The releases that bundle a change, newest first, so the change leads to their lane."""
    _require_read(actor)
    return repository.releases_bundling(session, change_id, limit=limit)


def _check_changes(session: Session, ids: list[uuid.UUID]) -> list[dict[str, str]]:
    """Every bundled change that is not the tenant's, or was rejected or cancelled."""
    found = repository.changes_in(session, ids)
    problems = []
    for i, change_id in enumerate(ids):
        change = found.get(change_id)
        if change is None:
            problems.append(invalid(f"changeIds.{i}", "unknown change"))
        elif change.status in NOT_BUNDLED:
            problems.append(invalid(f"changeIds.{i}", f"the change is {change.status.value}"))
        elif ids.index(change_id) != i:
            problems.append(invalid(f"changeIds.{i}", "named twice"))
    return problems


def create_release(session: Session, actor: Principal, *, data: ReleaseCreate) -> Release:
    """A release with the tenant's next number (SHN-R000012); every change it bundles must
    be the tenant's and neither rejected nor cancelled."""
    actor.require(permissions.RELEASE)
    raise_invalid(_check_changes(session, data.change_ids))
    number = repository.take_release_number(session)
    release = Release(
        number=f"{tickets.number_prefix(session)}-R{number:06d}",
        title=data.title,
        description=data.description,
        release_version=data.release_version,
        change_ids=[str(c) for c in data.change_ids],
        created_by=actor.label,
        created_by_name=actor.name,
    )
    session.add(release)
    session.flush()
    return release


def update_release(
    session: Session,
    actor: Principal,
    *,
    release_id: uuid.UUID,
    data: ReleaseUpdate,
    if_match: str | None,
) -> Release:
    """Apply the given fields, only if `if_match` names the version now stored."""
    release = _for_update(session, actor, release_id, if_match, permissions.RELEASE)
    given = data.model_dump(exclude_unset=True)
    problems = [
        invalid(name, "may not be null")
        for name, field in (
            ("title", "title"),
            ("releaseVersion", "release_version"),
            ("changeIds", "change_ids"),
        )
        if field in given and given[field] is None
    ]
    if data.change_ids is not None:
        problems += _check_changes(session, data.change_ids)
    raise_invalid(problems)
    for field, value in given.items():
        if field == "change_ids":
            value = [str(c) for c in value]
        setattr(release, field, value)
    if session.is_modified(release):
        touch(session, release)
    return release


def _when(at: datetime | None, now: datetime) -> datetime:
    if at is not None and at > now + CLOCK_SKEW:
        raise_invalid([invalid("at", "lies in the future")])
    return at or now


def _latest(rows: list[Deployment], environment: Environment, version: str) -> Deployment | None:
    """The latest deployment (not rollback) of `version` to `environment`."""
    found = [
        r
        for r in rows
        if r.kind == DeploymentKind.deployment
        and r.environment == environment
        and r.release_version == version
    ]
    return found[-1] if found else None


def deploy(
    session: Session,
    actor: Principal,
    *,
    release_id: uuid.UUID,
    data: DeploymentCreate,
    if_match: str | None,
) -> Deployment:
    """Record a deployment that ran, where the lane allows it (409 saying why not)."""
    release = _for_update(session, actor, release_id, if_match, permissions.RELEASE)
    version = data.release_version or release.release_version
    at = _when(data.at, utcnow())
    rows = repository.deployments(session, release.id)
    index = LANE.index(data.environment)
    if index > 0:
        before = LANE[index - 1]
        previous = _latest(rows, before, version)
        if previous is None or previous.result != DeploymentResult.succeeded:
            raise DeploymentRefused(
                f"Version {version} has not succeeded in {before.value} yet.",
                reasons=[f"{before.value}-not-succeeded"],
            )
        if at < previous.at:
            raise_invalid([invalid("at", f"before the deployment to {before.value} succeeded")])
    if data.environment == Environment.production:
        _refuse_production(session, release, version, at)
    row = Deployment(
        release_id=release.id,
        kind=DeploymentKind.deployment,
        environment=data.environment,
        release_version=version,
        result=data.result,
        at=at,
        log_url=str(data.log_url) if data.log_url else None,
        notes=data.notes,
        recorded_by=actor.label,
        recorded_by_name=actor.name,
    )
    session.add(row)
    _follow(session, actor, release, row)
    touch(session, release)
    return row


def _refuse_production(session: Session, release: Release, version: str, at: datetime) -> None:
    """Production needs the client's sign-off of `version` (given before `at`) and every
    bundled change far enough."""
    signed = [s for s in repository.sign_offs(session, release.id) if s.release_version == version]
    if not signed:
        raise DeploymentRefused(
            f"The client has not signed off version {version} for production.",
            reasons=["not-signed-off"],
        )
    if at < signed[0].at - CLOCK_SKEW:
        raise_invalid([invalid("at", "before the client signed the version off")])
    ids = [uuid.UUID(c) for c in release.change_ids]
    changes = repository.changes_in(session, ids)
    behind = [
        {"id": str(c.id), "number": c.number, "status": c.status.value}
        for c in (changes[i] for i in ids if i in changes)
        if c.status not in READY_FOR_PRODUCTION
    ]
    if behind:
        numbers = ", ".join(b["number"] for b in behind)
        raise DeploymentRefused(
            f"Bundled changes are not approved or scheduled: {numbers}.",
            reasons=["changes-not-approved"],
            changes=behind,
        )


def _follow(session: Session, actor: Principal, release: Release, row: Deployment) -> None:
    """A record in production goes into the history of every bundled change."""
    if row.environment != Environment.production:
        return
    changes = repository.changes_in(session, [uuid.UUID(c) for c in release.change_ids])
    for change in changes.values():
        record(
            session,
            actor,
            change,
            ChangeEventKind.deployed,
            after=row.environment.value,
            reason=row.notes,
            release=release.number,
            releaseVersion=row.release_version,
            record=row.kind.value,
            result=row.result.value,
        )


def current(rows: list[Deployment], environment: Environment) -> Deployment | None:
    """The record that put what runs now in `environment`: its last succeeded one."""
    done = [
        r for r in rows if r.environment == environment and r.result == DeploymentResult.succeeded
    ]
    return done[-1] if done else None


def roll_back(
    session: Session,
    actor: Principal,
    *,
    release_id: uuid.UUID,
    data: ReleaseRollbackCreate,
    if_match: str | None,
) -> Deployment:
    """Record that an environment returned to an earlier version; the replaced version is
    the one that ran there."""
    release = _for_update(session, actor, release_id, if_match, permissions.RELEASE)
    at = _when(data.at, utcnow())
    running = current(repository.deployments(session, release.id), data.environment)
    if running is None:
        raise DeploymentRefused(
            f"Nothing of this release runs in {data.environment.value}.",
            reasons=["nothing-deployed"],
        )
    if running.release_version == data.returned_to_version:
        raise_invalid([invalid("returnedToVersion", "that version runs there already")])
    if at < running.at:
        raise_invalid([invalid("at", "before the deployment it rolls back")])
    row = Deployment(
        release_id=release.id,
        kind=DeploymentKind.rollback,
        environment=data.environment,
        release_version=data.returned_to_version,
        replaced_version=running.release_version,
        result=data.result,
        at=at,
        log_url=str(data.log_url) if data.log_url else None,
        notes=data.notes,
        recorded_by=actor.label,
        recorded_by_name=actor.name,
    )
    session.add(row)
    _follow(session, actor, release, row)
    touch(session, release)
    return row


def deployments(session: Session, actor: Principal, *, release_id: uuid.UUID) -> list[Deployment]:
    """Every deployment and rollback of the release, in the order they ran."""
    get_release(session, actor, release_id=release_id)
    return repository.deployments(session, release_id)


def sign_off(
    session: Session,
    actor: Principal,
    *,
    release_id: uuid.UUID,
    data: SignOffCreate,
    if_match: str | None,
) -> SignOff:
    """The client's product owner accepts a version that succeeded in acceptance, once."""
    release = _for_update(session, actor, release_id, if_match, permissions.SIGN_OFF)
    if Role.product_owner.value not in actor.roles or not client_side(actor):
        raise NotTheClient(
            "A release is signed off by the client's product owner, signed in through the "
            "client's own directory."
        )
    version = data.release_version or release.release_version
    accepted = _latest(repository.deployments(session, release.id), Environment.acceptance, version)
    if accepted is None or accepted.result != DeploymentResult.succeeded:
        raise DeploymentRefused(
            f"Version {version} has not succeeded in acceptance; there is nothing to sign off.",
            reasons=["acceptance-not-succeeded"],
        )
    if any(s.release_version == version for s in repository.sign_offs(session, release.id)):
        raise AlreadyExists(f"Version {version} was signed off already.")
    row = SignOff(
        release_id=release.id,
        release_version=version,
        signed_by=actor.label,
        signed_by_name=actor.name,
        role=Role.product_owner.value,
        note=data.note,
    )
    session.add(row)
    touch(session, release)
    return row


def sign_offs(session: Session, actor: Principal, *, release_id: uuid.UUID) -> list[SignOff]:
    """The client's sign-offs of the release's versions, oldest first."""
    get_release(session, actor, release_id=release_id)
    return repository.sign_offs(session, release_id)


def public(session: Session, release: Release) -> ReleasePublic:
    """The release with what runs in each environment and whether its version is signed off."""
    rows = repository.deployments(session, release.id)
    states = []
    for environment in LANE:
        mine = [r for r in rows if r.environment == environment]
        running = current(rows, environment)
        states.append(
            EnvironmentState(
                environment=environment,
                release_version=running.release_version if running else None,
                last_result=mine[-1].result if mine else None,
                last_at=mine[-1].at if mine else None,
            )
        )
    signed = any(
        s.release_version == release.release_version
        for s in repository.sign_offs(session, release.id)
    )
    return ReleasePublic.model_validate(
        {
            **release.model_dump(exclude={"tenant_id"}),
            "environments": states,
            "signed_off": signed,
        }
    )
