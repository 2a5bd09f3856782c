"""A small conforming open dataset served on 127.0.0.1, for tests that check a published dataset for real.

Each path that matches ``pattern`` answers real-time data as Turtle (JSON-LD when that is asked for first),
with CORS and caching headers, a licence, ``prov:generatedAtTime`` and a hydra link to the next page. It is
plain HTTP: the one check it cannot pass is HTTPS, since the checker trusts only certifi's authorities. Every
request is recorded (path, Accept and Origin headers), so a test can tell the checker really came.

For the freshness rule, ``generated`` (the ``prov:generatedAtTime``; None leaves it out) and ``last_modified``
(an HTTP date sent as ``Last-Modified``; None, the default, sends none) can be set when it starts or changed
while it serves.
"""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LICENCE = "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
TURTLE = """@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/data#> .

<{url}> dct:license <{licence}> ;
{generated_line}    hydra:next <{url}?page=2> .

{observations}
"""
GENERATED_LINE = '    prov:generatedAtTime "{generated}"^^xsd:dateTime ;\n'
JSON_LD = '{{"@id": "{url}", "http://purl.org/dc/terms/license": {{"@id": "{licence}"}}}}'


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.answer(with_body=True)

    def do_HEAD(self) -> None:
        self.answer(with_body=False)

    def answer(self, with_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        accept = self.headers.get("Accept", "")
        self.server.requests.append({"path": self.path, "accept": accept, "origin": self.headers.get("Origin")})
        if not re.fullmatch(self.server.pattern, path):
            self.send_error(404)
            return
        url = f"http://127.0.0.1:{self.server.server_port}{path}"
        if accept.startswith("application/ld+json"):
            media_type, body = "application/ld+json", JSON_LD.format(url=url, licence=LICENCE)
        else:
            media_type = "text/turtle; charset=utf-8"
            generated = self.server.generated
            generated_line = "" if generated is None else GENERATED_LINE.format(generated=generated)
            body = TURTLE.format(url=url, licence=LICENCE, generated_line=generated_line, observations=self.server.observations)
        last_modified = self.server.last_modified
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "public, max-age=60")
        self.send_header("Vary", "Accept")
        if last_modified is not None:
            self.send_header("Last-Modified", last_modified)
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    pattern: str
    generated: str | None
    last_modified: str | None
    observations: str
    requests: list[dict]


class DatasetEndpoint:
    """``with DatasetEndpoint(pattern, generated, observations) as endpoint:`` serves until the block ends."""

    def __init__(self, pattern: str, generated: str | None, observations: str, *, last_modified: str | None = None) -> None:
        self.server = _Server(("127.0.0.1", 0), _Handler)
        self.server.pattern, self.server.generated, self.server.observations = pattern, generated, observations
        self.server.last_modified = last_modified
        self.server.requests = []
        self.thread = threading.Thread(target=self.server.serve_forever, name="dataset-endpoint", daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    @property
    def allow(self) -> str:
        """The CONFORMANCE_ALLOW entry that lets the checker reach this endpoint, and nothing else on loopback."""
        return f"127.0.0.1:{self.server.server_port}"

    @property
    def requests(self) -> list[dict]:
        return self.server.requests

    @property
    def generated(self) -> str | None:
        """The ``prov:generatedAtTime`` the Turtle document states (None: it states none)."""
        return self.server.generated

    @generated.setter
    def generated(self, value: str | None) -> None:
        self.server.generated = value

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` header sent with the document (None: no such header)."""
        return self.server.last_modified

    @last_modified.setter
    def last_modified(self, value: str | None) -> None:
        self.server.last_modified = value

    def __enter__(self) -> DatasetEndpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
