"""Browser tests: Playwright drives Debian's Chromium against the app served by a real server on loopback.

Chromium is /usr/bin/chromium (override with CHROMIUM_PATH). Where it is missing the tests skip, saying
why, except when BROWSER_TESTS_REQUIRED=1 (CI sets it): then a missing browser fails the run.
Screenshots go to test-artifacts/browser/<test name>/ (override the root with TEST_ARTIFACTS_DIR).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRED = os.environ.get("BROWSER_TESTS_REQUIRED") == "1"
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", Path(__file__).resolve().parents[2] / "test-artifacts")) / "browser"
# Flags from the machine notes: headless, and no background traffic to hosts this network cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """Serve the test app with a real threaded HTTP server on a free loopback port; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@contextmanager
def launched_chromium(purpose: str = "browser tests") -> Iterator[object]:
    """Debian's Chromium through Playwright; skips (fails with BROWSER_TESTS_REQUIRED=1) where it is missing."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}; install Debian's `chromium` package to run {purpose}"
        if REQUIRED:
            pytest.fail(message + " (BROWSER_TESTS_REQUIRED=1)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    with launched_chromium() as browser:
        yield browser


class Shots:
    """Numbered screenshots of a test's steps, kept as CI artifacts."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0

    def __call__(self, step: str) -> Path:
        self.count += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def page(browser, request) -> Iterator[object]:
    context = browser.new_context(locale="nl-BE", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message) -> None:
        # A page answered 400 (a form with errors) is not a fault; failed sub-resources are caught below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def on_response(response) -> None:
        if response.request.resource_type != "document" and response.status >= 400:
            errors.append(f"{response.status} for {response.url}")

    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", on_console)
    page.on("response", on_response)
    yield page
    context.close()
    assert errors == [], f"the page reported errors (CSP violations and failed resources show here): {errors}"


@pytest.fixture
def shots(page, request) -> Shots:
    return Shots(page, ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def demo(app) -> None:
    """The demo programme (cities and accounts, password pilot-demo)."""
    from pilots.demo import seed

    with app.app_context():
        seed()
