"""Sign-in throttling that stops password guessing without letting anyone lock a colleague out.

Each attempt is counted *before* the password is checked, with the storage's atomic increment, so that
parallel requests cannot slip past a limit. The counters live in RATELIMIT_STORAGE_URI (memory for one
process, Redis for several workers). Three limits apply:

* per client address (``LOGIN_LIMIT_PER_IP``), whatever the account: spraying many accounts from one place;
* per account for **unknown browsers** (``LOGIN_LIMIT_PER_ACCOUNT``): guessing one account from anywhere;
* per account and **known browser** (the same limit, counted for that browser alone).

A browser becomes known to an account when it signs in to it: it receives a signed *device cookie*
(OWASP's "device cookies" defence). Someone who exhausts the account's limit from their own browser, from the
same city-hall network or from a botnet, only blocks unknown browsers: the owner signs in from a browser
they used before as usual, because its attempts are counted apart. A stolen device cookie buys a guesser no
more than its own limit. A successful sign-in clears the counter that the attempt was counted on.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import parse

from pilots.extensions import limiter

DEVICE_COOKIE = "dp_device"
DEVICE_DAYS = 365
MAX_ACCOUNTS = 5  # a shared computer in city hall: the five accounts signed in most recently
_SALT = "sign-in device"


@dataclass(frozen=True)
class Refusal:
    """An attempt that is not even checked: wait ``seconds``; ``unknown_browser`` when a known one may still sign in."""

    seconds: int
    unknown_browser: bool


def _limits():
    config = current_app.config
    return parse(config["LOGIN_LIMIT_PER_ACCOUNT"]), parse(config["LOGIN_LIMIT_PER_IP"])


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _devices(cookie: str | None) -> dict[str, str]:
    """The accounts this browser signed in to, with its device id for each, if the cookie is valid and recent."""
    if not cookie:
        return {}
    try:
        payload = _serializer().loads(cookie, max_age=DEVICE_DAYS * 24 * 3600)
    except BadSignature:
        return {}
    if not isinstance(payload, dict):
        return {}
    return {account: device for account, device in payload.items() if isinstance(account, str) and isinstance(device, str)}


def _account_key(account: str) -> str:
    """The account as the cookie names it: a digest, so that a shared computer's cookie shows nobody's address."""
    return hashlib.sha256(account.encode()).hexdigest()[:24]


def new_device_cookie(account: str, cookie: str | None = None) -> str:
    """The device cookie for a browser that just signed in to ``account`` (it keeps up to MAX_ACCOUNTS others)."""
    devices = _devices(cookie)
    key = _account_key(account)
    device = devices.pop(key, None) or secrets.token_urlsafe(12)
    kept = dict(list(devices.items())[-(MAX_ACCOUNTS - 1) :])
    kept[key] = device  # the latest last
    return _serializer().dumps(kept)


def known_device(account: str, cookie: str | None) -> str | None:
    """The device id this browser has for ``account``, or None for a browser unknown to it."""
    return _devices(cookie).get(_account_key(account))


def _counter(account: str, device: str | None) -> tuple[str, str]:
    return ("login-device", f"{account} {device}") if device else ("login-account", account)


def _hit(*counters) -> dict[str, int]:
    """Count one hit on each (limit, scope, key); for each limit now exceeded, its scope and the seconds to wait."""
    strategy = limiter.limiter
    waits = {}
    for item, scope, key in counters:
        if not strategy.hit(item, scope, key):
            reset_at, _remaining = strategy.get_window_stats(item, scope, key)
            waits[scope] = max(1, int(reset_at - time.time()))
    return waits


def register_attempt(account: str, address: str, device: str | None = None) -> Refusal | None:
    """Count a sign-in attempt; None if it may be checked, else how long to wait and which limit refused it."""
    per_account, per_address = _limits()
    scope, key = _counter(account, device)
    waits = _hit((per_account, scope, key), (per_address, "login-ip", address))
    if not waits:
        return None
    return Refusal(seconds=max(waits.values()), unknown_browser=set(waits) == {"login-account"})


def clear_account(account: str, device: str | None = None) -> None:
    per_account, _ = _limits()
    scope, key = _counter(account, device)
    limiter.limiter.clear(per_account, scope, key)


def register_reset_request(account: str, address: str) -> int | None:
    """Count a "forgot your password?" request; None if it may go on, else the seconds to wait.

    Counted whether or not an account uses the address, so a refusal says nothing about the accounts."""
    config = current_app.config
    waits = _hit(
        (parse(config["RESET_LIMIT_PER_ACCOUNT"]), "reset-account", account),
        (parse(config["RESET_LIMIT_PER_IP"]), "reset-ip", address),
    )
    return max(waits.values()) if waits else None
