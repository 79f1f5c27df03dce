"""Background jobs: the Celery app and sending after commit.

Jobs are queued in the session and sent only when its transaction commits, so a rolled-back
request sends nothing. Anything that must not be lost goes through the outbox instead, which the
scheduler drains even when a send after commit fails.
"""

from __future__ import annotations

import time
from typing import Any

import structlog
from celery import Celery
from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import event
from sqlmodel import Session

from core.settings import Settings

log = structlog.get_logger("regie.jobs")

celery_app = Celery("regie")


class _RedisChannel(kombu_redis.Channel):
    """A channel whose transport was closed under it reports a lost connection, not a crash."""

    def _connparams(self, asynchronous: bool = False) -> dict[str, Any]:
        # After a broker restart the worker closes the broken connection twice (collect, then
        # close). When the first pass could not requeue a delivered message, the second finds
        # the transport detached and kombu fails on `None.hostname`: an AttributeError that
        # celery takes as unrecoverable, so the worker exits and nothing drains the outbox
        # until it is started again. As a connection error it is ignored and the worker
        # reconnects; the unrequeued message is redelivered after the visibility timeout.
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return dict(super()._connparams(asynchronous))


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, with a channel that survives a broker restart."""

    Channel = _RedisChannel


def configure_celery(settings: Settings) -> Celery:
    """Point the app at Redis in production, or at a folder broker that needs no server."""
    conf: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "worker_hijack_root_logger": False,
        "task_default_queue": "regie",
        # Only redis:// (rediss:// keeps kombu's own transport and its TLS defaults).
        "broker_transport": RedisTransport if settings.broker_url.startswith("redis://") else None,
    }
    if settings.broker_url.startswith("filesystem://"):
        folder = settings.broker_folder
        for sub in ("queue", "processed", "control"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        conf["broker_transport_options"] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    celery_app.conf.update(conf)
    return celery_app


def enqueue_after_commit(session: Session, task_name: str, *args: Any) -> None:
    """Send `task_name(*args)` once the session's transaction commits; drop it on rollback."""
    session.info.setdefault("after_commit_jobs", []).append((task_name, args))


def enqueue_gathered(session: Session, task_name: str, *args: Any, seconds: float = 1.0) -> None:
    """Like `enqueue_after_commit`, for a job that does whatever is due when it runs (rewrite
    what is stale): sent to run `seconds` after the commit, and not sent again by this
    process while one it sent is still to run, which comes after this commit as well. A
    burst of writes then costs one send a second, not one each."""
    session.info.setdefault("after_commit_gathered", []).append((task_name, args, seconds))


# Per process, per gathered job and arguments: when the one last sent is due to run.
_due: dict[tuple[str, tuple[Any, ...]], float] = {}


@event.listens_for(Session, "after_commit")
def _send_jobs(session: Session) -> None:
    jobs = session.info.pop("after_commit_jobs", [])
    for task_name, args in dict.fromkeys(jobs):
        _send(task_name, args)
    for task_name, args, seconds in dict.fromkeys(session.info.pop("after_commit_gathered", [])):
        now = time.monotonic()
        if _due.get((task_name, args), 0.0) <= now and _send(task_name, args, seconds):
            _due[(task_name, args)] = now + seconds


def _send(task_name: str, args: tuple[Any, ...], countdown: float | None = None) -> bool:
    try:
        celery_app.send_task(task_name, args=list(args), countdown=countdown)
        return True
    except Exception as exc:  # the outbox poll is the safety net; never fail a commit here
        log.warning("job_send_failed", task=task_name, error=type(exc).__name__)
        return False


@event.listens_for(Session, "after_rollback")
def _drop_jobs(session: Session) -> None:
    session.info.pop("after_commit_jobs", None)
    session.info.pop("after_commit_gathered", None)
