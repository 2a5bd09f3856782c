"""The address rules: which URLs a check may fetch, and which addresses it may connect to.

A URL is fetched only when it is ``http://`` or ``https://``, has a plain host name or a canonical IP
address, carries no user name or password, and every address its host resolves to is public: not private,
loopback, link-local, multicast, reserved, unspecified or otherwise not globally routable (IPv4-mapped,
NAT64 and 6to4 IPv6 addresses are judged by the IPv4 address inside). The policy's allow-list can let
named networks or ``host:port`` pairs through. :func:`lookup` is the only place that asks DNS.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading

import httpx

from pilots.conformance.policy import FetchPolicy, IPAddress, normalise_host

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 4096
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class Refused(Exception):
    """The URL or an address it leads to may not be fetched; the message says why, in plain words."""


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` may not be connected to (``"loopback address"`` …), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "IPv6 address with a zone"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded)
            return None if problem is None else f"{problem} (IPv4 {embedded} inside IPv6)"
        if address.teredo:
            return "Teredo tunnel address"
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if address.is_reserved:
        return "reserved address"
    if address.is_private:
        return "private address"
    if not address.is_global:
        return "address that is not globally routable"
    return None


def lookup(host: str, port: int) -> list[str]:
    """The addresses DNS (or the hosts file) gives for ``host``, as strings. Tests replace this function."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Resolve ``host`` with :func:`lookup`, giving up after ``timeout`` seconds (getaddrinfo has no timeout
    of its own, so it runs in a daemon thread that is left behind if it hangs)."""
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            outcome["addresses"] = lookup(host, port)
        except Exception as error:
            outcome["error"] = error

    worker = threading.Thread(target=work, name=f"conformance-dns-{host}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise Refused(f"looking up {host} took longer than {timeout:g} s")
    if "error" in outcome:
        raise Refused(f"{host} could not be resolved: {outcome['error']}")
    addresses: list[IPAddress] = []
    for text in outcome.get("addresses") or []:  # type: ignore[union-attr]
        try:
            address = ipaddress.ip_address(str(text))
        except ValueError:
            raise Refused(f"{host} resolved to {text!r}, which is not an IP address") from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(f"{host} resolved to no address")
    return addresses


def literal_address(host: str) -> IPAddress | None:
    """The IP address when ``host`` is an IP literal (IPv6 without brackets), else None."""
    try:
        return ipaddress.ip_address(normalise_host(host))
    except ValueError:
        return None


def check_host_syntax(host: str) -> None:
    """Refuse hosts that are neither a plain DNS name nor a canonical IP address.

    Numbers written in other ways (``2130706433``, ``0x7f.0.0.1``, ``127.1``, ``0177.0.0.1``) are refused
    outright: browsers and C libraries read them as IPv4 addresses, but the way they do so differs.
    """
    name = normalise_host(host)
    if not name:
        raise Refused("the URL has no host")
    if ":" in name or "%" in name:
        address = literal_address(name)
        if address is None or "%" in name:
            raise Refused(f"{host!r} is not a valid host (IPv6 zone identifiers and encoded characters are refused)")
        return
    labels = name.split(".")
    if NUMERIC_LABEL.match(labels[-1]):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise Refused(f"{host!r} looks like a number but is not an IPv4 address written as a.b.c.d") from None
        return
    if len(name) > 253 or not all(LABEL.match(label) for label in labels):
        raise Refused(f"{host!r} is not a valid host name")


def parse_url(url: object) -> httpx.URL:
    """Parse and check the URL's form (scheme, host, no credentials); raises :class:`Refused`."""
    if not isinstance(url, str) or not url.strip():
        raise Refused("no URL given")
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise Refused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme not in SCHEMES:
        shown = f"{scheme}://" if scheme and scheme.isascii() and scheme.isalnum() else "this URL"
        raise Refused(f"only http:// and https:// URLs can be checked, not {shown}")
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise Refused(f"not a valid URL: {error}") from None
    if parsed.scheme not in SCHEMES:
        raise Refused(f"only http:// and https:// URLs can be checked, not {parsed.scheme}://")
    if parsed.userinfo:
        raise Refused("URLs with a user name or password are not checked")
    if not parsed.host:
        raise Refused("the URL has no host")
    check_host_syntax(parsed.raw_host.decode("ascii", "replace"))
    return parsed


def port_of(url: httpx.URL) -> int:
    return url.port or DEFAULT_PORTS[url.scheme]


def checked_addresses(host: str, port: int, policy: FetchPolicy, *, timeout: float | None = None) -> list[IPAddress]:
    """Every address ``host`` stands for, each one checked; raises :class:`Refused` if ANY is not allowed.

    An IP literal is checked as it is; a name is resolved with :func:`lookup` (within ``timeout``, by default
    the policy's).
    An address the rules refuse passes only when the allow-list permits this host, address and port.
    """
    check_host_syntax(host)
    name = normalise_host(host)
    literal = literal_address(name)
    addresses = [literal] if literal is not None else resolve(name, port, policy.timeout if timeout is None else timeout)
    for address in addresses:
        problem = address_problem(address)
        if problem is None or policy.permits(name, address, port):
            continue
        article = "an" if problem[0] in "aeiou" else "a"
        subject = f"{address}" if literal is not None else f"{name} resolves to {address}, which"
        raise Refused(f"{subject} is {article} {problem}, and it is not in the allow-list")
    return addresses


def validate_url(url: object, policy: FetchPolicy, *, resolve_host: bool = True) -> httpx.URL:
    """Parse ``url`` and, when ``resolve_host``, check every address of its host; raises :class:`Refused`."""
    parsed = parse_url(url)
    if resolve_host:
        checked_addresses(parsed.raw_host.decode("ascii"), port_of(parsed), policy)
    return parsed
