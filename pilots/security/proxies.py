"""Believe X-Forwarded-For and X-Forwarded-Proto only from the reverse proxies in front of the app.

What ``TRUSTED_PROXIES = n`` assumes, exactly:

* every request reaches the app through the same chain of ``n`` proxies, and the one nearest the app connects
  from an address in ``TRUSTED_PROXY_ADDRESSES`` (loopback by default: nginx on the same machine);
* each proxy *appends* the address it received the connection from to ``X-Forwarded-For`` (nginx:
  ``proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for``) and the outermost one *sets*
  ``X-Forwarded-Proto`` (``proxy_set_header X-Forwarded-Proto $scheme``).

Then the ``n``-th address from the right of ``X-Forwarded-For`` is the one the outermost proxy saw, which a
client cannot choose: whatever the client sent itself stands further left and is ignored. A request from any
other address (someone who reaches gunicorn directly) has its forwarded headers ignored, so it cannot pretend
to be somebody else to the sign-in limits or the audit log. ``X-Forwarded-Host`` is never believed: absolute
addresses come from ``BASE_URL``.
"""

from __future__ import annotations

import ipaddress

from werkzeug.middleware.proxy_fix import ProxyFix

DEFAULT_PROXY_ADDRESSES = ("127.0.0.1/32", "::1/128")


class TrustedProxyFix:
    """WSGI middleware: werkzeug's ProxyFix for requests from a trusted proxy, the request untouched otherwise."""

    def __init__(self, app, hops: int, addresses=DEFAULT_PROXY_ADDRESSES):
        self.app = app
        self.proxied = ProxyFix(app, x_for=hops, x_proto=hops, x_host=0, x_port=0, x_prefix=0)
        self.networks = tuple(ipaddress.ip_network(address, strict=False) for address in addresses)

    def _trusted(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address(peer or "")
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self._trusted(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.app(environ, start_response)
