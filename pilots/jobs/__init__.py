"""Background jobs on Huey: work that must not make a request wait (a conformance check of a remote server).

The queue is made from ``TASK_QUEUE_URL`` the first time it is used (never at import or start-up):

* ``sqlite:///path`` (the default: ``instance/tasks.sqlite``): Huey's SQLite storage, no extra service;
* ``redis://host:port/db``: Huey's Redis storage, for several web and worker machines;
* ``memory://``: in-process and *immediate* (a job runs when it is enqueued), for tests that do not care.

Jobs are plain functions in :mod:`pilots.jobs.tasks`, registered here with their retry policy; each runs inside
an app context and calls services like any other caller. ``flask --app app worker`` consumes them (see
:mod:`pilots.jobs.worker`). :func:`enqueue` is the one way to start a job: when the queue cannot be reached it
raises :class:`QueueUnavailable`, which callers turn into a message instead of an error page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

log = logging.getLogger(__name__)
EXTENSION = "pilots.jobs"


class QueueUnavailable(RuntimeError):
    """The task queue did not take the job (Redis down, the SQLite file not writable …)."""


@dataclass(frozen=True)
class Job:
    """A registered job: the function and how often and how long after a failure to try it again."""

    function: Callable[..., Any]
    retries: int = 0
    retry_delay: int | str = 0  # seconds before the first retry, or the name of the setting that gives them
    retry_backoff: float = 0  # each later retry waits this many times longer (0: the same delay)

    def delay(self, config) -> int:
        return int(config[self.retry_delay]) if isinstance(self.retry_delay, str) else self.retry_delay


@dataclass(frozen=True)
class Periodic:
    """A job the workers start by the clock: daily at the hour (UTC) that setting ``hour_setting`` gives ("off":
    never). Each worker's scheduler starts it, but only the first of them on a given day runs it (see
    :func:`once_per_period`), so several workers on several machines run it once a day, not once each."""

    function: Callable[[], Any]
    hour_setting: str

    def schedule(self, config) -> Callable[[datetime], bool] | None:
        hour = config.get(self.hour_setting)
        return None if hour in (None, "", "off") else crontab(minute="0", hour=str(int(hour)))


def once_per_period(huey: Huey, name: str, day: date) -> bool:
    """True for the first caller of ``name`` on ``day``, in every process sharing the queue (an atomic
    put-if-absent in its storage: INSERT OR ABORT on SQLite, HSETNX on Redis); False for the others."""
    return bool(huey.storage.put_if_empty(f"periodic:{name}:{day.isoformat()}", b"1"))


def queue_url(config, instance_path: str) -> str:
    return config.get("TASK_QUEUE_URL") or f"sqlite:///{Path(instance_path) / 'tasks.sqlite'}"


def make_huey(url: str) -> Huey:
    """The Huey instance for ``url`` (see the module doc); raises ValueError for an unknown scheme."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        filename = url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("datapilots", filename=filename, timeout=30)
    if scheme in ("redis", "rediss", "unix"):
        import redis

        # Bounded waits: a Redis that does not answer must not hang a page (see enqueue). Reads wait longer than
        # the consumer's blocking poll (1 s).
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        return RedisHuey("datapilots", connection_pool=pool)
    if scheme == "memory":
        return MemoryHuey("datapilots", immediate=True)
    raise ValueError(f"TASK_QUEUE_URL: {url!r} is not sqlite:///…, redis://… or memory://")


class Jobs:
    """The app's queue and its registered tasks, made on first use."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._tasks: dict[str, Any] = {}

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            from pilots.jobs.tasks import JOBS, PERIODIC

            huey = make_huey(queue_url(self.app.config, self.app.instance_path))
            for name, job in JOBS.items():
                self._tasks[name] = huey.task(
                    name=name, retries=job.retries, retry_delay=job.delay(self.app.config), retry_backoff=job.retry_backoff
                )(self._in_app_context(job.function))
            for name, periodic in PERIODIC.items():
                schedule = periodic.schedule(self.app.config)
                if schedule is not None:
                    huey.periodic_task(schedule, name=name)(self._once_a_day(huey, name, periodic.function))
            self._huey = huey
        return self._huey

    def _once_a_day(self, huey: Huey, name: str, function: Callable[[], Any]) -> Callable[[], Any]:
        run = self._in_app_context(function)

        def guarded() -> Any:
            if not once_per_period(huey, name, datetime.now(UTC).date()):
                log.info("periodic job %s already ran today (another worker started it)", name)
                return None
            return run()

        guarded.__name__ = function.__name__
        return guarded

    def task(self, name: str):
        self.huey  # noqa: B018 - registers the tasks
        return self._tasks[name]

    def _in_app_context(self, function: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        def run(*args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return function(*args, **kwargs)

        run.__name__ = function.__name__
        return run


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Jobs(app)


def jobs() -> Jobs:
    return current_app.extensions[EXTENSION]


def enqueue(name: str, *args: Any) -> None:
    """Start job ``name`` with ``args`` in the background (at once, in memory:// mode)."""
    _submit(name, args, delay=None)


def enqueue_in(delay: float, name: str, *args: Any) -> None:
    """Start job ``name`` with ``args`` in ``delay`` seconds (raises QueueUnavailable like :func:`enqueue`)."""
    _submit(name, args, delay=delay)


def _submit(name: str, args: tuple, delay: float | None) -> None:
    try:
        task = jobs().task(name)
        if delay is None:
            task(*args)
        else:
            task.schedule(args, delay=delay)
    except QueueUnavailable:
        raise
    except Exception as error:  # redis.ConnectionError, sqlite3.OperationalError …: the page must still answer
        log.exception("job %s could not be queued", name)
        raise QueueUnavailable(str(error)) from error
