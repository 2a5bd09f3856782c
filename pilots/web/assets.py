"""Light pages: static files at fingerprinted addresses, compressed responses, and the smallest plotly.js bundle.

**Fingerprints.** ``url_for('static', filename=...)`` (and Bootstrap-Flask's ``bootstrap.static``) adds
``?v=<fingerprint>``: the first 16 hex digits of the file's SHA-256, computed the first time an address is made
and kept in memory while the file's size and modification time stay the same (nothing is read at import time).
A request whose ``v`` is the file's current fingerprint is answered with ``Cache-Control: public,
max-age=31536000, immutable``: the browser keeps it a year without asking again, and a changed file gets another
address. Any other request of a static file (no ``v``, or an old one) keeps Flask's behaviour: ``no-cache`` with
an ETag, so it is revalidated (304) on every use.

**Compression** is Flask-Compress (:class:`pilots.extensions.Compression`, settings in :mod:`pilots.config`). A
file (static, Bootstrap's, the full plotly.js) is read into memory before it is compressed, so that its
compressed bytes are made once per file version and algorithm and kept in :class:`CompressedFiles`, keyed by the
file's ETag; pages and downloads are compressed at every request and never kept.

**plotly.js.** A page that draws charts includes ``templates/macros/plotly.html``, which asks
:func:`plotly_js_url` for the bundle to load: plotly.js's official cartesian bundle (vendored in
``static/vendor/``, from the npm package pinned in package.json) when every trace of the page's figures is of a
type that bundle has, else the full bundle of the installed plotly package (``results.plotly_js``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app, request, url_for
from flask.wrappers import Response
from werkzeug.security import safe_join

#: The query argument that carries a static file's fingerprint.
FINGERPRINT_ARG = "v"
FINGERPRINT_LENGTH = 16
IMMUTABLE = "public, max-age=31536000, immutable"

#: The vendored partial bundle (static/vendor/, MIT licence beside it) and the trace types it registers
#: (tests/test_light_pages.py reads them from the file).
CARTESIAN_BUNDLE = "vendor/plotly-cartesian.min.js"
CARTESIAN_TRACES = frozenset(
    {
        "bar",
        "box",
        "contour",
        "heatmap",
        "histogram",
        "histogram2d",
        "histogram2dcontour",
        "image",
        "pie",
        "scatter",
        "scatterternary",
        "violin",
    }
)

#: Endpoints whose response is a file whose compressed bytes are worth keeping (the key is the file's ETag).
FILE_ENDPOINTS = frozenset({"static", "bootstrap.static", "results.plotly_js"})


# --- fingerprints ----------------------------------------------------------------------------------------------


class Fingerprints:
    """Each file's fingerprint, computed on first use and again only when its size or modification time changes."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int], str]] = {}
        self._lock = threading.Lock()

    def of(self, folder: str | None, filename: str) -> str | None:
        """The fingerprint of ``filename`` in ``folder``; None when it is no file there (Flask answers 404)."""
        path = safe_join(folder, filename) if folder else None
        if path is None:
            return None
        try:
            stat = Path(path).stat()
        except OSError:
            return None
        signature = (stat.st_mtime_ns, stat.st_size)
        known = self._known.get(path)
        if known is not None and known[0] == signature:
            return known[1]
        try:
            with open(path, "rb") as file:
                digest = hashlib.file_digest(file, "sha256").hexdigest()[:FINGERPRINT_LENGTH]
        except OSError:  # a folder, or gone in the meantime
            return None
        with self._lock:
            self._known[path] = (signature, digest)
        return digest


def _static_folder(app: Flask, endpoint: str) -> str | None:
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return blueprint.static_folder if blueprint is not None else None


def _is_static(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


# --- compression of files --------------------------------------------------------------------------------------


class CompressedFiles:
    """Flask-Compress's cache backend: the compressed bytes of files only, at most ``max_bytes`` of them (the least
    recently used go first). Flask-Compress asks it about every response it compresses, with the key
    ``"<algorithm>;<compression_key(request)>"``: an empty request part (a page, a download) is never kept."""

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @staticmethod
    def _kept(key: str) -> bool:
        return bool(key.partition(";")[2])

    def get(self, key: str) -> bytes | None:
        if not self._kept(key):
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def set(self, key: str, value: bytes) -> None:
        if not self._kept(key) or len(value) > self.max_bytes:
            return
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)


#: Where :func:`_buffer_file` leaves a file response's cache key: in the request's own environ, never on ``g``,
#: which belongs to the app context and outlives a request where several run in one context.
KEY_IN_ENVIRON = "datapilots.compression_key"


def compression_key(request_) -> str:
    """Flask-Compress's cache key: the file's ETag for a file response (set by :func:`_buffer_file`), else ''."""
    return request_.environ.get(KEY_IN_ENVIRON, "")


def _buffer_file(response: Response) -> Response:
    """Before Flask-Compress: read a compressible file into memory, so that its compressed bytes can be kept."""
    app = current_app
    if (
        request.endpoint in FILE_ENDPOINTS
        and response.status_code == 200
        and response.direct_passthrough
        and response.mimetype in app.config.get("COMPRESS_MIMETYPES", ())
    ):
        etag, weak = response.get_etag()
        if etag and not weak:
            response.direct_passthrough = False
            response.make_sequence()
            request.environ[KEY_IN_ENVIRON] = f"{request.endpoint}:{request.path}:{etag}"
    return response


# --- caching headers -------------------------------------------------------------------------------------------


def _cache_fingerprinted(response: Response) -> Response:
    """A static file asked for at its current fingerprint is kept a year; any other keeps Flask's ``no-cache``."""
    endpoint = request.endpoint or ""
    wanted = request.args.get(FINGERPRINT_ARG)
    if wanted and _is_static(endpoint) and response.status_code in (200, 304):
        filename = (request.view_args or {}).get("filename", "")
        if wanted == current_app.extensions["fingerprints"].of(_static_folder(current_app, endpoint), filename):
            response.headers["Cache-Control"] = IMMUTABLE
    return response


# --- the plotly.js bundle --------------------------------------------------------------------------------------


def trace_types(figure: str | None) -> set[str]:
    """The trace types of one figure as ``charts.*_figure`` returns it (Plotly's JSON; a trace without a type is a
    scatter, as in plotly.js)."""
    if not figure:
        return set()
    data = json.loads(figure).get("data") or ()
    return {str(trace.get("type") or "scatter") for trace in data}


def plotly_js_url(figures: Iterable[str | None]) -> str:
    """The address of the smallest plotly.js bundle that draws every one of ``figures``."""
    types = set().union(*(trace_types(figure) for figure in figures))
    if types <= CARTESIAN_TRACES:
        return url_for("static", filename=CARTESIAN_BUNDLE)
    from pilots.charts import PLOTLY_VERSION

    return url_for("results.plotly_js", v=PLOTLY_VERSION)


def plotly_css_url() -> str:
    from pilots.charts import PLOTLY_VERSION

    return url_for("results.plotly_css", v=PLOTLY_VERSION)


# --- wiring ----------------------------------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Fingerprinted static addresses and their caching, file compression's cache, and the template helpers."""
    fingerprints = app.extensions["fingerprints"] = Fingerprints()

    @app.url_defaults
    def add_fingerprint(endpoint: str, values: dict) -> None:
        if _is_static(endpoint) and "filename" in values and FINGERPRINT_ARG not in values:
            digest = fingerprints.of(_static_folder(app, endpoint), values["filename"])
            if digest is not None:
                values[FINGERPRINT_ARG] = digest

    # After-request functions run last-registered first: these run before Flask-Compress (registered first).
    app.after_request(_buffer_file)
    app.after_request(_cache_fingerprinted)
    app.add_template_global(plotly_js_url)
    app.add_template_global(plotly_css_url)
