"""A first visit to the dashboard in headless Chromium: ``python -m bench.first_visit [--url URL] [--visits N]``.

What it measures
----------------
What a person's first visit to ``/dashboard`` costs, in a browser with an empty cache, signed in as the demo's
steering-committee member (the committee's view has every chart):

* **bytes transferred**: every response of the visit (the page, stylesheets, scripts), headers included, as the
  browser's Resource Timing reports them (``transferSize``, after the ``load`` event), against the bytes once
  decoded (``decodedBodySize``): what compression saved;
* **time to charts**: from the start of the navigation until every chart (``.chart[data-figure-id]``) holds
  plotly's ``.main-svg``, checked at every animation frame in the page;
* a **repeat visit** in the same browser: the bytes that still travel (the page; the fingerprinted files come from
  the cache without asking).

Each visit is a new browser context (empty cache) with the session of one sign-in, so only the dashboard's own
requests are counted. The browser is Debian's Chromium (``/usr/bin/chromium``, or ``CHROMIUM_PATH``) through
Playwright, on loopback.

The server
----------
Without ``--url`` it serves the app itself, like the browser tests' live server: a threaded Werkzeug server on a
free loopback port, on a temporary SQLite database built by the migrations and filled with the demo programme.
With ``--url`` it visits a server that is already running, for example ``make run`` (``--email`` and
``--password`` default to the demo's ``steering@demo.local`` / ``pilot-demo``).

In ``make bench`` it is the benchmark ``first-visit-dashboard`` (5 visits at most): the timed figure is a whole
visit (new context, navigation, waiting for ``load``); the facts carry the figures above, as medians. Nothing
here asserts a time.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import statistics
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from bench.harness import Context, benchmark

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMAIL, PASSWORD = "steering@demo.local", "pilot-demo"
TIMEOUT_MS = 30_000

#: True once every chart of the page is drawn: then the time since the navigation started, in ms.
CHARTS_DRAWN = """() => {
  if (document.readyState === "loading") return false;
  const charts = document.querySelectorAll(".chart[data-figure-id]");
  if (!charts.length || !Array.from(charts).every((chart) => chart.querySelector(".main-svg"))) return false;
  return {ms: performance.now(), charts: charts.length};
}"""
#: What travelled for the document and each resource it loaded (Resource Timing, same origin).
TRANSFERRED = """() => [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")]
  .map((entry) => ({url: entry.name, transferred: entry.transferSize, decoded: entry.decodedBodySize}))"""


@dataclass
class Visit:
    charts: int
    charts_ms: float
    transferred: int
    decoded: int
    resources: list[dict]
    repeat_transferred: int


class Visitor:
    """One Chromium, one sign-in, and as many first visits as asked for."""

    def __init__(self, base_url: str, email: str = EMAIL, password: str = PASSWORD, path: str = "/dashboard") -> None:
        from playwright.sync_api import sync_playwright

        self.base_url, self.path = base_url.rstrip("/"), path
        self._playwright = sync_playwright().start()
        self.browser = self._playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        self.session = self._sign_in(email, password)

    def _sign_in(self, email: str, password: str) -> dict:
        context = self.browser.new_context()
        try:
            form = context.request.get(self.base_url + "/login").text()
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            data = {"email": email, "password": password, **({"csrf_token": token.group(1)} if token else {})}
            response = context.request.post(self.base_url + "/login", form=data, max_redirects=0)
            if response.status != 302:
                raise SystemExit(f"signing in as {email} at {self.base_url}/login answered {response.status}, not 302")
            return context.storage_state()
        finally:
            context.close()

    def visit(self) -> Visit:
        context = self.browser.new_context(storage_state=self.session, viewport={"width": 1280, "height": 900})
        try:
            page = context.new_page()
            page.goto(self.base_url + self.path, wait_until="commit", timeout=TIMEOUT_MS)
            drawn = page.wait_for_function(CHARTS_DRAWN, polling="raf", timeout=TIMEOUT_MS).json_value()
            page.wait_for_load_state("load", timeout=TIMEOUT_MS)
            resources = page.evaluate(TRANSFERRED)
            page.goto(self.base_url + self.path, wait_until="load", timeout=TIMEOUT_MS)
            repeat = page.evaluate(TRANSFERRED)
        finally:
            context.close()
        return Visit(
            charts=drawn["charts"],
            charts_ms=drawn["ms"],
            transferred=sum(entry["transferred"] for entry in resources),
            decoded=sum(entry["decoded"] for entry in resources),
            resources=resources,
            repeat_transferred=sum(entry["transferred"] for entry in repeat),
        )

    def close(self) -> None:
        self.browser.close()
        self._playwright.stop()


def serve_demo(folder: Path) -> tuple[str, object]:
    """The app on a migrated SQLite database with the demo programme, served on a free loopback port."""
    import logging

    import flask_migrate
    from werkzeug.serving import make_server

    from pilots import create_app
    from pilots.demo import seed
    from pilots.extensions import db

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'first-visit.sqlite'}"})
    with app.app_context():
        flask_migrate.upgrade()
        seed()
        db.session.remove()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the figures
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, name="first-visit-server", daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def summary(visits: list[Visit]) -> dict:
    charts_ms = sorted(visit.charts_ms for visit in visits)
    return {
        "visits": len(visits),
        "charts": visits[-1].charts,
        "requests": len(visits[-1].resources),
        "kB_transferred": round(statistics.median(visit.transferred for visit in visits) / 1000, 1),
        "kB_decoded": round(statistics.median(visit.decoded for visit in visits) / 1000, 1),
        "charts_ms_median": round(statistics.median(charts_ms), 1),
        "charts_ms_max": round(charts_ms[-1], 1),
        "kB_repeat_visit": round(statistics.median(visit.repeat_transferred for visit in visits) / 1000, 1),
        # Chromium's main thread (plotly.js's evaluation, drawing) is most of the time: say how busy the machine was.
        "load_average": round(os.getloadavg()[0], 2),
    }


def chromium_missing() -> str | None:
    if Path(CHROMIUM).exists():
        return None
    return f"Chromium not found at {CHROMIUM} (install Debian's chromium package, or set CHROMIUM_PATH)"


@benchmark(
    "first-visit-dashboard",
    "a first visit to /dashboard in headless Chromium (empty cache, demo data): bytes and time to charts",
    repeat=5,
)
def first_visit_dashboard(context: Context):
    facts = context.facts_by_bench.setdefault("first-visit-dashboard", {})
    missing = chromium_missing()
    if missing:
        facts["skipped"] = missing
        return lambda: None
    folder = Path(tempfile.mkdtemp(prefix="first-visit-"))
    base_url, server = serve_demo(folder)
    visitor = Visitor(base_url)
    visits: list[Visit] = []

    def close() -> None:
        visitor.close()
        server.shutdown()  # type: ignore[attr-defined]
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(close)

    def run() -> None:
        visits.append(visitor.visit())
        facts.update(summary(visits[1:] or visits))  # the first run (the harness's warm-up) fills the server's caches

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: serve the demo programme here)")
    parser.add_argument("--email", default=EMAIL)
    parser.add_argument("--password", default=PASSWORD)
    parser.add_argument("--path", default="/dashboard")
    parser.add_argument("--visits", type=int, default=5, help="first visits after one warm-up visit (default 5)")
    args = parser.parse_args()
    missing = chromium_missing()
    if missing:
        raise SystemExit(missing)
    with tempfile.TemporaryDirectory(prefix="first-visit-") as folder:
        server = None
        base_url = args.url
        if not base_url:
            print("serving the demo programme on a temporary SQLite database …", flush=True)
            base_url, server = serve_demo(Path(folder))
        visitor = Visitor(base_url, args.email, args.password, args.path)
        try:
            visitor.visit()  # warm-up: the server compresses each file once
            visits = [visitor.visit() for _ in range(max(1, args.visits))]
        finally:
            visitor.close()
            if server is not None:
                server.shutdown()  # type: ignore[attr-defined]
    last = visits[-1]
    print(f"\nfirst visit to {base_url}{args.path} (the last of {len(visits)}):")
    print(f"{'transferred':>12}  {'decoded':>10}  resource")
    for entry in sorted(last.resources, key=lambda entry: -entry["transferred"]):
        print(f"{entry['transferred']:>12,}  {entry['decoded']:>10,}  {entry['url'].removeprefix(base_url)}")
    print(f"{last.transferred:>12,}  {last.decoded:>10,}  in all ({len(last.resources)} requests)\n")
    for name, value in summary(visits).items():
        print(f"{name:>18}: {value}")


if __name__ == "__main__":
    main()
