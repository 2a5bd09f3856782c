"""Errors the services raise; the web layer turns them into messages next to the right field."""

from __future__ import annotations


class ServiceError(Exception):
    """A rule of the domain refused the change. ``field`` names the form field it concerns, if any."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(ServiceError):
    """The object does not exist (any more)."""


class StaleEdit(ServiceError):
    """Somebody else saved the object since the form was opened: the change is refused, not merged."""


class Forbidden(ServiceError):
    """The acting user may not do this (for example: act for another city)."""
