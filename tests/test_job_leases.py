"""A worker killed mid-job loses nothing: the journal of jobs under way, its recovery, and what failed for good.

The last test does it for real: ``flask worker`` runs a job that waits, is killed with SIGKILL, and a new worker
with a short lease puts the job back on the queue and runs it to the end, once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from pilots.jobs import RECOVERY_JOB, RECOVERY_LIMIT, InFlight, Job, in_flight, make_huey, recover
from pilots.models import FailureKind, JobFailure
from tests.conftest import make_app
from tests.jobs_app import add_test_jobs

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "tests.jobs_app:create()"]


def wait_for(condition: Callable[[], object], what: str, timeout: float = 60.0, log: Path | None = None):
    """Poll ``condition`` until it is true (its value is returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"{what} within {timeout:g} s" + (f"\n{log.read_text()}" if log and log.exists() else ""))


def queues(tmp_path):
    """Storages the journal must work on: SQLite always, Redis where TEST_REDIS_URL is set (two instances each, as
    two workers see the storage)."""
    urls = [f"sqlite:///{tmp_path / 'shared.sqlite'}"]
    if os.environ.get("TEST_REDIS_URL"):
        urls.append(os.environ["TEST_REDIS_URL"])
    for url in urls:
        first, second = make_huey(url), make_huey(url)
        for huey in (first, second):
            huey.task(name="some_job")(some_job)
        first.storage.flush_all()
        yield url, first, second
        first.storage.flush_all()


def some_job(number):
    return number


def worker_queue(app):
    from pilots.jobs import jobs

    with app.app_context():
        return jobs()


# --- the journal ------------------------------------------------------------------------------------------------


def test_a_job_is_in_the_journal_while_it_runs_and_leaves_it_when_it_ends(tmp_path):
    app = make_app("sqlite://", TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    registry = worker_queue(app)
    seen: list[list[InFlight]] = []
    registry.register("probe", Job(lambda number: seen.append(in_flight(registry.huey)) or number))
    huey = registry.huey
    huey.execute(registry.task("probe").s(7))
    ((entry,),) = seen
    assert entry.name == "probe"
    assert entry.worker.endswith(f":{os.getpid()}")
    assert abs(entry.started - time.time()) < 60
    assert huey.deserialize_task(entry.message).args == (7,)  # enough to put it back on the queue
    assert in_flight(huey) == []


def test_a_job_to_be_retried_leaves_the_journal_once_its_retry_is_stored(app, tmp_path):
    web = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    registry = worker_queue(web)

    def refuse(number):
        raise ConnectionRefusedError("the mail server said no")

    registry.register("flaky", Job(refuse, retries=1, retry_delay=60))
    huey = registry.huey
    huey.execute(registry.task("flaky").s(7))
    assert in_flight(huey) == []
    (retry,) = huey.scheduled()
    assert (retry.name, retry.args, retry.retries) == ("flaky", (7,), 0)
    with web.app_context():
        from pilots.extensions import db

        assert db.session.scalars(sa.select(JobFailure)).all() == []  # it will be tried again: not a failure yet
    huey.storage.flush_schedule()  # as the consumer does when the retry's time has come
    retry.eta = None
    huey.execute(retry)  # the last try fails too
    assert in_flight(huey) == [] and huey.scheduled() == []
    with web.app_context():
        (failure,) = db.session.scalars(sa.select(JobFailure)).all()
        assert (failure.job, failure.kind, failure.args) == ("flaky", FailureKind.FAILED, "7")
        assert failure.error == "ConnectionRefusedError: the mail server said no"
        assert failure.task_id == retry.id


def test_what_a_failure_record_keeps_of_the_arguments():
    from pilots.jobs import describe, summarise

    assert summarise((12, None, True)) == "12, None, True"
    assert summarise(("eva@example.org",)) == "…"  # an address, a URL, a token: never stored
    assert summarise(([1, 2, 3, 4, 5, 6, 7],)) == "[1, 2, 3, 4, 5, … (7 in all)]"
    assert len(summarise(tuple(range(1000)))) == 200
    assert describe(ValueError("first line\nsecond line")) == "ValueError: first line"
    assert len(describe(ValueError("x" * 2000))) == 500
    assert describe(TimeoutError()) == "TimeoutError"


# --- recovery -------------------------------------------------------------------------------------------------


def journal_entry(huey, task_id: str, started: float) -> None:
    """What a worker writes when it starts ``some_job(task_id)`` (with that task id) at ``started``."""
    from pilots.jobs import IN_FLIGHT

    message = huey.serialize_task(huey._registry.string_to_task(f"{__name__}.some_job")((task_id,), id=task_id))
    entry = InFlight(task_id, "some_job", started, "elsewhere:1", message)
    huey.storage.put_data(IN_FLIGHT + task_id, entry.encode())


def test_recovery_puts_an_expired_job_back_once_whatever_the_number_of_workers(tmp_path):
    now = time.time()
    for url, first, second in queues(tmp_path):
        journal_entry(first, "old", now - 1000)
        journal_entry(first, "young", now - 10)
        (put_back,) = recover(first, lease=900, now=now)
        assert put_back.task_id == "old", url
        assert recover(second, lease=900, now=now) == [], url  # already taken
        (queued,) = second.pending()
        assert (queued.name, queued.args) == ("some_job", ("old",)), url
        assert [entry.task_id for entry in in_flight(second)] == ["young"], url  # still within its lease


def test_two_workers_recovering_at_the_same_moment_put_a_job_back_once(tmp_path):
    import threading

    now = time.time()
    for url, first, second in queues(tmp_path):
        for number in range(20):
            journal_entry(first, f"job-{number}", now - 1000)
        results: list[list[InFlight]] = []
        start = threading.Barrier(2)

        def run(huey, results=results, start=start):
            start.wait()
            results.append(recover(huey, lease=900, now=now))

        threads = [threading.Thread(target=run, args=(huey,)) for huey in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        taken = sorted(entry.task_id for batch in results for entry in batch)
        assert taken == sorted(f"job-{number}" for number in range(20)), url
        assert len(first.pending()) == 20, url


def test_a_job_that_keeps_killing_its_worker_is_recorded_as_failed_and_not_put_back(tmp_path):
    now = time.time()
    for url, huey, _ in queues(tmp_path):
        given_up: list[tuple[InFlight, int]] = []
        for _attempt in range(RECOVERY_LIMIT):
            journal_entry(huey, "poison", now - 1000)
            assert len(recover(huey, lease=900, now=now, give_up=lambda *args, into=given_up: into.append(args))) == 1, url
        journal_entry(huey, "poison", now - 1000)
        assert recover(huey, lease=900, now=now, give_up=lambda *args, into=given_up: into.append(args)) == [], url
        ((entry, times),) = given_up
        assert (entry.task_id, times) == ("poison", RECOVERY_LIMIT + 1), url  # its worker died once more
        assert len(huey.pending()) == RECOVERY_LIMIT and in_flight(huey) == [], url


def test_the_job_given_up_is_recorded_as_failed(app, in_app, tmp_path):
    from pilots.jobs import IN_FLIGHT

    web = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    registry = worker_queue(web)
    registry.register("fragile", Job(some_job))
    huey = registry.huey
    task = registry.task("fragile").s(42)
    entry = InFlight(task.id, "fragile", time.time() - 3600, "elsewhere:1", huey.serialize_task(task))
    put_back = []
    for _death in range(RECOVERY_LIMIT + 1):
        huey.storage.put_data(IN_FLIGHT + task.id, entry.encode())
        put_back.append(registry.recover())
    assert put_back == [1] * RECOVERY_LIMIT + [0]
    with in_app() as session:
        (failure,) = session.scalars(sa.select(JobFailure)).all()
        assert (failure.job, failure.kind, failure.args, failure.task_id) == ("fragile", FailureKind.FAILED, "42", task.id)
        assert failure.error == f"the worker stopped during this job {RECOVERY_LIMIT + 1} times; it is not tried again"


def test_every_worker_looks_for_interrupted_jobs_every_few_minutes(tmp_path):
    from datetime import datetime

    app = make_app("sqlite://", TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    registry = worker_queue(app)
    (recovery,) = [task for task in registry.huey._registry.periodic_tasks if task.name == RECOVERY_JOB]
    assert recovery.validate_datetime(datetime(2026, 12, 7, 3, 5))
    assert not recovery.validate_datetime(datetime(2026, 12, 7, 3, 6))
    memory = make_app("sqlite://", TASK_QUEUE_URL="memory://")
    assert RECOVERY_JOB not in {task.name for task in worker_queue(memory).huey._registry.periodic_tasks}


# --- for real: SIGKILL ----------------------------------------------------------------------------------------


def waiting(huey) -> list[str]:
    """The names of the jobs waiting in the queue or its schedule, but the periodic recovery (a worker's scheduler
    queues it when it starts on a minute divisible by five)."""
    return [task.name for task in (*huey.pending(), *huey.scheduled()) if task.name != RECOVERY_JOB]


def test_a_job_whose_worker_is_killed_runs_again_to_the_end_once(tmp_path):
    site = tmp_path / "site"
    work = tmp_path / "work"
    work.mkdir()
    site.mkdir()
    queue = f"sqlite:///{site / 'tasks.sqlite'}"
    env = {
        **os.environ,
        "PILOTS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{site / 'site.sqlite'}",
        "TASK_QUEUE_URL": queue,
    }
    env.pop("TEST_JOB_LEASE_SECONDS", None)
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    web = make_app(env["DATABASE_URL"], TASK_QUEUE_URL=queue)
    add_test_jobs(web)
    runs = work / "runs"

    def lines() -> list[str]:
        return runs.read_text().split() if runs.exists() else []

    with web.app_context():
        from pilots import jobs

        jobs.enqueue("wait_for_release", str(work))
    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with first_log.open("w") as log:
        first = subprocess.Popen([*FLASK, "worker", "--workers", "1"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "started" in lines(), "the first worker did not start the job", log=first_log)
        huey = worker_queue(web).huey  # knows the test's job (and the periodic ones the workers may have queued)
        (entry,) = wait_for(lambda: in_flight(huey), "the job is not in the journal", log=first_log)
        assert entry.name == "wait_for_release" and entry.worker.endswith(f":{first.pid}")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    assert waiting(huey) == []  # Huey took the job off the queue: without the journal, it would be lost
    assert [entry.task_id for entry in in_flight(huey)] == [entry.task_id]
    assert lines() == ["started", str(first.pid)]

    (work / "release").touch()
    lease = 1.0
    wait_for(lambda: time.time() - entry.started > lease, "the lease did not run out")
    with second_log.open("w") as log:
        second = subprocess.Popen(
            [*FLASK, "worker", "--workers", "1"],
            cwd=ROOT,
            env={**env, "TEST_JOB_LEASE_SECONDS": str(lease)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: "done" in lines(), "the second worker did not finish the job", log=second_log)
        wait_for(lambda: in_flight(huey) == [], "the finished job stayed in the journal", log=second_log)
    finally:
        second.terminate()
        second.wait(timeout=30)
    assert second.returncode == 0, second_log.read_text()  # SIGTERM is a graceful stop
    assert lines() == ["started", str(first.pid), "started", str(second.pid), "done", str(second.pid)]
    assert waiting(huey) == []  # nothing left to run it a third time
    assert "1 interrupted job(s) put back on the queue" in second_log.read_text()
    engine = sa.create_engine(env["DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(JobFailure.__table__)).scalar() == 0
    engine.dispose()
