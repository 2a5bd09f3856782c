"""The proof (``make proof``): the platform as users and attackers meet it, with real components only.

gunicorn serves the app on PostgreSQL (PROOF_DATABASE_URL, default a database ``proof`` on the local server,
created when missing) with rate limits in Redis (PROOF_REDIS_URL, default redis://127.0.0.1:6379/14; flushed).
These tests are slow; ``make test`` does not collect them (see tests/conftest.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.proof.faults_support import Database
from tests.proof.server import Gunicorn, proof_database_url

ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "test-artifacts")) / "proof"


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def seeded_server(artifacts) -> Iterator[Gunicorn]:
    """gunicorn (2 workers) on a freshly migrated and seeded PostgreSQL database, for one test module."""
    server = Gunicorn(database_url=proof_database_url(), log_dir=artifacts / "logs")
    server.prepare(seed=True)
    with server:
        yield server


@pytest.fixture(scope="module")
def db(server) -> Iterator[Database]:
    """Direct SQL access to the database of the module's ``server`` fixture, to check what was stored."""
    database = Database(server.database_url)
    yield database
    database.dispose()
