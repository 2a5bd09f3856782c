"""A local HTTP server with good and bad dataset endpoints, and guards that keep every test on 127.0.0.1.

The guards (autouse): DNS lookups of any name but ``localhost`` fail and are recorded, and every connection
the checker makes goes through a backend that records it and refuses anything that is not loopback. A test
fails if either guard was hit, so no test can send traffic off this machine.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import httpcore
import pytest

from pilots.conformance import addresses, fetch
from tests.conformance.server import Server, make_handler


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    httpd.daemon_threads = True
    httpd.block_on_close = False
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


class LoopbackOnly(httpcore.NetworkBackend):
    """The real socket backend, but it records every connection and refuses any that is not loopback."""

    def __init__(self, log: list[str], violations: list[str]) -> None:
        self.inner = httpcore.SyncBackend()
        self.log = log
        self.violations = violations

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.log.append(f"{host}:{port}")
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            self.violations.append(f"connect {host}:{port}")
            raise httpcore.ConnectError(f"test guard: no connection to {host}")
        return self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        self.violations.append(f"unix {path}")
        raise httpcore.ConnectError("test guard: no unix sockets")

    def sleep(self, seconds):
        time.sleep(seconds)


@dataclass
class Guard:
    connections: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def guard(monkeypatch) -> Iterator[Guard]:
    state = Guard()
    real_lookup = addresses.lookup

    def lookup(host: str, port: int) -> list[str]:
        if host != "localhost":
            state.violations.append(f"DNS {host}")
            raise OSError("test guard: no DNS for names other than localhost")
        return real_lookup(host, port)

    monkeypatch.setattr(addresses, "lookup", lookup)
    monkeypatch.setattr(fetch, "default_backend", lambda: LoopbackOnly(state.connections, state.violations))
    yield state
    assert not state.violations, f"a test tried to leave 127.0.0.1: {state.violations}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """rdflib 7.6 warns about its own internal use of deprecated names when it parses JSON-LD and TriG."""
    for item in items:
        if "conformance" in item.nodeid.split("::")[0]:
            item.add_marker(pytest.mark.filterwarnings("ignore:.*is deprecated.*:DeprecationWarning"))
