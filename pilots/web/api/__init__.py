"""The public read-only JSON API under /api/v1/ (docs/api.md)."""

from pilots.web.api.views import bp

__all__ = ["bp"]
