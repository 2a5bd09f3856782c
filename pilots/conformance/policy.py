"""What a check may fetch: the allow-list, the timeouts and the size cap (see docs/conformance.md).

A :class:`FetchPolicy` is a small frozen value the caller builds, usually from the app's configuration with
:func:`policy_from_config`. It never changes during a check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_TIMEOUT = 5.0
DEFAULT_TOTAL_TIMEOUT = 30.0
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_REDIRECTS = 3
DEFAULT_USER_AGENT = "datapilots-conformance/1.0"


@dataclass(frozen=True)
class AllowRule:
    """One parsed allow-list entry: a network (any port), an address and port, or a host name and port."""

    entry: str
    network: IPNetwork | None = None
    address: IPAddress | None = None
    host: str | None = None
    port: int | None = None

    def permits(self, host: str, address: IPAddress, port: int) -> bool:
        if self.network is not None:
            return address.version == self.network.version and address in self.network
        if self.address is not None:
            return address == self.address and port == self.port
        return host == self.host and port == self.port


def normalise_host(host: str) -> str:
    """Lower case, without IPv6 brackets and without the trailing dot of a fully qualified name."""
    host = host.strip().lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    return host[:-1] if host.endswith(".") else host


def parse_port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"allow-list entry {entry!r}: {text!r} is not a port number (1-65535)")
    return int(text)


def parse_allow_entry(entry: str) -> AllowRule:
    """Parse ``10.0.0.0/8``, ``127.0.0.1``, ``::1``, ``127.0.0.1:8080``, ``[::1]:8080`` or ``host.name:8080``."""
    text = str(entry).strip()
    if not text:
        raise ValueError("allow-list entry is empty")
    if "/" in text:
        try:
            return AllowRule(text, network=ipaddress.ip_network(text, strict=False))
        except ValueError as error:
            raise ValueError(f"allow-list entry {text!r} is not a CIDR network: {error}") from None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        pass
    else:
        return AllowRule(text, network=ipaddress.ip_network(address))
    if text.startswith("["):
        inside, _, rest = text[1:].partition("]")
        if not rest.startswith(":"):
            raise ValueError(f"allow-list entry {text!r}: write an IPv6 address with a port as [address]:port")
        try:
            address = ipaddress.IPv6Address(inside)
        except ValueError:
            raise ValueError(f"allow-list entry {text!r}: {inside!r} is not an IPv6 address") from None
        return AllowRule(text, address=address, port=parse_port(rest[1:], text))
    host, colon, port_text = text.rpartition(":")
    if not colon or not host or ":" in host:
        raise ValueError(f"allow-list entry {text!r} is neither a CIDR network, an address, nor host:port")
    port = parse_port(port_text, text)
    try:
        return AllowRule(text, address=ipaddress.IPv4Address(host), port=port)
    except ValueError:
        pass
    name = normalise_host(host)
    if not name or any(not label for label in name.split(".")):
        raise ValueError(f"allow-list entry {text!r}: {host!r} is not a host name")
    return AllowRule(text, host=name, port=port)


@dataclass(frozen=True)
class FetchPolicy:
    """How a check may fetch.

    ``allow``: CIDR networks (any port) and ``host:port`` / ``address:port`` entries that may be fetched
    although the address rules would refuse them (private, loopback, link-local …). ``timeout``: seconds
    for connecting and for each read. ``total_timeout``: seconds for the whole check, all requests
    included. ``max_bytes``: the largest body read (after decompression). ``max_redirects``: redirects
    followed per request.
    """

    allow: tuple[str, ...] = ()
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    user_agent: str = DEFAULT_USER_AGENT
    total_timeout: float = DEFAULT_TOTAL_TIMEOUT
    rules: tuple[AllowRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        allow = (self.allow,) if isinstance(self.allow, str) else tuple(self.allow)
        object.__setattr__(self, "allow", tuple(str(entry).strip() for entry in allow))
        object.__setattr__(self, "rules", tuple(parse_allow_entry(entry) for entry in self.allow))
        if not self.timeout > 0:
            raise ValueError("timeout must be a positive number of seconds")
        if not self.total_timeout > 0:
            raise ValueError("total_timeout must be a positive number of seconds")
        if int(self.max_bytes) != self.max_bytes or self.max_bytes < 1:
            raise ValueError("max_bytes must be a positive whole number")
        if int(self.max_redirects) != self.max_redirects or self.max_redirects < 0:
            raise ValueError("max_redirects must be a whole number, 0 or more")
        if not self.user_agent or any(c in self.user_agent for c in "\r\n"):
            raise ValueError("user_agent must be one non-empty line")

    def permits(self, host: str, address: IPAddress, port: int) -> str | None:
        """The allow-list entry that lets ``host`` at ``address``:``port`` through, or None."""
        host = normalise_host(host)
        for rule in self.rules:
            if rule.permits(host, address, port):
                return rule.entry
        return None


def _entries(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.replace(",", " ").split() if part)
    if isinstance(value, Iterable):
        return tuple(str(part) for part in value)
    raise ValueError(f"CONFORMANCE_ALLOW must be a list of strings, not {type(value).__name__}")


def _number(config: Mapping[str, Any], key: str, kind: type, default: Any) -> Any:
    value = config.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{key} must be a number, not {value!r}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"{key} must be a number, not {value!r}") from None


CONFIG_KEYS = {
    "timeout": "CONFORMANCE_TIMEOUT",
    "total_timeout": "CONFORMANCE_TOTAL_TIMEOUT",
    "max_bytes": "CONFORMANCE_MAX_BYTES",
    "max_redirects": "CONFORMANCE_MAX_REDIRECTS",
    "user_agent": "CONFORMANCE_USER_AGENT",
}


def policy_from_config(config: Mapping[str, Any]) -> FetchPolicy:
    """Build the policy from a configuration mapping (such as ``app.config``).

    Keys: ``CONFORMANCE_ALLOW`` (list of strings, or one string separated by commas or spaces),
    ``CONFORMANCE_TIMEOUT`` (seconds), ``CONFORMANCE_MAX_BYTES``; optional ``CONFORMANCE_MAX_REDIRECTS``,
    ``CONFORMANCE_TOTAL_TIMEOUT`` and ``CONFORMANCE_USER_AGENT``. Missing keys take the defaults; a bad
    value raises ``ValueError`` naming the key.
    """
    try:
        return FetchPolicy(
            allow=_entries(config.get("CONFORMANCE_ALLOW")),
            timeout=_number(config, "CONFORMANCE_TIMEOUT", float, DEFAULT_TIMEOUT),
            max_bytes=_number(config, "CONFORMANCE_MAX_BYTES", int, DEFAULT_MAX_BYTES),
            max_redirects=_number(config, "CONFORMANCE_MAX_REDIRECTS", int, DEFAULT_MAX_REDIRECTS),
            total_timeout=_number(config, "CONFORMANCE_TOTAL_TIMEOUT", float, DEFAULT_TOTAL_TIMEOUT),
            user_agent=str(config.get("CONFORMANCE_USER_AGENT") or DEFAULT_USER_AGENT),
        )
    except ValueError as error:
        message = str(error)
        for name, key in CONFIG_KEYS.items():
            if message.startswith(name + " "):
                message = key + message[len(name) :]
        raise ValueError(f"conformance configuration: {message}") from None
