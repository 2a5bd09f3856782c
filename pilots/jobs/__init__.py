"""Background jobs on Huey: work that must not make a request wait (a conformance check of a remote server).

The queue is made from ``TASK_QUEUE_URL`` the first time it is used (never at import or start-up):

* ``sqlite:///path`` (the default: ``instance/tasks.sqlite``): Huey's SQLite storage, no extra service;
* ``redis://host:port/db``: Huey's Redis storage, for several web and worker machines;
* ``memory://``: in-process and *immediate* (a job runs when it is enqueued), for tests that do not care.

Jobs are plain functions in :mod:`pilots.jobs.tasks`, registered here with their retry policy; each runs inside
an app context and calls services like any other caller. ``flask --app app worker`` consumes them (see
:mod:`pilots.jobs.worker`). :func:`enqueue` is the one way to start a job: when the queue cannot be reached it
raises :class:`QueueUnavailable`, which callers turn into a message instead of an error page.

**A worker killed mid-job loses nothing.** Huey takes a job off the queue before it runs it, so a worker that is
killed (SIGKILL, the machine stops) would lose it. Each worker therefore keeps a journal in the queue's own storage:
when a job starts, its message and start time are written under ``inflight:<task id>``; the entry is removed when
the job ends (done, failed for good, or its retry is stored in the queue's schedule). :func:`recover` puts back on
the queue every entry older than the lease (``JOB_LEASE_SECONDS``, 15 minutes: far longer than the longest job, a
conformance check stopped at ``CONFORMANCE_TOTAL_TIMEOUT`` + 1 s or an e-mail batch bounded by ``MAIL_TIMEOUT``
per message). It takes each entry with ``pop_data``, atomic on SQLite and Redis, so two workers never both put
the same job back. Every worker runs it when it starts and every :data:`RECOVERY_MINUTES` minutes (the periodic
job ``recover_jobs``). A job put back :data:`RECOVERY_LIMIT` times whose worker dies once more is recorded as
failed instead, so a job that kills its worker cannot do so forever. A graceful stop (SIGTERM) lets the jobs
under way finish; Ctrl-C leaves their entries, and they run again once the lease has passed. Periodic jobs are not
journalled: the clock starts them again, and the daily ones would refuse a second run that day anyway.

A job may thus run twice (at least once, never zero times): it was killed after doing its work but before its
entry was removed. The jobs are safe to repeat. A dataset check stores one more check of the same dataset (the
page shows the latest; the request marker is cleared either way). ``send_notification_emails`` marks each
notification sent as soon as its message has left and skips those already sent, so only the message being sent at
the moment of the kill can go twice. A password reset or an invitation sends one more link; every link works
until the password is chosen, and then none does. A job added to :mod:`pilots.jobs.tasks` must be as safe to
repeat.

**What did not happen is recorded.** A job that fails for good (an error with no retries left) and a job the
queue refused (:class:`QueueUnavailable`) each leave a :class:`~pilots.models.JobFailure` row, written in a
transaction of its own and best-effort (recording never raises into the page or the worker). The steering
committee's dashboard shows those of the last week (:func:`pilots.services.dashboard.background_work`).
"""

from __future__ import annotations

import base64
import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey import signals as huey_signals
from huey.api import PeriodicTask, Task
from huey.constants import EmptyData
from huey.storage import RedisStorage, SqliteStorage

log = logging.getLogger(__name__)
EXTENSION = "pilots.jobs"
#: The journal's keys in the queue's storage: ``inflight:<task id>``.
IN_FLIGHT = "inflight:"
#: Every worker looks for jobs whose worker died this often (and when it starts).
RECOVERY_MINUTES = 5
#: A job is put back at most this many times; when its worker dies once more, it is recorded as failed instead.
RECOVERY_LIMIT = 3
RECOVERY_JOB = "recover_jobs"


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
    """The Huey instance for ``url`` (see the module doc); raises ValueError for an unknown scheme. Nothing reads a
    job's return value, so none is stored (results=False): the storage keeps only the periodic markers and the
    journal of jobs under way."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        filename = url.removeprefix("sqlite:///")
        Path(filename).parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("datapilots", filename=filename, timeout=30, results=False)
    if scheme in ("redis", "rediss", "unix"):
        import redis

        # Bounded waits: a Redis that does not answer must not hang a page (see enqueue). Reads wait longer than
        # the consumer's blocking poll (1 s).
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=3, socket_timeout=10)
        return RedisHuey("datapilots", connection_pool=pool, results=False)
    if scheme == "memory":
        return MemoryHuey("datapilots", immediate=True, results=False)
    raise ValueError(f"TASK_QUEUE_URL: {url!r} is not sqlite:///…, redis://… or memory://")


# --- the journal of jobs under way --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InFlight:
    """A journal entry: a job that a worker started and has not finished (as far as the queue knows)."""

    task_id: str
    name: str
    started: float  # time.time() when it started
    worker: str  # host:pid of the worker running it
    message: bytes  # the job as Huey serialised it, to put back on the queue
    priority: int | None = None

    def encode(self) -> bytes:
        entry = {
            "name": self.name,
            "started": self.started,
            "worker": self.worker,
            "priority": self.priority,
            "message": base64.b64encode(self.message).decode("ascii"),
        }
        return json.dumps(entry).encode()

    @classmethod
    def decode(cls, key: str, raw: bytes | memoryview | str) -> InFlight | None:
        try:
            entry = json.loads(bytes(raw) if not isinstance(raw, str) else raw)
            return cls(
                task_id=key.removeprefix(IN_FLIGHT),
                name=str(entry["name"]),
                started=float(entry["started"]),
                worker=str(entry["worker"]),
                message=base64.b64decode(entry["message"]),
                priority=entry.get("priority"),
            )
        except (ValueError, TypeError, KeyError):
            return None


def _journal_items(storage) -> Iterable[tuple[str, bytes]]:
    """The (key, raw value) of every journal entry, without reading the stored results around them."""
    if isinstance(storage, SqliteStorage):
        rows = storage.sql(
            "select key, value from kv where queue = ? and key like ?", (storage.name, IN_FLIGHT + "%"), results=True
        )
        return [(key, value) for key, value in rows]
    if isinstance(storage, RedisStorage):
        return [
            (key.decode() if isinstance(key, bytes) else key, value)
            for key, value in storage.conn.hscan_iter(storage.result_key, match=IN_FLIGHT + "*")
        ]
    return [(key, value) for key, value in storage.result_items().items() if key.startswith(IN_FLIGHT)]


def in_flight(huey: Huey) -> list[InFlight]:
    """The jobs the queue's workers started and have not finished, oldest first."""
    entries = (InFlight.decode(key, raw) for key, raw in _journal_items(huey.storage))
    return sorted((entry for entry in entries if entry is not None), key=lambda entry: entry.started)


class Journal:
    """Connects one process's Huey to the journal: writes an entry when a job starts, removes it when it ends."""

    def __init__(self, huey: Huey) -> None:
        self.huey = huey
        self._retrying: set[str] = set()  # ids of jobs that failed and whose retry is about to be stored
        huey.signal(huey_signals.SIGNAL_EXECUTING)(self._started)
        huey.post_execute("pilots_journal")(self._ran)
        huey.signal(huey_signals.SIGNAL_SCHEDULED, huey_signals.SIGNAL_ENQUEUED)(self._requeued)

    @staticmethod
    def _journalled(task: Task) -> bool:
        return not isinstance(task, PeriodicTask)

    def _started(self, signal: str, task: Task, *args: Any) -> None:
        if self._journalled(task):
            entry = InFlight(
                task.id,
                task.name,
                time.time(),
                f"{socket.gethostname()}:{os.getpid()}",
                self.huey.serialize_task(task),
                task.priority,
            )
            self.huey.storage.put_data(IN_FLIGHT + task.id, entry.encode())

    def _ran(self, task: Task, value: Any, exception: BaseException | None) -> None:
        """After the job (and its result) is stored, before Huey stores a retry: a job that ended for good leaves
        the journal now; one that will be retried leaves it once its retry is stored (``_requeued``)."""
        if not self._journalled(task):
            return
        if exception is not None and task.retries:
            self._retrying.add(task.id)
        else:
            self.huey.storage.delete_data(IN_FLIGHT + task.id)

    def _requeued(self, signal: str, task: Task, *args: Any) -> None:
        # SIGNAL_SCHEDULED comes once the retry is in the schedule. A retry without a delay is put straight on the
        # queue, and SIGNAL_ENQUEUED comes just before that write (no job of ours retries without a delay).
        if task.id in self._retrying:
            self._retrying.discard(task.id)
            self.huey.storage.delete_data(IN_FLIGHT + task.id)


def recover(
    huey: Huey,
    lease: float,
    now: float | None = None,
    give_up: Callable[[InFlight, int], None] | None = None,
) -> list[InFlight]:
    """Put back on the queue every job whose journal entry is older than ``lease`` seconds: its worker died.
    Each entry is taken atomically (``pop_data``), so of several workers recovering at once only one puts a job
    back. A job put back :data:`RECOVERY_LIMIT` times already is handed to ``give_up`` (the entry, and how many
    times its worker died) instead. Returns the jobs put back."""
    now = time.time() if now is None else now
    storage = huey.storage
    requeued = []
    for key, raw in _journal_items(storage):
        seen = InFlight.decode(key, raw)
        if seen is not None and now - seen.started < lease:
            continue
        taken = storage.pop_data(key)
        if taken is EmptyData:
            continue  # another worker took it, or the job ended in the meantime
        entry = InFlight.decode(key, taken)
        if entry is None:
            log.error("dropped an unreadable journal entry %s", key)
            continue
        if now - entry.started < lease:  # the job started again (a retry) in the meantime: it is not ours
            storage.put_if_empty(key, taken)
            continue
        # How many times this job's worker died. (The counter of a job that then ends well stays behind: a few
        # bytes per killed worker.)
        times = storage.incr(f"recovered:{entry.task_id}")
        if times > RECOVERY_LIMIT:
            storage.delete_counter(f"recovered:{entry.task_id}")
            log.error("job %s %s: its worker stopped during it %d times; not putting it back", entry.name, entry.task_id, times)
            if give_up is not None:
                give_up(entry, times)
            continue
        storage.enqueue(entry.message, entry.priority)
        log.warning(
            "job %s %s put back on the queue: its worker %s stopped %.0f s ago",
            entry.name,
            entry.task_id,
            entry.worker,
            now - entry.started,
        )
        requeued.append(entry)
    return requeued


# --- what did not happen --------------------------------------------------------------------------------------


def summarise(args: Iterable[Any], limit: int = 200) -> str:
    """The arguments of a job as they may be stored: numbers and flags (ids) kept, texts (an address, a URL, a
    token) left out as ``…``, lists shortened."""

    def one(value: Any) -> str:
        if value is None or isinstance(value, bool | int | float):
            return repr(value)
        if isinstance(value, list | tuple):
            shown = ", ".join(one(item) for item in value[:5])
            return f"[{shown}{f', … ({len(value)} in all)' if len(value) > 5 else ''}]"
        return "…"

    return ", ".join(one(value) for value in args)[:limit]


def describe(error: BaseException, limit: int = 500) -> str:
    """The exception's type and the first line of its message, as a failure record keeps it."""
    message = str(error).strip()
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text.splitlines()[0][:limit]


class Jobs:
    """The app's queue and its registered tasks, made on first use."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._huey: Huey | None = None
        self._tasks: dict[str, Any] = {}
        self._extra: dict[str, Job] = {}

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            from pilots.jobs.tasks import JOBS, PERIODIC

            huey = make_huey(queue_url(self.app.config, self.app.instance_path))
            for name, job in {**JOBS, **self._extra}.items():
                self._add(huey, name, job)
            for name, periodic in PERIODIC.items():
                schedule = periodic.schedule(self.app.config)
                if schedule is not None:
                    huey.periodic_task(schedule, name=name)(self._once_a_day(huey, name, periodic.function))
            huey.signal(huey_signals.SIGNAL_ERROR)(self._failed)
            if not huey.immediate:
                Journal(huey)
                huey.periodic_task(crontab(minute=f"*/{RECOVERY_MINUTES}"), name=RECOVERY_JOB)(self.recover)
            self._huey = huey
        return self._huey

    def register(self, name: str, job: Job) -> None:
        """Add a job besides those of :mod:`pilots.jobs.tasks` (a test's, say); before or after the queue is made."""
        self._extra[name] = job
        if self._huey is not None:
            self._add(self._huey, name, job)

    def _add(self, huey: Huey, name: str, job: Job) -> None:
        self._tasks[name] = huey.task(
            name=name, retries=job.retries, retry_delay=job.delay(self.app.config), retry_backoff=job.retry_backoff
        )(self._in_app_context(job.function))

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

    def recover(self) -> int:
        """Put back the jobs whose worker died (see :func:`recover`); how many."""
        lease = float(self.app.config["JOB_LEASE_SECONDS"])
        return len(recover(self.huey, lease, give_up=self._gave_up))

    def _in_app_context(self, function: Callable[..., Any]) -> Callable[..., Any]:
        app = self.app

        def run(*args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return function(*args, **kwargs)

        run.__name__ = function.__name__
        return run

    # Huey calls these in the worker's thread, outside any app context.

    def _failed(self, signal: str, task: Task, error: BaseException | None = None, *args: Any) -> None:
        if task.retries:  # it will be tried again
            return
        from pilots.models import FailureKind

        self.record(task.name, FailureKind.FAILED, task.args, describe(error) if error else "", task.id)

    def _gave_up(self, entry: InFlight, times: int) -> None:
        from pilots.models import FailureKind

        try:
            args = self.huey.deserialize_task(entry.message).args
        except Exception:  # a job this process does not know
            args = ()
        error = f"the worker stopped during this job {times} times; it is not tried again"
        self.record(entry.name, FailureKind.FAILED, args, error, entry.task_id)

    def record(self, job: str, kind, args: Iterable[Any] = (), error: str = "", task_id: str | None = None) -> None:
        """Keep a :class:`~pilots.models.JobFailure`, in a transaction of its own (on its own connection, so the
        caller's unit of work is neither committed nor rolled back). Never raises: a database that is down too
        must not turn a message into an error page."""
        try:
            from pilots.extensions import db
            from pilots.models import JobFailure, utcnow

            with self.app.app_context(), db.engine.begin() as connection:
                connection.execute(
                    JobFailure.__table__.insert().values(
                        job=job[:64],
                        kind=kind,
                        args=summarise(args),
                        error=error[:500],
                        task_id=task_id,
                        failed_at=utcnow(),
                    )
                )
        except Exception:
            log.exception("could not record that job %s did not run (%s)", job, kind)


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
        _refused(name, args, error)
        raise QueueUnavailable(str(error)) from error


def _refused(name: str, args: tuple, error: BaseException) -> None:
    try:
        from pilots.models import FailureKind

        jobs().record(name, FailureKind.NOT_QUEUED, args, describe(error))
    except Exception:  # no app here: Jobs.record itself never raises
        log.exception("could not record that job %s was not queued", name)
