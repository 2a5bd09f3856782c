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
        self.base, self.cookie = base, ""

    def request(self, path: str, data: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers={"Cookie": self.cookie, "Accept-Language": "en"})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            response = opener.open(req, timeout=10)
        except urllib.error.HTTPError as error:
            response = error
        cookie = response.headers.get("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response.headers, response.read().decode()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
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
    }
    flask = [str(BIN / "flask"), "--app", "app"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
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
    yield base
    server.terminate()
    server.wait(timeout=10)
    log.close()


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
