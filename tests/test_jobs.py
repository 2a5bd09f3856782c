"""Background jobs for real: the web button only queues a check, ``flask worker`` (a separate process on Huey's
SQLite storage) runs it, and a hostile dataset ends with a stored "too slow to check" verdict (issue 11, finding 3).

The site is the demo (``db upgrade`` and ``seed-demo``, as ``make run`` does) on its own SQLite file; the datasets'
endpoints are the conformance test server on 127.0.0.1, allow-listed for both the web app and the worker.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from itertools import pairwise
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conformance.server import Server, make_handler
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]
BUDGET = 3.0


@pytest.fixture(scope="module")
def endpoints() -> Iterator[Server]:
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def site(tmp_path_factory, endpoints) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("jobs")
    env = {
        **os.environ,
        "PILOTS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite'}",
        "TASK_QUEUE_URL": f"sqlite:///{folder / 'tasks.sqlite'}",
        "CONFORMANCE_ALLOW": f"127.0.0.1:{endpoints.port}",
        "CONFORMANCE_TOTAL_TIMEOUT": str(BUDGET),
    }
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([*FLASK, *command], cwd=ROOT, env=env, check=True, capture_output=True)
    return env


@pytest.fixture(scope="module")
def worker(site, tmp_path_factory) -> Iterator[subprocess.Popen]:
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    with log_path.open("w") as log:
        process = subprocess.Popen([*FLASK, "worker", "--workers", "2"], cwd=ROOT, env=site, stdout=log, stderr=subprocess.STDOUT)
        yield process
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode == 0, log_path.read_text()  # SIGTERM is a graceful stop


def web(site: dict[str, str], **overrides):
    settings = {
        "TASK_QUEUE_URL": site["TASK_QUEUE_URL"],
        "CONFORMANCE_ALLOW": [site["CONFORMANCE_ALLOW"]],
        "CONFORMANCE_TOTAL_TIMEOUT": BUDGET,
    }
    return make_app(site["DATABASE_URL"], **{**settings, **overrides})


def in_language(client, token: str, language: str) -> None:
    assert client.post("/language", data={"csrf_token": token, "language": language}).status_code == 302


def signed_in(app, email: str = "steering@demo.local"):
    client = app.test_client()
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": "pilot-demo"})
    assert response.status_code == 302
    page = client.get("/account").text  # signing in starts a fresh session, with a token of its own
    return client, re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def point_dataset_at(site, url: str) -> tuple[int, int]:
    """The demo's first dataset, now published at ``url``; (pilot id, dataset id)."""
    engine = sa.create_engine(site["DATABASE_URL"])
    with engine.begin() as connection:
        pilot_id, dataset_id = connection.execute(sa.text("SELECT pilot_id, id FROM published_datasets ORDER BY id")).first()
        connection.execute(
            sa.text("UPDATE published_datasets SET access_url = :url WHERE id = :id"), {"url": url, "id": dataset_id}
        )
    engine.dispose()
    return pilot_id, dataset_id


def checks_of(site, dataset_id: int) -> list[str]:
    engine = sa.create_engine(site["DATABASE_URL"])
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT report FROM dataset_checks WHERE dataset_id = :id ORDER BY id"), {"id": dataset_id}
        ).scalars()
        reports = list(rows)
    engine.dispose()
    return reports


def wait_for_check(site, dataset_id: int, before: int, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reports = checks_of(site, dataset_id)
        if len(reports) > before:
            return reports[-1]
        time.sleep(0.1)
    pytest.fail(f"no check of dataset {dataset_id} was stored within {timeout:g} s")


def test_the_button_queues_the_check_and_the_worker_runs_it(site, endpoints, worker, monkeypatch):
    from pilots.jobs import tasks

    def not_here(url, realtime, frequency=None):
        raise AssertionError("the web process ran the check itself")

    monkeypatch.setattr(tasks, "run_checker", not_here)  # in this (web) process only; the worker has its own
    pilot_id, dataset_id = point_dataset_at(site, endpoints.url("/good"))
    app = web(site)
    client, token = signed_in(app)
    in_language(client, token, "en")
    before = len(checks_of(site, dataset_id))
    response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", data={"csrf_token": token})
    assert response.status_code == 302
    report = wait_for_check(site, dataset_id, before)
    assert '"reachable", "result": "pass"' in report
    page = client.get(f"/pilots/{pilot_id}").text
    assert "check under way" not in page
    assert "Turtle, " in page  # the checklist's rdf_parses evidence


def test_a_hostile_dataset_ends_with_a_stored_verdict(site, endpoints, worker):
    pilot_id, dataset_id = point_dataset_at(site, endpoints.url("/laughs.rdf"))
    app = web(site)
    client, token = signed_in(app)
    in_language(client, token, "en")
    before = len(checks_of(site, dataset_id))
    started = time.monotonic()
    response = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", data={"csrf_token": token})
    assert response.status_code == 302
    assert time.monotonic() - started < BUDGET  # the request did not wait for the check
    page = client.get(f"/pilots/{pilot_id}").text
    assert "check under way" in page
    # Asking again while it runs starts nothing new.
    again = client.post(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", data={"csrf_token": token}, follow_redirects=True)
    assert "already under way" in again.text
    report = wait_for_check(site, dataset_id, before)
    assert '"limit": "time"' in report
    assert "too slow to check" in report
    english = client.get(f"/pilots/{pilot_id}").text
    assert "too slow to check" in english and "check under way" not in english
    in_language(client, token, "nl")
    dutch = client.get(f"/pilots/{pilot_id}").text
    assert "te traag om te controleren" in dutch
    assert len(checks_of(site, dataset_id)) == before + 1


def test_a_queue_that_does_not_answer_leaves_the_page_working(site, endpoints):
    pilot_id, dataset_id = point_dataset_at(site, endpoints.url("/good"))
    app = web(site, TASK_QUEUE_URL="redis://127.0.0.1:9/0")  # nothing listens on the discard port
    client, token = signed_in(app)
    in_language(client, token, "en")
    response = client.post(
        f"/pilots/{pilot_id}/datasets/{dataset_id}/check",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "The check could not be started: the background queue does not answer." in response.text
    assert "check under way" not in response.text  # nothing is left pretending to wait


def test_the_queue_is_made_from_its_url(tmp_path):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    from pilots.jobs import make_huey

    assert isinstance(make_huey(f"sqlite:///{tmp_path / 'q.sqlite'}"), SqliteHuey)
    redis_huey = make_huey("redis://127.0.0.1:6379/15")  # makes no connection yet
    assert isinstance(redis_huey, RedisHuey)
    assert redis_huey.storage.pool.connection_kwargs["socket_connect_timeout"] == 3
    memory = make_huey("memory://")
    assert isinstance(memory, MemoryHuey) and memory.immediate


def test_an_unknown_queue_url_is_refused_at_start_up():
    from pilots.config import ConfigurationError, check_config

    with pytest.raises(ConfigurationError, match="TASK_QUEUE_URL"):
        check_config({"TASK_QUEUE_URL": "amqp://127.0.0.1/"})


# --- periodic jobs: the nightly monitoring pass, once a day whatever the number of workers -------------------------


def test_the_nightly_pass_queues_every_dataset_spread_and_one_host_at_a_time(app, in_app, monkeypatch):
    from pilots import jobs
    from pilots.demo import seed
    from pilots.jobs import tasks
    from pilots.services import workspaces

    queued = []
    monkeypatch.setattr(jobs, "enqueue_in", lambda delay, name, *args: queued.append((delay, name, args)))
    with in_app():
        seed()
        targets = workspaces.monitoring_targets()
        assert len(targets) > 1, "the demo publishes datasets"
        assert tasks.recheck_datasets() == len(targets)
    assert sorted(args for _, _, args in queued) == sorted((dataset_id, None) for dataset_id, _ in targets)
    assert {name for _, name, _ in queued} == {"check_dataset"}
    window = app.config["DATASET_MONITORING_WINDOW_HOURS"] * 3600
    gap = app.config["CONFORMANCE_TOTAL_TIMEOUT"] + 1
    urls = dict(targets)
    by_host: dict[str, list[float]] = {}
    for delay, _, (dataset_id, _) in queued:
        by_host.setdefault(urls[dataset_id].split("/")[2], []).append(delay)
    for starts in by_host.values():
        starts.sort()
        assert all(later - earlier >= gap for earlier, later in pairwise(starts))
    assert len(targets) * gap < window  # room enough: the whole pass fits in the window
    assert max(delay for delay, _, _ in queued) < window


def test_a_scheduled_job_waits_in_the_queue(tmp_path):
    from pilots import jobs

    app = make_app("sqlite://", TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    with app.app_context():
        jobs.enqueue_in(3600, "check_dataset", 7, None)
        (task,) = jobs.jobs().huey.pending()  # the consumer moves it to its schedule when it reads it
        assert (task.name, task.args) == ("check_dataset", (7, None))
        assert task.eta is not None
    with make_app("sqlite://", TASK_QUEUE_URL="redis://127.0.0.1:9/0").app_context(), pytest.raises(jobs.QueueUnavailable):
        jobs.enqueue_in(60, "check_dataset", 7, None)


def test_the_pass_is_scheduled_daily_at_the_configured_hour_or_not_at_all(tmp_path):
    from datetime import datetime

    queue = f"sqlite:///{tmp_path / 'q.sqlite'}"
    scheduled = make_app("sqlite://", TASK_QUEUE_URL=queue, DATASET_MONITORING_HOUR=3, DIGEST_HOUR="off", REMINDER_HOUR="off")
    with scheduled.app_context():
        from pilots.jobs import RECOVERY_JOB, jobs

        (periodic,) = [task for task in jobs().huey._registry.periodic_tasks if task.name != RECOVERY_JOB]
        assert periodic.validate_datetime(datetime(2026, 12, 7, 3, 0))
        assert not periodic.validate_datetime(datetime(2026, 12, 7, 4, 0))
        assert not periodic.validate_datetime(datetime(2026, 12, 7, 3, 1))
    off = make_app("sqlite://", TASK_QUEUE_URL=queue, DATASET_MONITORING_HOUR="off", DIGEST_HOUR="off", REMINDER_HOUR="off")
    with off.app_context():
        # Only the recovery of interrupted jobs (tests/test_job_leases.py) is left.
        assert [task.name for task in jobs().huey._registry.periodic_tasks] == [RECOVERY_JOB]


def shared_queues(tmp_path):
    """Two workers' queues on one storage, as two machines see it: SQLite always, Redis where TEST_REDIS_URL is set."""
    from pilots.jobs import make_huey

    urls = [f"sqlite:///{tmp_path / 'shared.sqlite'}"]
    if os.environ.get("TEST_REDIS_URL"):
        urls.append(os.environ["TEST_REDIS_URL"])
    for url in urls:
        first, second = make_huey(url), make_huey(url)
        first.storage.flush_results()
        yield url, first, second


def test_a_periodic_job_runs_once_a_day_whatever_the_number_of_workers(tmp_path):
    from datetime import date

    from pilots.jobs import once_per_period

    for url, first, second in shared_queues(tmp_path):
        assert once_per_period(first, "recheck_datasets", date(2026, 12, 7)), url
        assert not once_per_period(second, "recheck_datasets", date(2026, 12, 7)), url
        assert not once_per_period(first, "recheck_datasets", date(2026, 12, 7)), url
        assert once_per_period(second, "recheck_datasets", date(2026, 12, 8)), url  # the next day, again once
        assert once_per_period(second, "another_job", date(2026, 12, 7)), url


def test_two_workers_schedulers_start_the_pass_and_it_runs_once(tmp_path):
    """What each worker's scheduler runs (the guarded job): the second of two workers on one queue does nothing."""
    from pilots.jobs import Jobs

    runs = []
    app = make_app("sqlite://", TASK_QUEUE_URL=f"sqlite:///{tmp_path / 'q.sqlite'}")
    one, two = Jobs(app), Jobs(app)
    for worker in (one, two):
        worker._once_a_day(worker.huey, "counted", lambda: runs.append(1) or len(runs))()
    assert runs == [1]
