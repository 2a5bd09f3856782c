"""The production shape for the proof: gunicorn on PostgreSQL, `flask worker` beside it, limits and queue in Redis.

Used by the tests under ``tests/proof/`` (run by ``make proof``) and by ``bench/load.py``. Everything here is
a real process: ``flask db upgrade`` and ``flask seed-demo`` on a database of its own, then gunicorn with
production settings on a free loopback port.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/proof"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
SECRET = "proof-secret-key-that-is-long-and-only-for-these-tests"


def proof_database_url() -> str:
    """PROOF_DATABASE_URL, or a database named ``proof`` on the local PostgreSQL (created when missing)."""
    return os.environ.get("PROOF_DATABASE_URL", DEFAULT_DATABASE_URL)


def proof_redis_url() -> str:
    return os.environ.get("PROOF_REDIS_URL", DEFAULT_REDIS_URL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist yet."""
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def reset_database(url: str) -> None:
    """An empty public schema: the migrations then build everything, as in production."""
    ensure_database(url)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@dataclass
class Gunicorn:
    """gunicorn with production settings. ``start()`` returns once /healthz answers."""

    database_url: str
    log_dir: Path
    workers: int = 2
    env_overrides: dict[str, str] = field(default_factory=dict)
    gunicorn_args: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    #: ``flask worker`` beside gunicorn, taking the background jobs (dataset checks) from the queue in Redis
    worker: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PILOTS_ENV": "production",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": self.database_url,
            "RATELIMIT_STORAGE_URI": proof_redis_url(),
            "TASK_QUEUE_URL": proof_redis_url(),
            "NOTIFICATION_EMAILS": "false",  # no mail server unless a test gives one (env_overrides)
            **self.env_overrides,
        }

    def flask(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``flask --app app ARGS`` with the server's settings."""
        return subprocess.run(
            [str(BIN / "flask"), "--app", "app", *args], cwd=ROOT, env=self.env, check=check, capture_output=True, text=True
        )

    def prepare(self, *, seed: bool = True) -> None:
        """A fresh database built by the migrations, optionally with the demo data; fresh Redis counters."""
        reset_database(self.database_url)
        flush_redis(proof_redis_url())
        self.flask("db", "upgrade")
        if seed:
            self.flask("seed-demo")

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"gunicorn-{self.port}.log"

    def start(self, timeout: float = 60) -> str:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                *self.gunicorn_args,
                "app:app",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        worker_log = (self.log_dir / f"worker-{self.port}.log").open("a")
        self.worker = subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "worker"], cwd=ROOT, env=self.env, stdout=worker_log, stderr=subprocess.STDOUT
        )
        worker_log.close()
        deadline = time.monotonic() + timeout
        while True:  # bounded wait until a worker answers
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5)
                return self.base
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("gunicorn did not start:\n" + self.log_path.read_text()) from None
                time.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """The worker processes (children of the gunicorn master)."""
        assert self.process is not None
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()]

    def kill_worker(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)

    def stop(self) -> None:
        for process in (self.process, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)
        self.process = self.worker = None

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
