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

from pilots.conformance.messages import Message, Said, say
from pilots.conformance.policy import FetchPolicy, IPAddress, normalise_host

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_URL_LENGTH = 4096
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$")
NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


class Refused(Said):
    """The URL or an address it leads to may not be fetched; the message says why, in plain words."""


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` may not be connected to (``"loopback address"`` …), or None when it is public."""
    problem = address_problem_message(address)
    return None if problem is None else problem.english()


def address_problem_message(address: IPAddress) -> Message | None:
    """:func:`address_problem` as a message."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return say("problem.zone")
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem_message(embedded)
            return None if problem is None else say("problem.embedded", problem=problem, address=str(embedded))
        if address.teredo:
            return say("problem.teredo")
    if address.is_unspecified:
        return say("problem.unspecified")
    if address.is_loopback:
        return say("problem.loopback")
    if address.is_link_local:
        return say("problem.link_local")
    if address.is_multicast:
        return say("problem.multicast")
    if address.is_reserved:
        return say("problem.reserved")
    if address.is_private:
        return say("problem.private")
    if not address.is_global:
        return say("problem.not_global")
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
        raise Refused(say("address.lookup_slow", host=host, seconds=float(timeout)))
    if "error" in outcome:
        raise Refused(say("address.lookup_failed", host=host, reason=lookup_reason(outcome["error"])))  # type: ignore[arg-type]
    addresses: list[IPAddress] = []
    for text in outcome.get("addresses") or []:  # type: ignore[union-attr]
        try:
            address = ipaddress.ip_address(str(text))
        except ValueError:
            raise Refused(say("address.not_an_ip", host=host, text=repr(text))) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise Refused(say("address.no_address", host=host))
    return addresses


#: getaddrinfo's answers when the name server failed (the name may exist), as opposed to a name that is not found.
NAME_SERVER_FAILED = frozenset(
    code for code in (getattr(socket, name, None) for name in ("EAI_AGAIN", "EAI_FAIL")) if code is not None
)


def lookup_reason(error: BaseException) -> Message:
    """Why a name could not be resolved, in plain words; the error as Python gave it is the detail."""
    detail = str(error).strip() or type(error).__name__
    if isinstance(error, socket.gaierror) and error.errno in NAME_SERVER_FAILED:
        return say("net.lookup_error", detail=detail)
    if isinstance(error, socket.gaierror | UnicodeError):
        return say("net.name_not_found", detail=detail)
    return say("net.lookup_error", detail=detail)


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
        raise Refused(say("address.no_host"))
    if ":" in name or "%" in name:
        address = literal_address(name)
        if address is None or "%" in name:
            raise Refused(say("address.bad_ip_literal", host=repr(host)))
        return
    labels = name.split(".")
    if NUMERIC_LABEL.match(labels[-1]):
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise Refused(say("address.odd_number", host=repr(host))) from None
        return
    if len(name) > 253 or not all(LABEL.match(label) for label in labels):
        raise Refused(say("address.bad_host", host=repr(host)))


def parse_url(url: object) -> httpx.URL:
    """Parse and check the URL's form (scheme, host, no credentials); raises :class:`Refused`."""
    if not isinstance(url, str) or not url.strip():
        raise Refused(say("address.no_url"))
    text = url.strip()
    if len(text) > MAX_URL_LENGTH:
        raise Refused(say("address.too_long", max=MAX_URL_LENGTH))
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme not in SCHEMES:
        shown = f"{scheme}://" if scheme and scheme.isascii() and scheme.isalnum() else say("address.this_url")
        raise Refused(say("address.scheme", scheme=shown))
    try:
        parsed = httpx.URL(text)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise Refused(say("address.invalid_url", detail=str(error))) from None
    if parsed.scheme not in SCHEMES:
        raise Refused(say("address.scheme", scheme=f"{parsed.scheme}://"))
    if parsed.userinfo:
        raise Refused(say("address.credentials"))
    if not parsed.host:
        raise Refused(say("address.no_host"))
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
        problem = address_problem_message(address)
        if problem is None or policy.permits(name, address, port):
            continue
        article = "an" if problem.english()[0] in "aeiou" else "a"  # for the English text only
        if literal is not None:
            raise Refused(say("address.refused_literal", address=str(address), article=article, problem=problem))
        raise Refused(say("address.refused_name", host=name, address=str(address), article=article, problem=problem))
    return addresses


def validate_url(url: object, policy: FetchPolicy, *, resolve_host: bool = True) -> httpx.URL:
    """Parse ``url`` and, when ``resolve_host``, check every address of its host; raises :class:`Refused`."""
    parsed = parse_url(url)
    if resolve_host:
        checked_addresses(parsed.raw_host.decode("ascii"), port_of(parsed), policy)
    return parsed
