"""DNS rebinding: the address checked is the address connected to, and the peer is verified after connecting.

These tests never open a socket to a non-loopback address: the network backend is a fake that records
where it was asked to connect.
"""

from __future__ import annotations

import httpcore
import pytest

from pilots.conformance import FetchPolicy, addresses, check_url, fetch
from pilots.conformance.fetch import Budget, Fetcher, PinningBackend

POLICY = FetchPolicy(timeout=0.5, total_timeout=3.0)


class FakeSocket:
    def __init__(self, peer: str) -> None:
        self.peer = peer

    def getpeername(self):
        return (self.peer, 80)


class FakeStream(httpcore.NetworkStream):
    def __init__(self, peer: str | None) -> None:
        self.peer = peer
        self.closed = False

    def read(self, max_bytes, timeout=None):
        return b""

    def write(self, buffer, timeout=None):
        pass

    def close(self):
        self.closed = True

    def get_extra_info(self, info):
        return FakeSocket(self.peer) if info == "socket" and self.peer else None


class FakeBackend(httpcore.NetworkBackend):
    """Records connection targets. ``peer`` is what the 'socket' says it is connected to; None: refuse to connect."""

    def __init__(self, peer: str | None = None, *, report_no_socket: bool = False) -> None:
        self.calls: list[tuple[str, int]] = []
        self.peer = peer
        self.report_no_socket = report_no_socket
        self.streams: list[FakeStream] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.calls.append((host, port))
        if self.peer is None and not self.report_no_socket:
            raise httpcore.ConnectError("fake network: nothing connects")
        stream = FakeStream(None if self.report_no_socket else self.peer)
        self.streams.append(stream)
        return stream

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AssertionError("never used")

    def sleep(self, seconds):
        pass


def test_the_connection_goes_to_the_checked_ip_not_the_name(monkeypatch):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["93.184.216.34"])
    backend = FakeBackend()
    with Fetcher(POLICY, backend=backend) as fetcher:
        got = fetcher.get("http://data.example.test/parking", "text/turtle")
    assert backend.calls == [("93.184.216.34", 80)]
    assert got.error and "could not connect" in got.error and not got.refused


def test_rebinding_between_the_check_and_the_connection_is_refused(monkeypatch, guard):
    """First answer public (the URL passes validation), second answer loopback (at connect): refused."""
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    monkeypatch.setattr(addresses, "lookup", lambda host, port: next(answers))
    backend = FakeBackend()
    monkeypatch.setattr(fetch, "default_backend", lambda: backend)
    report = check_url("http://rebind.example.test/", policy=POLICY)
    assert report.refused is None  # the first look was fine…
    reachable = report.get("reachable")
    assert reachable.result == "fail" and "refused" in reachable.evidence and "127.0.0.1" in reachable.evidence
    assert backend.calls == []  # …but no connection was attempted to anything


def test_a_peer_other_than_the_checked_address_is_refused(monkeypatch):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["93.184.216.34"])
    backend = FakeBackend(peer="10.9.9.9")
    with Fetcher(POLICY, backend=backend) as fetcher:
        got = fetcher.get("http://data.example.test/", "text/turtle")
    assert got.refused and "10.9.9.9" in got.error and "93.184.216.34" in got.error
    assert backend.streams and backend.streams[0].closed


def test_a_connection_whose_peer_cannot_be_read_is_refused(monkeypatch):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["93.184.216.34"])
    backend = FakeBackend(report_no_socket=True)
    with Fetcher(POLICY, backend=backend) as fetcher:
        got = fetcher.get("http://data.example.test/", "text/turtle")
    assert got.refused and "could not verify" in got.error


def test_pinning_backend_checks_every_connection_itself():
    backend = PinningBackend(POLICY, Budget(3.0), FakeBackend())
    with pytest.raises(addresses.Refused, match="link-local"):
        backend.connect_tcp("169.254.169.254", 80)
    with pytest.raises(addresses.Refused, match="UNIX"):
        backend.connect_unix_socket("/var/run/docker.sock")


def test_proxies_from_the_environment_are_ignored(monkeypatch, server):
    monkeypatch.setenv("HTTP_PROXY", "http://10.0.0.1:3128")
    monkeypatch.setenv("http_proxy", "http://10.0.0.1:3128")
    monkeypatch.setenv("ALL_PROXY", "http://10.0.0.1:3128")
    report = check_url(server.url("/good"), policy=server.policy())
    assert report.get("reachable").result == "pass"
