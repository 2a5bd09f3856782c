"""Helpers for URLs that come from users."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site, else None (no open redirects).

    Accepts only relative paths such as ``/challenges?page=2``; refuses absolute URLs, scheme-relative
    ``//host`` forms, backslash tricks that browsers read as ``//``, and control characters.
    """
    if not target:
        return None
    target = target.strip()
    if target.endswith("?"):
        target = target[:-1]
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
