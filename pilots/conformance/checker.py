"""``check_url``: fetch a published dataset under the policy and run the checklist on what came back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import rdflib

from pilots.conformance.addresses import Refused, validate_url
from pilots.conformance.checks import (
    check_caching,
    check_content_negotiation,
    check_cors,
    check_generated_at,
    check_history_links,
    check_https,
    check_licence,
    check_media_type,
    check_reachable,
    not_checked,
)
from pilots.conformance.fetch import Fetched, Fetcher
from pilots.conformance.freshness import applies, check_freshness
from pilots.conformance.messages import Message, count, say
from pilots.conformance.policy import FetchPolicy
from pilots.conformance.rdf import FORMAT_NAMES, RDFError, parse, rdf_format
from pilots.conformance.report import CHECK_IDS, FAIL, NOT_APPLICABLE, PASS, Check, CheckReport

#: What the first request asks for: RDF, Turtle first, anything else last.
ACCEPT = (
    "text/turtle, application/ld+json;q=0.9, application/n-triples;q=0.8, "
    "application/rdf+xml;q=0.7, application/trig;q=0.7, */*;q=0.1"
)
CONTEXT_ACCEPT = "application/ld+json, application/json;q=0.9"
RDF_CHECKS = ("rdf_parses", "content_negotiation", "licence", "generated_at", "history_links")
REALTIME_ONLY = say("not_checked.realtime_only")
FRESHNESS_NOT_APPLICABLE = say("not_checked.freshness")


def uniform(ids: tuple[str, ...], result: str, evidence: Message, realtime: bool, frequency: str | None = None) -> list[Check]:
    """The same result for every check in ``ids``, except ``generated_at``, which is n/a unless real-time, and
    ``freshness``, n/a unless real-time or updated at a fixed frequency."""
    checks = []
    for check_id in ids:
        if check_id == "generated_at" and not realtime:
            checks.append(Check.said(check_id, NOT_APPLICABLE, REALTIME_ONLY))
        elif check_id == "freshness" and not applies(frequency, realtime):
            checks.append(Check.said(check_id, NOT_APPLICABLE, FRESHNESS_NOT_APPLICABLE))
        else:
            checks.append(Check.said(check_id, result, evidence))
    return checks


def context_loader(fetcher: Fetcher):
    """Load a remote JSON-LD context through the same guarded fetcher (rules, limits, time budget)."""

    def load(url: str) -> Any:
        got = fetcher.get(url, CONTEXT_ACCEPT)
        if not got.ok or got.body is None:
            reason = got.problem if got.error else say("http_status", status=str(got.status))
            raise RDFError(say("rdf.context_not_loaded", url=url, reason=reason))
        try:
            return json.loads(got.body)
        except (ValueError, RecursionError):
            raise RDFError(say("rdf.context_not_json", url=url)) from None

    return load


def rdf_checks(fetched: Fetched, fetcher: Fetcher, realtime: bool) -> tuple[list[Check], rdflib.Graph | None]:
    """The RDF checks, and the parsed graph (None when the answer is not RDF or does not parse)."""
    if not fetched.answered:
        return uniform(RDF_CHECKS, FAIL, not_checked(fetched), realtime), None
    fmt = rdf_format(fetched.media_type)
    if fmt is None:
        not_rdf = say("not_checked.not_rdf", media_type=fetched.media_type or say("no_media_type"))
        return uniform(RDF_CHECKS, NOT_APPLICABLE, not_rdf, realtime), None
    if fetched.body is None:
        return uniform(RDF_CHECKS, FAIL, say("not_checked.body_not_read", error=fetched.problem), realtime), None
    asked = "application/ld+json" if fmt == "turtle" else "text/turtle"
    negotiation = check_content_negotiation(fetched, asked, fetcher.get(fetched.url, asked, read_body=False))
    try:
        graph = parse(fetched.body, fetched.media_type, fetched.final_url, load_context=context_loader(fetcher))
    except RDFError as error:
        rest = uniform(("licence", "generated_at", "history_links"), FAIL, say("not_checked.rdf_does_not_parse"), realtime)
        return [Check.said("rdf_parses", FAIL, error.message), negotiation, *rest], None
    parses = Check.said(
        "rdf_parses", PASS, say("rdf_parses.pass", format=FORMAT_NAMES[fmt], triples=count("count.triples", len(graph)))
    )
    generated = (
        check_generated_at(graph, fetched.chain) if realtime else Check.said("generated_at", NOT_APPLICABLE, REALTIME_ONLY)
    )
    return [parses, negotiation, check_licence(graph, fetched.chain), generated, check_history_links(graph)], graph


Progress = Callable[[tuple[Check, ...], str | None], None]


def evaluate(
    fetched: Fetched,
    fetcher: Fetcher,
    realtime: bool,
    progress: Progress | None = None,
    *,
    now: datetime,
    frequency: str | None = None,
) -> list[Check]:
    """The whole checklist for what ``fetcher`` got (it may fetch again: content negotiation, contexts).
    ``progress`` hears the checks of the answer itself before the RDF is parsed. ``now``: the moment of the
    check, which the freshness rule judges against."""
    checks = [
        check_reachable(fetched),
        check_https(fetched),
        check_cors(fetched),
        check_caching(fetched),
        check_media_type(fetched),
    ]
    if progress is not None:
        progress(tuple(checks), fetched.final_url if fetched.chain else None)
    rdf, graph = rdf_checks(fetched, fetcher, realtime)
    return [*checks, *rdf, check_freshness(now, fetched, graph, frequency, realtime=realtime)]


def check_url(
    url: str,
    *,
    realtime: bool = False,
    policy: FetchPolicy,
    progress: Progress | None = None,
    frequency: str | None = None,
    now: datetime | None = None,
) -> CheckReport:
    """Check the dataset published at ``url`` against the programme's technical principles.

    Never raises for anything about the URL or the server: a refused URL, a timeout, a huge or broken
    answer all become failed checks with the reason as evidence. ``report.refused`` is set when the URL
    itself was refused before any request (scheme, host form, or an address the rules do not allow).
    ``realtime``: the data is real-time, so the document must say when it was generated.
    ``frequency``: the dataset's declared update frequency (an EU frequency code such as ``"DAILY"``, or None),
    which the freshness rule compares the generation time with. ``now``: the moment of the check (timezone-aware),
    which the freshness rule judges against and the report's ``checked_at``; by default the clock, read once here.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    checked_at = now if now is not None else datetime.now(UTC)
    text = url if isinstance(url, str) else repr(url)
    try:
        validate_url(url, policy)
    except Refused as error:
        reason = str(error)
        checks = [
            Check.said("reachable", FAIL, say("reachable.refused", reason=error.message, where="")),
            *uniform(CHECK_IDS[1:], FAIL, say("not_checked.url_refused"), realtime, frequency),
        ]
        return CheckReport(url=text, final_url=None, checked_at=checked_at, checks=tuple(checks), refused=reason)
    final_url: str | None = None
    try:
        with Fetcher(policy) as fetcher:
            fetched = fetcher.get(text, ACCEPT)
            final_url = fetched.final_url if fetched.chain else None
            checks = evaluate(fetched, fetcher, realtime, progress, frequency=frequency, now=checked_at)
    except MemoryError:
        raise  # the caller's limit (pilots.conformance.isolated): the verdict is "too large to check"
    except Exception as error:  # a bug must not break the caller: report it as a failed check
        failed = say("check_failed", detail=f"{type(error).__name__}: {error}")
        checks = [Check.said("reachable", FAIL, failed), *uniform(CHECK_IDS[1:], FAIL, say("not_checked"), realtime, frequency)]
    return CheckReport(url=text, final_url=final_url, checked_at=checked_at, checks=tuple(checks))
