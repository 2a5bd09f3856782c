"""The platform's URI scheme for the things the catalogue describes."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from rfc3986_validator import validate_rfc3986

from pilots.dcat.errors import CatalogError


def is_web_uri(value: object) -> bool:
    """An absolute http(s) URI as RFC 3986 defines it (the ABNF, by a maintained validator), with a host and a
    valid port: what a catalogue and the API's ``format: uri`` can carry. Spaces, quotes, ``<``, ``>``, braces
    and non-ASCII characters must be percent-encoded."""
    if not isinstance(value, str) or not validate_rfc3986(value, rule="URI"):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


@dataclass(frozen=True)
class UriScheme:
    """URIs under one base, e.g. ``UriScheme("https://datapilots.example.org")``.

    * the catalogue: ``<base>/catalog``
    * the platform's organisation (the catalogue's publisher): ``<base>/#organisation``
    * a city: ``<base>/cities/<slug>#agent`` (the ``#agent`` separates the city from its page)
    * a dataset: ``<base>/datasets/<id>``; its distributions and contact point are fragments of it
      (``#distribution``, ``#contact-point``), made by the builder.
    """

    base: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise CatalogError(f"base URI {self.base!r} must be an absolute http(s) URI without query or fragment")
        object.__setattr__(self, "base", self.base.rstrip("/"))

    def catalog(self) -> str:
        return f"{self.base}/catalog"

    def organisation(self) -> str:
        return f"{self.base}/#organisation"

    def city(self, slug: str) -> str:
        return f"{self.base}/cities/{quote(str(slug), safe='')}#agent"

    def dataset(self, dataset_id: int | str) -> str:
        return f"{self.base}/datasets/{quote(str(dataset_id), safe='')}"
