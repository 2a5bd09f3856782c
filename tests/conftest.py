"""Shared fixtures: the app on a real database built by the migrations, clients, users and helpers.

The database is SQLite in a temporary file by default, or PostgreSQL when TEST_DATABASE_URL is set
(for example ``postgresql+psycopg://postgres@127.0.0.1:5432/test``). Its schema is dropped and rebuilt
with ``alembic upgrade`` once per run; every test starts from empty tables.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from pilots import cache, create_app
from pilots.config import normalise_database_url
from pilots.extensions import db, limiter
from pilots.models import CityRole
from pilots.services import workspaces
from tests import factories
from tests.voting_world import make_round, world  # noqa: F401  (the voting fixtures, for every test module)

PASSWORD = "correct-horse-battery"

# The proof (tests/proof/) runs gunicorn on PostgreSQL and takes minutes: only `make proof` (PROOF=1) collects it.
collect_ignore_glob = [] if os.environ.get("PROOF") == "1" else ["proof/*"]


def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"


def drop_everything(engine: sa.Engine) -> None:
    """Leave a clean, empty schema (PostgreSQL: the whole public schema; SQLite: every table)."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        else:
            for table in sa.inspect(connection).get_table_names():
                connection.execute(sa.text(f'DROP TABLE IF EXISTS "{table}"'))


def make_app(url: str, **overrides) -> Flask:
    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, **overrides})


@pytest.fixture(scope="session")
def app(tmp_path_factory) -> Iterator[Flask]:
    app = make_app(database_url(tmp_path_factory))
    with app.app_context():
        drop_everything(db.engine)
        flask_migrate.upgrade()  # the schema comes from the migrations, as in production
    yield app
    with app.app_context():
        db.engine.dispose()


def empty_tables(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        tables = [table.name for table in reversed(db.metadata.sorted_tables)]
        with db.engine.begin() as connection:
            if db.engine.dialect.name == "postgresql":
                connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    connection.execute(sa.text(f'DELETE FROM "{table}"'))


#: The SQLite schema version (``PRAGMA schema_version``) each engine's pooled connections were opened under.
_SCHEMA_VERSIONS: dict[sa.Engine, int] = {}


def forget_connections_older_than_the_schema(app: Flask) -> None:
    """SQLite: after a change of schema (a test that downgrades and upgrades the migrations), start a new pool.

    A SQLite connection keeps its own copy of the schema and reloads it only when a statement that reads a table
    finds the schema changed. ``PRAGMA index_list`` does not (the inspector's ``get_indexes``, and so
    ``get_unique_constraints``): on a connection whose copy predates a table it reports no indexes. The migrations
    run on one pooled connection; the pool keeps the others (the racing threads of test_close_race open several at
    once) with the schema they last saw, and hands them to later tests. No connection opened under an older schema
    serves a test, as in a process started after the migrations.
    """
    with app.app_context():
        engine = db.engine
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return  # PostgreSQL reads its catalogue afresh; a database in memory would not outlive its pool
        with engine.connect() as connection:
            version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()  # read from the file itself
        if _SCHEMA_VERSIONS.get(engine) != version:
            engine.dispose()
            _SCHEMA_VERSIONS[engine] = version


#: The programme's date when the run started. Tests compute dates from it when they are collected (say, a
#: parameter "tomorrow"), so the app keeps that date for the whole run (see _one_date_for_the_run).
RUN_DATE = workspaces.today()


@pytest.fixture(autouse=True, scope="session")
def _one_date_for_the_run() -> Iterator[None]:
    """A run that crosses midnight in Brussels keeps its first day as "today": the clock the app reads its date
    from (``workspaces.utcnow``) is set back by the days passed since the run started; otherwise untouched."""
    real = workspaces.utcnow

    def clock():
        now = real()
        return now - timedelta(days=(now.astimezone(workspaces.PROGRAMME_TIMEZONE).date() - RUN_DATE).days)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(workspaces, "utcnow", clock)
        yield


@pytest.fixture(autouse=True)
def _fresh_state(request) -> Iterator[None]:
    """Every test starts with empty tables and fresh rate-limit counters."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    empty_tables(app)
    forget_connections_older_than_the_schema(app)
    cache.clear_all()
    with app.app_context():
        limiter.reset()
    app.extensions["mailman"].outbox = []
    yield


@pytest.fixture
def outbox(app: Flask) -> list:
    """The e-mails sent during the test (Flask-Mailman's locmem backend; the jobs run when enqueued)."""
    return app.extensions["mailman"].outbox


class Client(FlaskClient):
    """A test client that sends a valid CSRF token with every form post, unless ``csrf=False``."""

    def csrf_token(self) -> str:
        app = self.application
        field = app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        with self.session_transaction() as session:
            if field not in session:
                session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
            raw = session[field]
        return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    def post(self, *args, csrf: bool = True, **kwargs):
        data = kwargs.get("data")
        if csrf and (data is None or isinstance(data, dict)):
            data = dict(data or {})
            data.setdefault("csrf_token", self.csrf_token())
            kwargs["data"] = data
        return super().post(*args, **kwargs)

    def login(self, email: str, password: str = PASSWORD, follow: bool = False):
        return self.post("/login", data={"email": email, "password": password}, follow_redirects=follow)

    def logout(self):
        return self.post("/logout")


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


@pytest.fixture
def in_app(app: Flask):
    """``with in_app() as session:`` runs a block in an app context (for setup and for checking the database)."""

    @contextmanager
    def context():
        with app.app_context():
            yield db.session

    return context


@pytest.fixture
def make_user(in_app):
    """Create a user and return its id. ``city`` (a slug) and ``role`` give it a membership."""

    def make(email: str = "someone@example.org", *, city: str | None = None, role: CityRole = CityRole.VOTER, **fields) -> int:
        with in_app():
            user = factories.UserFactory(email=email, password=PASSWORD, **fields)
            if city is not None:
                factories.MembershipFactory(user=user, city=factories.city(city), role=role)
            return user.id

    return make


@pytest.fixture
def admin_client(client: Client, make_user) -> Client:
    make_user("admin@example.org", name="Ada Admin", is_admin=True)
    assert client.login("admin@example.org").status_code == 302
    return client


@contextmanager
def count_queries(app: Flask) -> Iterator[list[str]]:
    """Collect the SQL statements run inside the block (to catch N+1 queries)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


SHARED_DIR = __import__("pathlib").Path(__file__).resolve().parent.parent.parent / "shared"


@pytest.fixture(scope="session")
def shared_reference() -> str:
    return shared_file("reference/smart-flanders.md").read_text(encoding="utf-8")


def shared_file(relative: str):
    """A file of ../shared (the programme's reference and standards). Absent: skip, except in CI (SHARED_REQUIRED=1)."""
    path = SHARED_DIR / relative
    if not path.exists():
        message = f"{path} is absent (../shared lies beside the project in CI)"
        if os.environ.get("SHARED_REQUIRED") == "1":
            pytest.fail(message + " and SHARED_REQUIRED=1")
        pytest.skip(message)
    return path
