"""The real app with one more job, for tests that run a worker: ``flask --app "tests.jobs_app:create()" worker``.

``wait_for_release(folder)`` appends ``started <pid>`` to ``folder/runs``, waits for the file ``folder/release``
to exist, then appends ``done <pid>``: a job that is under way for as long as the test wants. The test's own
process registers the same job with :func:`add_test_jobs` to queue it. ``TEST_JOB_LEASE_SECONDS`` gives the
worker a short lease (``JOB_LEASE_SECONDS``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from flask import Flask

from pilots import create_app
from pilots.jobs import EXTENSION, Job

RELEASE_TIMEOUT = 120.0  # seconds: a job nobody releases fails instead of holding the worker for ever


def wait_for_release(folder: str) -> str:
    here = Path(folder)
    with (here / "runs").open("a") as runs:
        runs.write(f"started {os.getpid()}\n")
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while not (here / "release").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{here / 'release'} did not appear within {RELEASE_TIMEOUT:g} s")
        time.sleep(0.05)
    with (here / "runs").open("a") as runs:
        runs.write(f"done {os.getpid()}\n")
    return "done"


def add_test_jobs(app: Flask) -> None:
    app.extensions[EXTENSION].register("wait_for_release", Job(wait_for_release))


def create() -> Flask:
    app = create_app()
    add_test_jobs(app)
    if os.environ.get("TEST_JOB_LEASE_SECONDS"):
        app.config["JOB_LEASE_SECONDS"] = float(os.environ["TEST_JOB_LEASE_SECONDS"])
    return app
