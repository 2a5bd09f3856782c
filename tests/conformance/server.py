"""The local test server: good and bad dataset endpoints on 127.0.0.1 (started by the ``server`` fixture)."""

from __future__ import annotations

import contextlib
import gzip
import json
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from pilots.conformance import FetchPolicy

LICENCE = "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
PREFIXES = """@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix datex: <http://vocab.datex.org/terms#> .
"""
PARKING = """<https://stad.gent/id/parking/P1> a datex:UrbanParkingSite ;
    rdfs:label "P1 Vrijdagmarkt" ;
    datex:parkingNumberOfSpaces 600 ;
    datex:parkingNumberOfVacantSpaces 123 .
"""
GOOD_TURTLE = (
    PREFIXES
    + f"""<> dct:license <{LICENCE}> ;
    prov:generatedAtTime "2024-05-01T12:00:00Z"^^xsd:dateTime ;
    hydra:next <?page=2> ;
    hydra:previous <?page=0> .
"""
    + PARKING
)
NO_LICENCE_TURTLE = PREFIXES + f"<http://example.org/other> dct:license <{LICENCE}> .\n<> hydra:next <?page=2> .\n" + PARKING
NO_TIME_TURTLE = PREFIXES + f"<> dct:license <{LICENCE}> ; hydra:next <?page=2> .\n" + PARKING
DATASET_LICENCE_TURTLE = (
    PREFIXES + f"<> dct:isPartOf <http://example.org/dataset/parking> ; hydra:search [] .\n"
    f"<http://example.org/dataset/parking> dct:license <{LICENCE}> .\n" + PARKING
)
BROKEN_TURTLE = PREFIXES + "<> dct:license <unterminated ;\n  this is not turtle <<< .\n"

CONTEXT = {
    "@context": {
        "dct": "http://purl.org/dc/terms/",
        "prov": "http://www.w3.org/ns/prov#",
        "hydra": "http://www.w3.org/ns/hydra/core#",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "licence": {"@id": "dct:license", "@type": "@id"},
        "generatedAt": {"@id": "prov:generatedAtTime", "@type": "xsd:dateTime"},
        "next": {"@id": "hydra:next", "@type": "@id"},
        "previous": {"@id": "hydra:previous", "@type": "@id"},
        "label": "http://www.w3.org/2000/01/rdf-schema#label",
    }
}


def good_jsonld(context: object) -> dict:
    return {
        "@context": context,
        "@id": "",
        "licence": LICENCE,
        "generatedAt": "2024-05-01T12:00:00Z",
        "next": "?page=2",
        "previous": "?page=0",
        "@included": [{"@id": "https://stad.gent/id/parking/P1", "label": "P1 Vrijdagmarkt"}],
    }


OPEN = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=30"}


def billion_laughs(levels: int) -> str:
    """RDF/XML whose one literal is an entity expanding to 3 x 10^(levels-1) characters."""
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)]
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {" ".join(entities)} ]>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">\n'
        f'<rdf:Description rdf:about="http://example.org/x"><dct:title>&lol{levels - 1};</dct:title></rdf:Description>\n'
        "</rdf:RDF>\n"
    )


def many_triples(count: int) -> str:
    lines = (f'ex:s{i} ex:p{i % 50} "v{i}" .\n' for i in range(count))
    return "@prefix ex: <http://example.org/> .\n" + "".join(lines)


def accepts(accept: str) -> dict[str, float]:
    """Media type -> q from an Accept header (enough for these tests)."""
    result = {}
    for part in accept.split(","):
        name, *params = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for param in params:
            if param.startswith("q="):
                q = float(param[2:])
        if name:
            result[name.lower()] = q
    return result


@dataclass
class Server:
    port: int
    requests: list[dict] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def policy(self, **overrides) -> FetchPolicy:
        settings = {"allow": (f"127.0.0.1:{self.port}",), "timeout": 0.5, "max_bytes": 50_000, "total_timeout": 5.0}
        return FetchPolicy(**{**settings, **overrides})


def make_handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep the test output quiet
            pass

        def handle(self) -> None:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the checker hung up (timeouts, size cap)
                super().handle()

        def send(
            self, status: int, body: bytes | str = b"", headers: dict[str, str] | None = None, *, length: bool = True
        ) -> None:
            data = body.encode() if isinstance(body, str) else body
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if length:
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def redirect(self, location: str, status: int = 302) -> None:
            self.send(status, b"", {"Location": location})

        def turtle(self, body: str, headers: dict[str, str] | None = None) -> None:
            self.send(200, body, {"Content-Type": "text/turtle; charset=utf-8", **(OPEN if headers is None else headers)})

        def do_GET(self) -> None:
            server.requests.append({"path": self.path, "headers": dict(self.headers.items())})
            path = self.path.split("?", 1)[0]
            accept = accepts(self.headers.get("Accept", "*/*"))
            base = server.base
            if path == "/good":
                if accept.get("application/ld+json", 0) > accept.get("text/turtle", 0):
                    body = json.dumps(good_jsonld(CONTEXT["@context"]))
                    self.send(200, body, {"Content-Type": "application/ld+json", "Vary": "Accept", **OPEN})
                else:
                    self.turtle(GOOD_TURTLE, {"Vary": "Accept", **OPEN})
            elif path == "/jsonld":
                if "application/ld+json" not in accept:
                    self.send(406, "only JSON-LD here", {"Content-Type": "text/plain"})
                else:
                    body = json.dumps(good_jsonld(f"{base}/context.jsonld"))
                    self.send(
                        200, body, {"Content-Type": "application/ld+json", "Access-Control-Allow-Origin": "*", "ETag": '"v1"'}
                    )
            elif path == "/context.jsonld":
                self.send(200, json.dumps(CONTEXT), {"Content-Type": "application/ld+json"})
            elif path == "/jsonld-private-context":
                body = json.dumps(good_jsonld("http://10.0.0.1/context.jsonld"))
                self.send(200, body, {"Content-Type": "application/ld+json", **OPEN})
            elif path == "/no-cors":
                self.turtle(GOOD_TURTLE, {"Cache-Control": "max-age=30"})
            elif path == "/other-origin":
                self.turtle(GOOD_TURTLE, {"Access-Control-Allow-Origin": "https://stad.gent", "ETag": '"x"'})
            elif path == "/no-cache":
                self.turtle(GOOD_TURTLE, {"Access-Control-Allow-Origin": "*"})
            elif path == "/no-licence":
                self.turtle(NO_LICENCE_TURTLE)
            elif path == "/no-time":
                self.turtle(NO_TIME_TURTLE)
            elif path == "/dataset-licence":
                self.turtle(DATASET_LICENCE_TURTLE)
            elif path == "/broken":
                self.turtle(BROKEN_TURTLE)
            elif path == "/slow":
                time.sleep(1.5)
                self.turtle(GOOD_TURTLE)
            elif path == "/drip":
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.end_headers()
                try:
                    for _ in range(30):
                        self.wfile.write(b"#")
                        self.wfile.flush()
                        time.sleep(0.2)
                except OSError:
                    pass
            elif path == "/huge":
                self.send(200, b"# padding\n" * 20_000, {"Content-Type": "text/turtle", **OPEN}, length=False)
            elif path == "/huge-declared":
                self.send_response(200)
                self.send_header("Content-Type", "text/turtle")
                self.send_header("Content-Length", "10000000")
                self.end_headers()
                self.wfile.write(b"# only the start\n")
            elif path == "/gzip":
                self.send(
                    200, gzip.compress(GOOD_TURTLE.encode()), {"Content-Type": "text/turtle", "Content-Encoding": "gzip", **OPEN}
                )
            elif path == "/gzip-bomb":
                bomb = gzip.compress(b"#" * 5_000_000)
                self.send(200, bomb, {"Content-Type": "text/turtle", "Content-Encoding": "gzip", **OPEN})
            elif path == "/binary":
                self.send(200, bytes(range(256)) * 8, {"Content-Type": "application/octet-stream", **OPEN})
            elif path == "/binary-as-turtle":
                self.send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, {"Content-Type": "text/turtle", **OPEN})
            elif path == "/csv":
                self.send(200, "name,free\nP1,123\n", {"Content-Type": "text/csv; charset=utf-8", **OPEN})
            elif path == "/html":
                self.send(200, "<!doctype html><title>Parking</title>", {"Content-Type": "text/html", **OPEN})
            elif path == "/laughs.rdf":  # 746 bytes that keep rdflib's RDF/XML parser busy for minutes
                self.send(200, billion_laughs(7), {"Content-Type": "application/rdf+xml", **OPEN})
            elif path == "/many-contexts.jsonld":  # 2,000 nodes, each naming a remote context of 10,000 terms
                nodes = [{"@context": f"{base}/big-context.jsonld", "@id": f"_:n{i}", "t1": "x"} for i in range(2000)]
                self.send(200, json.dumps(nodes), {"Content-Type": "application/ld+json", **OPEN})
            elif path == "/big-context.jsonld":
                terms = {f"t{i}": f"http://example.org/terms#t{i}" for i in range(10_000)}
                self.send(200, json.dumps({"@context": terms}), {"Content-Type": "application/ld+json"})
            elif path == "/many-triples":  # 3.3 MB of Turtle: about 225 MB of rdflib graph
                self.turtle(many_triples(120_000))
            elif path == "/redirect-good":
                self.redirect("/good", 301)
            elif path == "/redirect-private":
                self.redirect("http://10.0.0.1/")
            elif path == "/redirect-metadata":
                self.redirect("http://169.254.169.254/latest/meta-data/")
            elif path == "/redirect-ftp":
                self.redirect("ftp://127.0.0.1/data.ttl")
            elif path == "/redirect-loop":
                self.redirect("/redirect-loop")
            else:
                self.send(404, "not found", {"Content-Type": "text/plain"})

    return Handler
