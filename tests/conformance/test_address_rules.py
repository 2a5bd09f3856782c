"""The address rules: refused schemes, hosts and addresses, and what the allow-list lets through."""

from __future__ import annotations

import ipaddress

import pytest

from pilots.conformance import FetchPolicy, Refused, address_problem, addresses, check_url, validate_url

STRICT = FetchPolicy(timeout=0.5)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.org/data.ttl", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("gopher://127.0.0.1:70/", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("//example.org/relative", "only http:// and https://"),
        ("", "no URL given"),
        ("http://127.0.0.1/", "loopback"),
        ("http://127.0.0.1:8080/data", "loopback"),
        ("http://[::1]/", "loopback"),
        ("http://localhost/", "localhost resolves to"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://2130706433/", "not an IPv4 address written as a.b.c.d"),
        ("http://0x7f.0.0.1/", "not an IPv4 address written as a.b.c.d"),
        ("http://017700000001/", "not an IPv4 address written as a.b.c.d"),
        ("http://127.1/", "not an IPv4 address written as a.b.c.d"),
        ("http://0177.0.0.1/", "IPv4"),  # httpx itself refuses this one
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[::ffff:10.0.0.1]/", "private"),
        ("http://[64:ff9b::a9fe:a9fe]/", "link-local"),
        ("http://[fe80::1%25eth0]/", "zone"),
        ("http://10.0.0.1/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://172.16.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[fd00::1]/", "private"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://100.64.0.1/", "not globally routable"),
        ("http://user:secret@example.org/", "user name or password"),
        ("http://exa%20mple.org/", "not a valid host"),
    ],
)
def test_refused_urls(url, reason, guard):
    report = check_url(url, policy=STRICT)
    assert report.refused is not None and reason in report.refused, report.refused
    assert report.get("reachable").result == "fail" and reason in report.get("reachable").evidence
    assert not report.passed and report.final_url is None
    assert guard.connections == []  # refused before any connection


def test_refused_loopback_even_when_another_port_is_allowed(server, guard):
    report = check_url(server.url("/good"), policy=FetchPolicy(allow=(f"127.0.0.1:{server.port + 1}",), timeout=0.5))
    assert report.refused and "loopback" in report.refused
    assert guard.connections == []


def test_a_name_that_resolves_to_a_private_address_is_refused(monkeypatch, guard):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["10.1.2.3"])
    report = check_url("http://parking.example.test/data.ttl", policy=STRICT)
    assert (
        report.refused == "parking.example.test resolves to 10.1.2.3, which is a private address, and it is not in the allow-list"
    )
    assert guard.connections == []


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, guard):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["93.184.216.34", "2001:db8::1", "127.0.0.1"])
    report = check_url("https://mixed.example.test/", policy=STRICT)
    assert report.refused and ("127.0.0.1" in report.refused or "2001:db8::1" in report.refused)
    assert guard.connections == []


def test_a_name_that_does_not_resolve(monkeypatch):
    def fail(host, port):
        raise OSError("Name or service not known")

    monkeypatch.setattr(addresses, "lookup", fail)
    report = check_url("https://nowhere.example.test/", policy=STRICT)
    assert report.refused and "could not be resolved" in report.refused


def test_a_hanging_lookup_times_out(monkeypatch):
    import threading

    release = threading.Event()

    def hang(host, port):
        release.wait(2)
        return ["93.184.216.34"]

    monkeypatch.setattr(addresses, "lookup", hang)
    try:
        with pytest.raises(Refused, match=r"took longer than 0\.2 s"):
            addresses.checked_addresses("slow.example.test", 443, FetchPolicy(timeout=0.2))
    finally:
        release.set()


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("8.8.8.8", None),
        ("93.184.216.34", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "loopback address"),
        ("::1", "loopback address"),
        ("0.0.0.0", "unspecified address"),  # noqa: S104 - an address under test, nothing binds
        ("::", "unspecified address"),
        ("10.0.0.1", "private address"),
        ("169.254.169.254", "link-local address"),
        ("fe80::1", "link-local address"),
        ("ff02::1", "multicast address"),
        ("::ffff:8.8.8.8", None),
        ("::ffff:192.168.0.1", "private address (IPv4 192.168.0.1 inside IPv6)"),
        ("2002:7f00:1::", "loopback address (IPv4 127.0.0.1 inside IPv6)"),
        ("2001:db8::1", "private address"),
        ("192.0.2.1", "private address"),
    ],
)
def test_address_problem(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_validate_url_accepts_public_names_and_addresses(monkeypatch):
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["93.184.216.34"])
    assert str(validate_url("https://data.stad.gent/parking.ttl", STRICT)) == "https://data.stad.gent/parking.ttl"
    assert validate_url("http://93.184.216.34/", STRICT).host == "93.184.216.34"
    assert validate_url("https://DATA.Stad.Gent./x", STRICT, resolve_host=False).host == "data.stad.gent."


def test_allow_list_networks_and_host_port(monkeypatch):
    policy = FetchPolicy(allow=("10.20.0.0/16", "127.0.0.1:8080", "[::1]:8081", "intern.stad.test:8443"), timeout=0.5)
    validate_url("http://10.20.3.4/", policy)
    validate_url("http://10.20.3.4:9999/", policy)  # a network allows every port
    validate_url("http://127.0.0.1:8080/", policy)
    validate_url("http://[::1]:8081/", policy)
    with pytest.raises(Refused):
        validate_url("http://127.0.0.1:8081/", policy)
    with pytest.raises(Refused):
        validate_url("http://10.21.0.1/", policy)
    with pytest.raises(Refused):
        validate_url("http://[::ffff:127.0.0.1]:8080/", policy)  # the allow-list is not fooled by other spellings
    monkeypatch.setattr(addresses, "lookup", lambda host, port: ["10.99.0.1"])
    validate_url("https://intern.stad.test:8443/data", policy)
    with pytest.raises(Refused):
        validate_url("https://intern.stad.test/data", policy)  # other port
    with pytest.raises(Refused):
        validate_url("https://other.stad.test:8443/data", policy)  # other name, same address
