"""The production shape: gunicorn with two workers, production settings, rate limits shared through Redis.

Needs Redis: set TEST_REDIS_URL (CI uses redis://127.0.0.1:6379/15; that database is flushed).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browserless:
    """A tiny HTTP client that keeps the session cookie (also the Secure one, over plain loopback HTTP)."""

    def __init__(self, base: str) -> None:
        self.base, self.cookies = base, {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Cookie": self.cookie, "Accept-Language": "en"})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name] = value
        return response.status, response.headers, response.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def endpoints():
    """Dataset endpoints on 127.0.0.1, hostile ones included (tests/conformance/server.py)."""
    import threading
    from http.server import ThreadingHTTPServer

    from tests.conformance.server import Server, make_handler

    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield state
    httpd.shutdown()
    httpd.server_close()


CHECK_BUDGET = 3


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, endpoints):
    """gunicorn (2 workers) and ``flask worker``, sharing Redis for the rate limits and the task queue."""
    if not REDIS_URL:
        pytest.skip("set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to test gunicorn with Redis rate limits")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    folder = tmp_path_factory.mktemp("deploy")
    env = {
        **os.environ,
        "PILOTS_ENV": "production",
        "SECRET_KEY": "a-long-random-secret-for-this-test-only",
        "DATABASE_URL": f"sqlite:///{folder / 'prod.sqlite'}",
        "RATELIMIT_STORAGE_URI": REDIS_URL,
        "TASK_QUEUE_URL": REDIS_URL,
        "CONFORMANCE_ALLOW": f"127.0.0.1:{endpoints.port}",
        "CONFORMANCE_TOTAL_TIMEOUT": str(CHECK_BUDGET),
        "NOTIFICATION_EMAILS": "false",  # no mail server in this test: notifications stay in the app
    }
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "create-user", "--email", "staff@example.org", "--name", "Staff", "--password", "a-long-password"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    port = _free_port()
    log = (folder / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker_log = (folder / "worker.log").open("w")
    worker = subprocess.Popen([*flask, "worker"], cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # wait until the server answers (bounded)
        try:
            urllib.request.urlopen(base + "/healthz", timeout=5)
            break
        except OSError:  # refused while binding, or no worker answering yet (URLError and timeouts are OSErrors)
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("gunicorn did not start: " + (folder / "gunicorn.log").read_text())
            time.sleep(0.1)
    yield {"base": base, "database": env["DATABASE_URL"]}
    server.terminate()
    worker.terminate()
    server.wait(timeout=10)
    worker.wait(timeout=30)
    log.close()
    worker_log.close()


@pytest.fixture(scope="module")
def gunicorn(deployment) -> str:
    return deployment["base"]


def _login(client: Browserless, email: str, password: str):
    _, _, page = client.request("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    return client.request("/login", {"csrf_token": token, "email": email, "password": password})


def test_serves_with_production_settings(gunicorn):
    client = Browserless(gunicorn)
    status, headers, body = client.request("/healthz")
    assert status == 200 and '"database":"ok"' in body.replace(" ", "")
    status, headers, _ = _login(client, "staff@example.org", "a-long-password")
    assert status == 302
    cookie = headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    status, headers, page = client.request("/account")
    assert status == 200 and "Mijn account" in page  # the account's language (nl) outranks the browser
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_login_limit_is_shared_by_the_workers(gunicorn):
    """Five failures spread over two workers exhaust the account's limit: the counter lives in Redis."""
    statuses = []
    for _ in range(6):
        client = Browserless(gunicorn)  # a new connection each time: the workers take turns
        statuses.append(_login(client, "victim@example.org", "guess")[0])
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
    import redis

    assert redis.Redis.from_url(REDIS_URL).keys("*login-account*victim@example.org*"), "the counter is not in Redis"


def test_workers_tune_the_garbage_collector():
    """gunicorn.conf.py freezes what a worker holds after loading the app and raises the GC thresholds."""
    script = (
        "import gc, runpy; from pilots.runtime import GC_THRESHOLDS;"
        "conf = runpy.run_path('gunicorn.conf.py'); assert gc.get_freeze_count() == 0;"
        "conf['post_worker_init'](None);"
        "print(gc.get_freeze_count() > 1000, gc.get_threshold() == GC_THRESHOLDS, conf['timeout'])"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "True", "30"]


def test_a_hostile_dataset_holds_no_gunicorn_worker(deployment, endpoints):
    """Issue 11, finding 3, in production shape: the check button answers at once, the site stays responsive
    while a worker process parses a billion laughs, and the "too slow to check" verdict is stored."""
    import sqlalchemy as sa

    engine = sa.create_engine(deployment["database"])
    with engine.begin() as connection:
        pilot_id, dataset_id = connection.execute(sa.text("SELECT pilot_id, id FROM published_datasets ORDER BY id")).first()
        connection.execute(
            sa.text("UPDATE published_datasets SET access_url = :url WHERE id = :id"),
            {"url": endpoints.url("/laughs.rdf"), "id": dataset_id},
        )
        last_check = connection.execute(sa.text("SELECT coalesce(max(id), 0) FROM dataset_checks")).scalar()
    client = Browserless(deployment["base"])
    assert _login(client, "steering@demo.local", "pilot-demo")[0] == 302
    _, _, page = client.request(f"/pilots/{pilot_id}")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    started = time.monotonic()
    status, _, _ = client.request(f"/pilots/{pilot_id}/datasets/{dataset_id}/check", {"csrf_token": token})
    answered = time.monotonic() - started
    assert status == 302
    assert answered < CHECK_BUDGET  # queued, not run: gunicorn's 30 s timeout is never in reach
    health = []
    deadline = time.monotonic() + 60
    while True:
        with engine.connect() as connection:
            report = connection.execute(
                sa.text("SELECT report FROM dataset_checks WHERE dataset_id = :id AND id > :last"),
                {"id": dataset_id, "last": last_check},
            ).scalar()
        if report is not None:
            break
        assert time.monotonic() < deadline, "the worker stored no verdict"
        started = time.monotonic()
        status, _, _ = Browserless(deployment["base"]).request("/healthz")
        health.append(time.monotonic() - started)
        assert status == 200
    engine.dispose()
    assert '"limit": "time"' in report and "too slow to check" in report
    assert health, "the check finished before the site could be asked anything"
    assert max(health) < 2.0, f"/healthz slowed down to {max(health):.2f} s while a check ran"
