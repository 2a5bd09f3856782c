"""Light first visits (issue 18): compressed responses, static files at fingerprinted addresses kept a year, and
plotly.js's cartesian bundle on the pages whose charts it can draw (docs/operations.md, "Light pages").

The browser half (the charts really draw with the partial bundle) is tests/browser/test_light_pages.py.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import itertools
import json
import os
import re
from pathlib import Path

import brotli
import plotly.graph_objects as go
import pytest
from flask import Response, url_for

from pilots import PROJECT_DIR
from pilots.charts import PLOTLY_JS, PLOTLY_VERSION
from pilots.security.access import ANYONE, allow
from pilots.web import assets
from tests.conftest import make_app

STATIC = PROJECT_DIR / "static"
CARTESIAN = STATIC / assets.CARTESIAN_BUNDLE
DEMO_PASSWORD = "pilot-demo"


def decoded(response) -> bytes:
    """The body as the server meant it, whatever the Content-Encoding."""
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(response.data)
    if encoding == "gzip":
        return gzip.decompress(response.data)
    assert encoding is None, encoding
    return response.data


def without_csrf_tokens(html: bytes) -> bytes:
    """A page with its CSRF tokens blanked: they carry a timestamp, so two renders a second apart differ there."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b'name="csrf_token" value=""', html)


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[: assets.FINGERPRINT_LENGTH]


@pytest.fixture
def demo(in_app):
    from pilots.demo import seed

    with in_app():
        seed()


@pytest.fixture
def steering(client, demo):
    assert client.login("steering@demo.local", DEMO_PASSWORD).status_code == 302
    client.get("/")  # shows (and so uses up) the welcome message, which would make the next two pages differ
    return client


# --- compression -----------------------------------------------------------------------------------------------


def test_pages_json_csv_and_rdf_are_compressed_to_the_same_body(steering):
    for (path, mimetype), encoding in itertools.product(
        [
            ("/dashboard", "text/html"),
            ("/dashboard/stages.csv", "text/csv"),
            ("/exports/challenges.csv", "text/csv"),
            ("/api/v1/cities", "application/json"),
            ("/catalog.ttl", "text/turtle"),
            ("/catalog.jsonld", "application/ld+json"),
            ("/catalog.rdf", "application/rdf+xml"),
            (f"/static/{assets.CARTESIAN_BUNDLE}", "text/javascript"),
            ("/static/app.css", "text/css"),
        ],
        ["br", "gzip"],
    ):
        plain = steering.get(path)
        assert plain.status_code == 200 and plain.mimetype == mimetype and len(plain.data) > 2000, path
        assert "Content-Encoding" not in plain.headers, path  # a client that asks for none gets none
        compressed = steering.get(path, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert compressed.status_code == 200 and compressed.mimetype == mimetype, path
        assert compressed.headers["Content-Encoding"] == encoding, path
        assert "accept-encoding" in compressed.headers["Vary"].lower(), path
        assert int(compressed.headers["Content-Length"]) == len(compressed.data) < len(plain.data), path
        if mimetype == "text/html":
            assert without_csrf_tokens(decoded(compressed)) == without_csrf_tokens(plain.data), path
        else:
            assert decoded(compressed) == plain.data, path
        for header in ("Content-Disposition", "Content-Type", "Cache-Control"):
            assert compressed.headers.get(header) == plain.headers.get(header), (path, header)


def test_csv_downloads_stay_correct_and_other_files_are_not_compressed(steering):
    compressed = steering.get("/dashboard/stages.csv", headers={"Accept-Encoding": "br"})
    assert compressed.headers["Content-Encoding"] == "br"
    assert compressed.headers["Content-Disposition"] == "attachment; filename=dashboard-stages.csv"
    text = decoded(compressed).decode("utf-8")
    assert text.startswith("\ufeff")  # Excel's byte-order mark survives
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert len(rows) > 1 and rows == list(
        csv.reader(io.StringIO(steering.get("/dashboard/stages.csv").text.removeprefix("\ufeff")))
    )
    # A spreadsheet is a zip archive already; a tiny answer is not worth it.
    xlsx = steering.get("/exports/challenges.xlsx", headers={"Accept-Encoding": "br, gzip"})
    assert xlsx.status_code == 200 and "Content-Encoding" not in xlsx.headers and xlsx.data[:2] == b"PK"
    favicon = steering.get("/static/favicon.svg", headers={"Accept-Encoding": "br, gzip"})
    assert favicon.status_code == 200 and "Content-Encoding" not in favicon.headers


def test_conditional_requests_still_answer_304(steering):
    for path in ["/catalog.ttl", "/api/v1/cities", "/static/app.css", f"/static/{assets.CARTESIAN_BUNDLE}"]:
        plain = steering.get(path)
        etag = plain.headers["ETag"]
        assert steering.get(path, headers={"If-None-Match": etag}).status_code == 304, path  # as before
        for encoding in ("br", "gzip"):
            first = steering.get(path, headers={"Accept-Encoding": encoding})
            # Each encoding is its own representation, with its own strong validator.
            assert first.headers["ETag"] == etag[:-1] + f':{encoding}"', path
            again = steering.get(path, headers={"Accept-Encoding": encoding, "If-None-Match": first.headers["ETag"]})
            assert again.status_code == 304 and again.data == b"", path
            assert "Content-Encoding" not in again.headers and again.headers["ETag"] == first.headers["ETag"], path
            changed = steering.get(path, headers={"Accept-Encoding": encoding, "If-None-Match": '"something-else"'})
            assert changed.status_code == 200 and decoded(changed) == plain.data, path


def test_a_range_request_gets_the_bytes_it_asked_for(client):
    response = client.get(f"/static/{assets.CARTESIAN_BUNDLE}", headers={"Range": "bytes=100-199", "Accept-Encoding": "br"})
    assert response.status_code == 206 and "Content-Encoding" not in response.headers
    assert response.headers["Content-Range"] == f"bytes 100-199/{CARTESIAN.stat().st_size}"
    assert response.data == CARTESIAN.read_bytes()[100:200]


def test_the_compressed_files_are_kept_and_pages_never(client, app):
    kept = app.extensions["compress"].cache
    path = f"/static/{assets.CARTESIAN_BUNDLE}"
    first = client.get(path, headers={"Accept-Encoding": "br"})
    keys = [key for key in kept._items if key.startswith(f"br;static:{path}:")]
    etag = first.headers["ETag"].strip('"').removesuffix(":br")
    assert keys == [f"br;static:{path}:{etag}"]  # keyed by the file's own ETag
    again = client.get(path, headers={"Accept-Encoding": "br"})
    assert again.data == first.data and brotli.decompress(again.data) == CARTESIAN.read_bytes()
    client.get("/", headers={"Accept-Encoding": "br"})
    assert all(key.partition(";")[2] for key in kept._items)  # no page in there


def test_a_page_after_a_file_in_one_app_context_is_never_the_files_bytes(client, app):
    """The key of a kept file belongs to its own request: where several requests run in one app context (a worker
    that keeps one, a script, a test), the page asked for next is compressed afresh, not answered with the file."""
    with app.app_context():
        client.get(f"/static/{assets.CARTESIAN_BUNDLE}", headers={"Accept-Encoding": "br"})
        page = client.get("/", headers={"Accept-Encoding": "br"})
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert decoded(page).startswith(b"<!doctype html>")


def test_the_cache_of_compressed_files_is_bounded():
    cache = assets.CompressedFiles(max_bytes=10)
    cache.set("br;", b"page")  # a page or a download: never kept
    assert cache.get("br;") is None
    cache.set("br;a", b"123456")
    cache.set("br;b", b"1234")
    assert cache.get("br;a") == b"123456"  # a is now the most recently used
    cache.set("br;c", b"12")
    assert cache.get("br;b") is None and cache.get("br;a") == b"123456" and cache.get("br;c") == b"12"


def test_a_streamed_response_is_compressed_as_it_goes(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'stream.sqlite'}")
    lines = [f"{n},{'x' * 40}\n" for n in range(2000)]

    @app.get("/stream.csv")
    @allow(ANYONE)
    def stream():
        return Response((line for line in lines), mimetype="text/csv")

    client = app.test_client()
    for encoding in ("br", "gzip"):
        response = client.get("/stream.csv", headers={"Accept-Encoding": encoding})
        assert response.is_streamed and "Content-Length" not in response.headers
        assert response.headers["Content-Encoding"] == encoding
        assert decoded(response).decode() == "".join(lines)


# --- fingerprinted static files --------------------------------------------------------------------------------


def test_pages_link_every_static_file_at_its_fingerprint(client, make_user):
    make_user("someone@example.org")
    assert client.login("someone@example.org").status_code == 302
    page = client.get("/dashboard").text
    static = re.findall(r'(?:src|href)="(/(?:static|bootstrap/static)/[^"]+)"', page)
    assert len(static) >= 6 and all(re.search(r"\?v=[0-9a-f]{16}$", address) for address in static), static
    for name in ("app.css", "favicon.svg", "js/charts.js", assets.CARTESIAN_BUNDLE):
        assert f'"/static/{name}?v={fingerprint(STATIC / name)}"' in page, name
    bootstrap = Path(client.application.blueprints["bootstrap"].static_folder)
    for name in ("css/bootstrap.min.css", "js/bootstrap.min.js", "umd/popper.min.js"):
        assert f'"/bootstrap/static/{name}?v={fingerprint(bootstrap / name)}"' in page, name


def test_a_fingerprinted_file_is_kept_a_year_and_the_plain_address_still_works(client):
    body = (STATIC / "app.css").read_bytes()
    current = client.get(f"/static/app.css?v={fingerprint(STATIC / 'app.css')}")
    assert current.status_code == 200 and current.data == body
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    revalidated = client.get(
        f"/static/app.css?v={fingerprint(STATIC / 'app.css')}", headers={"If-None-Match": current.headers["ETag"]}
    )
    assert revalidated.status_code == 304 and revalidated.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Without a fingerprint, or with one that is no longer the file's: as before, revalidated at every use.
    for address in ("/static/app.css", "/static/app.css?v=0123456789abcdef"):
        response = client.get(address)
        assert response.status_code == 200 and response.data == body, address
        assert response.headers["Cache-Control"] == "no-cache" and "ETag" in response.headers, address
    bootstrap = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert bootstrap.status_code == 200 and bootstrap.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/nothing-here.css?v=0123456789abcdef").status_code == 404


def test_a_changed_file_gets_another_fingerprint(app, client, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    probe = tmp_path / "probe.css"
    probe.write_text("a { color: red; }\n")
    with app.test_request_context():
        before = url_for("static", filename="probe.css")
    assert before == f"/static/probe.css?v={fingerprint(probe)}"
    probe.write_text("a { color: tan; }\n")  # same size
    stat = probe.stat()
    os.utime(probe, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with app.test_request_context():
        after = url_for("static", filename="probe.css")
        assert url_for("static", filename="missing.css") == "/static/missing.css"  # no file, no fingerprint
    assert after == f"/static/probe.css?v={fingerprint(probe)}" and after != before
    old = client.get(before)
    assert old.data == b"a { color: tan; }\n" and "immutable" not in old.headers["Cache-Control"]
    new = client.get(after)
    assert new.data == b"a { color: tan; }\n" and new.headers["Cache-Control"] == assets.IMMUTABLE


def test_files_are_hashed_when_first_linked_never_when_the_app_is_made(tmp_path, monkeypatch):
    hashed: list[str] = []
    real = hashlib.file_digest

    def counting(file, digest):
        hashed.append(file.name)
        return real(file, digest)

    monkeypatch.setattr(hashlib, "file_digest", counting)
    app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    assert hashed == []
    with app.test_request_context():
        first = url_for("static", filename="app.css")
        assert url_for("static", filename="app.css") == first
    assert hashed == [str(STATIC / "app.css")]  # once, then from memory


# --- the plotly.js bundle --------------------------------------------------------------------------------------


def version_of(header: bytes) -> str:
    found = re.search(rb"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)", header)
    assert found, header
    return found.group(1).decode()


def test_the_vendored_bundle_is_the_cartesian_one_of_the_installed_plotly_js():
    header = CARTESIAN.read_bytes()[:200]
    assert b"plotly.js (cartesian - minified)" in header
    # The stylesheet (results.plotly_css) is read from the full bundle: both must be the same release.
    assert version_of(header) == version_of(PLOTLY_JS.read_bytes()[:200])
    registered = set(re.findall(r'moduleType:"trace",name:"(\w+)"', CARTESIAN.read_text(encoding="utf-8")))
    assert registered == assets.CARTESIAN_TRACES
    assert "scatterpolar" not in registered
    licence = (STATIC / "vendor" / "plotly.js-LICENSE.txt").read_text()
    assert licence.startswith("MIT License") and "Plotly" in licence


def test_the_vendored_bundle_is_the_one_package_json_pins():
    version = version_of(CARTESIAN.read_bytes()[:200])
    package = json.loads((PROJECT_DIR / "package.json").read_text())
    assert package["devDependencies"]["plotly.js-cartesian-dist-min"] == version
    lock = json.loads((PROJECT_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/plotly.js-cartesian-dist-min"]["version"] == version
    installed = PROJECT_DIR / "node_modules" / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"
    if installed.exists():  # after `npm ci` (make test): `make vendor` copied exactly this file
        assert installed.read_bytes() == CARTESIAN.read_bytes(), "run `make vendor`"


def figure(*traces) -> str:
    return go.Figure(list(traces)).to_json()


def test_the_smallest_bundle_that_draws_every_figure_of_the_page(app):
    bar, heatmap, scatter = go.Bar(y=[1, 2]), go.Heatmap(z=[[1, 2]]), go.Scatter(y=[1, 2])
    radar = go.Scatterpolar(r=[1, 2, 3], theta=["a", "b", "c"])
    with app.test_request_context():
        cartesian = url_for("static", filename=assets.CARTESIAN_BUNDLE)
        full = url_for("results.plotly_js", v=PLOTLY_VERSION)
        assert assets.plotly_js_url([figure(bar, scatter), figure(heatmap), None, ""]) == cartesian
        assert assets.plotly_js_url([]) == cartesian
        assert assets.plotly_js_url(['{"data": [{"y": [1]}], "layout": {}}']) == cartesian  # no type: a scatter
        assert assets.plotly_js_url([figure(bar), figure(radar)]) == full
        assert assets.plotly_js_url([figure(go.Sankey())]) == full  # any type the partial bundle lacks
    assert assets.trace_types(figure(bar, radar)) == {"bar", "scatterpolar"}


def test_the_dashboard_loads_the_partial_bundle_and_a_radar_page_the_full_one(steering, in_app):
    dashboard = steering.get("/dashboard").text
    assert dashboard.count("/static/vendor/plotly-cartesian.min.js?v=") == 1 and "plotly.min.js" not in dashboard
    types = set()
    for data in re.findall(r'<script type="application/json" id="[a-z-]+-figure">(.*?)</script>', dashboard, re.S):
        types |= assets.trace_types(data)
    assert types and types <= assets.CARTESIAN_TRACES
    from pilots.demo.city_status import seed_city_status

    with in_app():
        seed_city_status()
    profile = steering.get("/cities/gent").text
    assert '"type":"scatterpolar"' in profile
    assert "/rounds/assets/plotly.min.js?v=" in profile and "plotly-cartesian" not in profile
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in profile
