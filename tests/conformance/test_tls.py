"""HTTPS through the pinned connection: the socket goes to the checked IP, while TLS still sends the host
name (SNI) and verifies the certificate against it. A throw-away certificate for ``localhost`` is made
with the openssl command (the test is skipped where there is none)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from pilots.conformance import FetchPolicy, check_url, fetch
from tests.conformance.server import Server, make_handler


@dataclass
class TLSServer:
    port: int
    certificate: Path
    server_names: list[str | None] = field(default_factory=list)


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory) -> Iterator[TLSServer]:
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    key, certificate = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    result = TLSServer(port=httpd.server_address[1], certificate=certificate)
    state.port = result.port
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    context.sni_callback = lambda sock, name, ctx: result.server_names.append(name)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield result
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def trust(monkeypatch, tls_server):
    monkeypatch.setattr(fetch, "tls_context", lambda: ssl.create_default_context(cafile=str(tls_server.certificate)))


def test_https_passes_with_sni_and_a_verified_certificate(tls_server, trust, guard):
    policy = FetchPolicy(allow=(f"localhost:{tls_server.port}",), timeout=0.5)
    report = check_url(f"https://localhost:{tls_server.port}/good", policy=policy)
    assert report.get("reachable").result == "pass", report.get("reachable").evidence
    assert report.get("https").result == "pass"
    assert report.passed, report.to_dict()
    assert "localhost" in tls_server.server_names  # SNI carried the name…
    assert guard.connections and all(c.startswith("127.0.0.1:") for c in guard.connections)  # …the socket the IP


def test_a_certificate_for_another_name_fails(tls_server, trust):
    policy = FetchPolicy(allow=(f"127.0.0.1:{tls_server.port}",), timeout=0.5)
    report = check_url(f"https://127.0.0.1:{tls_server.port}/good", policy=policy)
    reachable = report.get("reachable")
    assert reachable.result == "fail" and "could not connect" in reachable.evidence
    assert "certificate" in reachable.evidence.lower() or "mismatch" in reachable.evidence.lower()


def test_an_untrusted_certificate_fails(tls_server):
    policy = FetchPolicy(allow=(f"localhost:{tls_server.port}",), timeout=0.5)
    report = check_url(f"https://localhost:{tls_server.port}/good", policy=policy)
    reachable = report.get("reachable")
    assert reachable.result == "fail" and "CERTIFICATE_VERIFY_FAILED" in reachable.evidence
