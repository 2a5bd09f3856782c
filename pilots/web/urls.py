"""Helpers for URLs: the site's absolute addresses, and URLs that come from users."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app, request, url_for


def absolute(path: str) -> str:
    """The absolute address of a path of this site (``/pilots/3``). The base is BASE_URL, never the request's Host
    header: feeds, exports and cached answers must not carry an address someone else's request made up."""
    root = request.script_root if request else ""
    if root and path.startswith(root):
        path = path[len(root) :]
    return current_app.config["BASE_URL"].rstrip("/") + path


def absolute_url(endpoint: str, **values: Any) -> str:
    """``url_for`` as an absolute address under BASE_URL (see :func:`absolute`)."""
    return absolute(url_for(endpoint, **values))


def base_host() -> str:
    """The host name of BASE_URL (for identifiers such as an iCalendar UID)."""
    return urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"


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
