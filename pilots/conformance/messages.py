"""What a check says, as a key and its parameters, so that each caller can say it in its own language.

Every evidence line is a :class:`Message`: a stable ``key`` (see :data:`ENGLISH` and :data:`PLURALS`), the
``params`` it needs and, when there is one, a technical ``detail`` (the error as the library or the operating
system gave it, such as ``[Errno -2] Name or service not known``), which is never translated. A parameter is a
string, a number, another :class:`Message` (a part of the sentence, such as the reason of a refusal) or a list
of messages (joined by ``"; "``).

:meth:`Message.english` is the evidence in English, as the JSON report and the command line give it; the web
layer turns the same key and parameters into the reader's language (``pilots/web/labels.py``). The templates use
``%(name)s`` placeholders, as gettext does, so a translation is the same text with the same placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: key -> the English text of a message.
ENGLISH: dict[str, str] = {
    # a plain text, from before evidence had keys (or made up by a caller)
    "text": "%(text)s",
    # --- parts shared by several checks
    "not_checked": "not checked",
    "not_checked.refused": "not checked: the request was refused",
    "not_checked.url_refused": "not checked: the URL was refused",
    "not_checked.no_answer": "not checked: no answer",
    "not_checked.no_answer_because": "not checked: no answer (%(error)s)",
    "not_checked.status": "not checked: the URL answered HTTP %(status)s",
    "not_checked.body_not_read": "not checked: the body was not read (%(error)s)",
    "not_checked.rdf_does_not_parse": "not checked: the RDF does not parse",
    "not_checked.realtime_only": "only checked for real-time data",
    "not_checked.freshness": "only checked for real-time data or data updated at a fixed frequency",
    "not_checked.not_rdf": "not RDF (%(media_type)s)",
    "not_checked.too_slow": "too slow to check: fetching and parsing took longer than %(seconds)s s in all",
    "not_checked.too_large": "too large to check: parsing needed more than %(megabytes)s MB of memory",
    "check_failed": "the check itself failed",
    "where": " (at %(url)s, after %(redirects)s)",
    "no_media_type": "no media type",
    "http_status": "HTTP %(status)s",
    # --- reachable
    "reachable.pass": "%(status)s%(via)s%(size)s",
    "reachable.via": " from %(url)s after %(redirects)s",
    "reachable.size": ", %(bytes)s",
    "reachable.refused": "refused: %(reason)s%(where)s",
    "reachable.unreadable": "%(status)s, but the body could not be read: %(error)s",
    "reachable.error": "%(error)s%(where)s",
    "reachable.status": "%(status)s%(where)s",
    # --- https
    "https.pass": "served over HTTPS: %(url)s%(upgraded)s",
    "https.upgraded": " (redirected from http://)",
    "https.fail": "served over plain HTTP: %(url)s",
    # --- cors
    "cors.missing": "no Access-Control-Allow-Origin header: web apps on other sites cannot read the data",
    "cors.any": "Access-Control-Allow-Origin: *",
    "cors.echo": "Access-Control-Allow-Origin echoes the request's Origin (%(origin)s)",
    "cors.one_origin": "Access-Control-Allow-Origin: %(value)s lets only that origin read the data; public data needs '*'",
    # --- caching
    "caching.no_store": "Cache-Control: %(value)s forbids caching",
    "caching.max_age": "Cache-Control: %(value)s",
    "caching.etag": "ETag: %(value)s",
    "caching.both": "Cache-Control: %(value)s; ETag: %(etag)s",
    "caching.missing": "no Cache-Control max-age and no ETag%(seen)s",
    "caching.seen": " (Cache-Control: %(value)s)",
    # --- media_type
    "media_type.rdf": "%(media_type)s (RDF: %(format)s)",
    "media_type.missing": "no Content-Type header",
    "media_type.structured": "%(media_type)s (machine-readable, not RDF: the RDF checks do not apply)",
    "media_type.not_data": "%(media_type)s is not a machine-readable data format",
    # --- rdf_parses
    "rdf_parses.pass": "%(format)s, %(triples)s",
    "rdf.not_rdf_format": "%(media_type)s is not an RDF format",
    "rdf.does_not_parse": "%(format)s does not parse",
    "rdf.not_json": "not valid JSON",
    "rdf.nested_too_deeply": "the JSON-LD document is nested too deeply",
    "rdf.unresolved_context": "remote @context left unresolved: %(url)s",
    "rdf.not_an_object": "a JSON-LD document must be a JSON object or array",
    "rdf.context_includes_itself": "the remote @context %(url)s includes itself",
    "rdf.context_not_loaded_here": "the document uses a remote @context (%(url)s), which is not loaded here",
    "rdf.too_many_contexts": "the document uses more than %(max)s remote @context documents",
    "rdf.not_a_context": "the remote @context %(url)s is not a JSON-LD context (no @context key)",
    "rdf.too_many_terms": "the document's remote @context documents add up to more than %(max)s term definitions "
    "(the last was %(url)s): too large to check",
    "rdf.import_not_one": "@import must name one context URL",
    "rdf.import_not_an_object": "the @import %(url)s is not a single context object",
    "rdf.context_not_loaded": "could not load the remote @context %(url)s: %(reason)s",
    "rdf.context_not_json": "the remote @context %(url)s is not JSON",
    # --- content_negotiation
    "negotiation.pass": "offers %(offered)s and %(asked)s through the Accept header%(note)s",
    "negotiation.no_vary": "; note: no 'Vary: Accept' header, so shared caches may mix the formats",
    "negotiation.other_type": "asked for %(asked)s and got %(got)s: only %(offered)s seems to be offered",
    "negotiation.error": "asked for %(asked)s: %(reason)s",
    # --- licence
    "licence.pass": "%(predicate)s <%(value)s>%(note)s about %(about)s",
    "licence.flemish_model": " (the Flemish model licence for free reuse)",
    "licence.flemish_cc0": " (the Flemish CC0 declaration)",
    "licence.this_document": "this document",
    "licence.part_of": "%(subject)s, which this document is part of",
    "licence.not_uri": "the licence is not a URI (%(found)s): a machine-readable licence is identified by its URI",
    "licence.missing": "no dct:license or cc:license about this document (<%(document)s>)%(hint)s",
    "licence.elsewhere": "; a licence is stated about %(subject)s, which is not this document",
    # --- generated_at
    "generated_at.pass": "prov:generatedAtTime %(value)s",
    "generated_at.not_datetime": "prov:generatedAtTime %(value)s is not an xsd:dateTime",
    "generated_at.missing": "no prov:generatedAtTime about this document",
    # --- history_links
    "history_links.pass": "%(links)s",
    "history_links.link": "%(predicate)s %(target)s",
    "history_links.template": "%(predicate)s (a template)",
    "history_links.missing": "no hydra:next, hydra:previous or hydra:search: the history pages are not linked",
    # --- freshness
    "freshness.no_frequency": "not real-time, and no update frequency is declared",
    "freshness.no_period": "not real-time, and the update frequency %(frequency)s has no fixed period",
    "freshness.realtime_unknown": "no prov:generatedAtTime or Last-Modified: nothing says when the real-time data was generated",
    "freshness.unknown": "no prov:generatedAtTime or Last-Modified to judge by (required only for real-time data)",
    "freshness.future": "%(stamp)s is %(ahead)s in the future: more than the %(skew)s allowed for clock differences",
    "freshness.ahead": "%(stamp)s is %(ahead)s ahead of the checker's clock, within the allowed clock difference",
    "freshness.fresh": "%(stamp)s is %(age)s old, within the %(allowed)s allowed for %(basis)s",
    "freshness.stale": "%(stamp)s is %(age)s old, more than the %(allowed)s allowed for %(basis)s",
    "freshness.basis_continuous": "continuously updated data (%(frequency)s)",
    "freshness.basis_frequency": "the update frequency %(frequency)s",
    "freshness.basis_realtime": "real-time data",
    # --- the address rules (why a URL or an address is refused)
    "address.no_url": "no URL given",
    "address.too_long": "the URL is longer than %(max)s characters",
    "address.scheme": "only http:// and https:// URLs can be checked, not %(scheme)s",
    "address.this_url": "this URL",
    "address.invalid_url": "not a valid URL",
    "address.credentials": "URLs with a user name or password are not checked",
    "address.no_host": "the URL has no host",
    "address.bad_ip_literal": "%(host)s is not a valid host (IPv6 zone identifiers and encoded characters are refused)",
    "address.odd_number": "%(host)s looks like a number but is not an IPv4 address written as a.b.c.d",
    "address.bad_host": "%(host)s is not a valid host name",
    "address.lookup_slow": "looking up %(host)s took longer than %(seconds)s s",
    "address.lookup_failed": "%(host)s could not be resolved: %(reason)s",
    "address.not_an_ip": "%(host)s resolved to %(text)s, which is not an IP address",
    "address.no_address": "%(host)s resolved to no address",
    "address.refused_literal": "%(address)s is %(article)s %(problem)s, and it is not in the allow-list",
    "address.refused_name": "%(host)s resolves to %(address)s, which is %(article)s %(problem)s, and it is not in the allow-list",
    "address.peer_unknown": "could not verify which address the connection went to",
    "address.peer_other": "the connection went to %(peer)s, not to the checked address %(expected)s",
    "address.unix_socket": "connections over UNIX sockets are never made",
    "address.redirect_invalid": "the redirect goes to an invalid URL",
    "address.redirect_refused": "the redirect to %(location)s is refused: %(reason)s",
    # what an address is (address_problem)
    "problem.zone": "IPv6 address with a zone",
    "problem.teredo": "Teredo tunnel address",
    "problem.unspecified": "unspecified address",
    "problem.loopback": "loopback address",
    "problem.link_local": "link-local address",
    "problem.multicast": "multicast address",
    "problem.reserved": "reserved address",
    "problem.private": "private address",
    "problem.not_global": "address that is not globally routable",
    "problem.embedded": "%(problem)s (IPv4 %(address)s inside IPv6)",
    # --- fetching
    "fetch.deadline": "the check took longer than %(seconds)s s in all",
    "fetch.too_many_redirects": "more than %(max)s redirects",
    "fetch.too_large": "larger than %(max)s bytes",
    "fetch.too_large_declared": "larger than %(max)s bytes (Content-Length: %(length)s)",
    "fetch.too_large_decompressed": "larger than %(max)s bytes after decompression",
    "fetch.encoding": "unsupported Content-Encoding %(encoding)s",
    "fetch.broken_compression": "the compressed body is broken",
    "fetch.cut_short": "the compressed body is cut short",
    # --- the network, in plain words (the error itself is the detail)
    "net.connect_timeout": "the server did not answer in time: no connection within %(seconds)s s",
    "net.read_timeout": "the server did not answer in time: no answer within %(seconds)s s",
    "net.timeout": "the server did not answer in time (%(seconds)s s)",
    "net.could_not_connect": "could not connect: %(reason)s",
    "net.name_not_found": "the server's name could not be found",
    "net.lookup_error": "the server's name could not be looked up",
    "net.refused": "the server refused the connection",
    "net.reset": "the server broke off the connection",
    "net.unreachable": "the server cannot be reached from here",
    "net.certificate": "the certificate could not be verified",
    "net.tls": "no secure connection could be set up",
    "net.connection_failed": "the connection failed",
    "net.not_http": "the answer is not valid HTTP",
    "net.read_broken": "the connection broke while reading",
    "net.invalid_url": "not a valid URL",
    "net.http_error": "the exchange with the server failed",
    "net.unexpected": "an unexpected error occurred",
}

#: key -> (singular, plural) English text of a message with a count (its ``num`` parameter).
PLURALS: dict[str, tuple[str, str]] = {
    "count.redirects": ("%(num)s redirect", "%(num)s redirects"),
    "count.bytes": ("%(num)s byte", "%(num)s bytes"),
    "count.triples": ("%(num)s triple", "%(num)s triples"),
    "count.days": ("%(num)s day", "%(num)s days"),
    "count.hours": ("%(num)s hour", "%(num)s hours"),
    "count.minutes": ("%(num)s minute", "%(num)s minutes"),
    "count.seconds": ("%(num)s second", "%(num)s seconds"),
}

#: A length of time (``seconds``), said in its two largest units: "2 days 3 hours".
DURATION = "duration"
KEYS = frozenset({*ENGLISH, *PLURALS, DURATION})

Param = Any  # str | int | float | Message | list[Message]


@dataclass(frozen=True)
class Message:
    """A sentence (or a part of one) by key, with its parameters and an untranslated technical ``detail``."""

    key: str
    params: Mapping[str, Param] = field(default_factory=dict, hash=False)
    detail: str | None = None

    def __post_init__(self) -> None:
        if self.key not in KEYS:
            raise ValueError(f"unknown message key {self.key!r}")
        object.__setattr__(self, "params", dict(self.params))

    def english(self) -> str:
        """The message in English, each technical detail in brackets after its part."""
        return render(self, english_text, english_number, inline_details=True)

    def __str__(self) -> str:
        return self.english()

    def to_dict(self) -> dict[str, Any]:
        """``{"message": key, "params": {...}}`` (and ``"detail"``), as stored in a report; nested alike."""
        data: dict[str, Any] = {"message": self.key, "params": {name: dump(value) for name, value in self.params.items()}}
        if self.detail:
            data["detail"] = self.detail
        return data


def dump(value: Param) -> Any:
    if isinstance(value, Message):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    return value


def load(data: Any) -> Message | None:
    """The message stored as ``data`` (:meth:`Message.to_dict`), or None when it is not one we know."""
    if not isinstance(data, Mapping) or data.get("message") not in KEYS or not isinstance(data.get("params", {}), Mapping):
        return None

    def value(item: Any) -> Any:
        if isinstance(item, Mapping) and "message" in item:
            return load(item) or ""
        if isinstance(item, list):
            return [value(part) for part in item]
        return item

    detail = data.get("detail")
    try:
        return Message(data["message"], {k: value(v) for k, v in data.get("params", {}).items()}, detail and str(detail))
    except ValueError:
        return None


class Said(Exception):
    """An exception whose reason is a :class:`Message` (``str()`` gives it in English). A plain string is kept as
    the ``"text"`` message."""

    def __init__(self, message: Message | str) -> None:
        self.message = message if isinstance(message, Message) else Message("text", {"text": message})
        super().__init__(self.message.english())


def say(key: str, *, detail: str | None = None, **params: Param) -> Message:
    """``Message(key, params, detail)``, shorter to write."""
    return Message(key, params, detail)


def count(key: str, num: int) -> Message:
    return Message(key, {"num": num})


def duration(seconds: float) -> Message:
    return Message(DURATION, {"seconds": max(0, int(seconds))})


def duration_parts(seconds: int) -> list[tuple[str, int]]:
    """The two largest units of a length of time, as (plural key, count): [("count.days", 2), ("count.hours", 3)]."""
    days, rest = divmod(max(0, int(seconds)), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, rest = divmod(rest, 60)
    units = (("count.days", days), ("count.hours", hours), ("count.minutes", minutes), ("count.seconds", rest))
    parts = [(key, n) for key, n in units if n]
    return parts[:2] or [("count.seconds", 0)]


# --- rendering, in English here and in the reader's language on the web --------------------------------------------


def english_text(key: str, num: int | None) -> str:
    if key in PLURALS:
        singular, plural = PLURALS[key]
        return singular if num == 1 else plural
    return ENGLISH[key]


def english_number(value: int | float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


Text = Callable[[str, "int | None"], str]
Number = Callable[["int | float"], str]


def render(message: Message, text: Text, number: Number, *, inline_details: bool = False, join: str = "; ") -> str:
    """``message`` written out: ``text(key, num)`` gives a key's template (translated or not), ``number(value)``
    writes a number. Parameters that are messages are written out first; a list of messages is joined.
    ``inline_details``: each technical detail in brackets after its part (else see :func:`details`)."""

    def written(value: Param) -> str:
        if isinstance(value, Message):
            return render(value, text, number, inline_details=inline_details, join=join)
        if isinstance(value, list | tuple):
            return join.join(written(item) for item in value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "" if value is None else str(value)
        return number(value)

    if message.key == DURATION:
        out = " ".join(written(count(key, n)) for key, n in duration_parts(message.params.get("seconds", 0)))
    else:
        values = {name: written(value) for name, value in message.params.items()}
        num = message.params.get("num")
        num = num if isinstance(num, int) and not isinstance(num, bool) else None
        try:
            out = text(message.key, num) % values
        except (KeyError, ValueError, TypeError):  # a translation with a placeholder the message lacks
            out = english_text(message.key, num) % values
    return f"{out} ({message.detail})" if inline_details and message.detail else out


def details(message: Message) -> list[str]:
    """Every technical detail in the message and its parts, outermost first, each once."""
    found = [message.detail] if message.detail else []
    for value in message.params.values():
        for item in value if isinstance(value, list | tuple) else (value,):
            if isinstance(item, Message):
                found += [detail for detail in details(item) if detail not in found]
    return found


def placeholders(template: str) -> set[str]:
    """The names of the ``%(name)s`` placeholders of a template."""
    return set(re.findall(r"%\((\w+)\)", template))
