"""Sign-in throttling, per account and per client address.

Each attempt is counted *before* the password is checked, with the storage's atomic increment, so that
parallel requests cannot slip past the limit. A successful sign-in clears the account's counter. The
counters live in RATELIMIT_STORAGE_URI (memory for one process, Redis for several workers).
Trade-off, on purpose: an account under attack stays locked for the window even for its owner.
"""

from __future__ import annotations

import time

from flask import current_app
from limits import parse

from pilots.extensions import limiter


def _limits():
    config = current_app.config
    return parse(config["LOGIN_LIMIT_PER_ACCOUNT"]), parse(config["LOGIN_LIMIT_PER_IP"])


def register_attempt(account: str, address: str) -> int | None:
    """Count a sign-in attempt; return None if allowed, else the seconds until another attempt is allowed."""
    per_account, per_address = _limits()
    strategy = limiter.limiter
    refused = []
    for item, scope, key in ((per_account, "login-account", account), (per_address, "login-ip", address)):
        if not strategy.hit(item, scope, key):
            reset_at, _remaining = strategy.get_window_stats(item, scope, key)
            refused.append(max(1, int(reset_at - time.time())))
    return max(refused) if refused else None


def clear_account(account: str) -> None:
    per_account, _ = _limits()
    limiter.limiter.clear(per_account, "login-account", account)
