"""``check_url``: fetch a published dataset under the policy and run the checklist on what came back."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

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
REALTIME_ONLY = "only checked for real-time data"


def uniform(ids: tuple[str, ...], result: str, evidence: str, realtime: bool) -> list[Check]:
    """The same result for every check in ``ids``, except ``generated_at``, which is n/a unless real-time."""
    return [
        Check(check_id, NOT_APPLICABLE, REALTIME_ONLY)
        if check_id == "generated_at" and not realtime
        else Check(check_id, result, evidence)
        for check_id in ids
    ]


def context_loader(fetcher: Fetcher):
    """Load a remote JSON-LD context through the same guarded fetcher (rules, limits, time budget)."""

    def load(url: str) -> Any:
        got = fetcher.get(url, CONTEXT_ACCEPT)
        if not got.ok or got.body is None:
            raise RDFError(f"could not load the remote @context {url}: {got.error or f'HTTP {got.status}'}")
        try:
            return json.loads(got.body)
        except (ValueError, RecursionError):
            raise RDFError(f"the remote @context {url} is not JSON") from None

    return load


def rdf_checks(fetched: Fetched, fetcher: Fetcher, realtime: bool) -> list[Check]:
    if not fetched.answered:
        return uniform(RDF_CHECKS, FAIL, not_checked(fetched), realtime)
    fmt = rdf_format(fetched.media_type)
    if fmt is None:
        return uniform(RDF_CHECKS, NOT_APPLICABLE, f"not RDF ({fetched.media_type or 'no media type'})", realtime)
    if fetched.body is None:
        return uniform(RDF_CHECKS, FAIL, f"not checked: the body was not read ({fetched.error})", realtime)
    asked = "application/ld+json" if fmt == "turtle" else "text/turtle"
    negotiation = check_content_negotiation(fetched, asked, fetcher.get(fetched.url, asked, read_body=False))
    try:
        graph = parse(fetched.body, fetched.media_type, fetched.final_url, load_context=context_loader(fetcher))
    except RDFError as error:
        rest = uniform(("licence", "generated_at", "history_links"), FAIL, "not checked: the RDF does not parse", realtime)
        return [Check("rdf_parses", FAIL, str(error)), negotiation, *rest]
    parses = Check("rdf_parses", PASS, f"{FORMAT_NAMES[fmt]}, {len(graph)} triples")
    generated = check_generated_at(graph, fetched.chain) if realtime else Check("generated_at", NOT_APPLICABLE, REALTIME_ONLY)
    return [parses, negotiation, check_licence(graph, fetched.chain), generated, check_history_links(graph)]


Progress = Callable[[tuple[Check, ...], str | None], None]


def evaluate(fetched: Fetched, fetcher: Fetcher, realtime: bool, progress: Progress | None = None) -> list[Check]:
    """The whole checklist for what ``fetcher`` got (it may fetch again: content negotiation, contexts).
    ``progress`` hears the checks of the answer itself before the RDF is parsed."""
    checks = [
        check_reachable(fetched),
        check_https(fetched),
        check_cors(fetched),
        check_caching(fetched),
        check_media_type(fetched),
    ]
    if progress is not None:
        progress(tuple(checks), fetched.final_url if fetched.chain else None)
    return checks + rdf_checks(fetched, fetcher, realtime)


def check_url(url: str, *, realtime: bool = False, policy: FetchPolicy, progress: Progress | None = None) -> CheckReport:
    """Check the dataset published at ``url`` against the programme's technical principles.

    Never raises for anything about the URL or the server: a refused URL, a timeout, a huge or broken
    answer all become failed checks with the reason as evidence. ``report.refused`` is set when the URL
    itself was refused before any request (scheme, host form, or an address the rules do not allow).
    ``realtime``: the data is real-time, so the document must say when it was generated.
    """
    checked_at = datetime.now(UTC)
    text = url if isinstance(url, str) else repr(url)
    try:
        validate_url(url, policy)
    except Refused as error:
        reason = str(error)
        checks = [
            Check("reachable", FAIL, f"refused: {reason}"),
            *uniform(CHECK_IDS[1:], FAIL, "not checked: the URL was refused", realtime),
        ]
        return CheckReport(url=text, final_url=None, checked_at=checked_at, checks=tuple(checks), refused=reason)
    final_url: str | None = None
    try:
        with Fetcher(policy) as fetcher:
            fetched = fetcher.get(text, ACCEPT)
            final_url = fetched.final_url if fetched.chain else None
            checks = evaluate(fetched, fetcher, realtime, progress)
    except MemoryError:
        raise  # the caller's limit (pilots.conformance.isolated): the verdict is "too large to check"
    except Exception as error:  # a bug must not break the caller: report it as a failed check
        detail = f"the check itself failed ({type(error).__name__}: {error})"
        checks = [Check("reachable", FAIL, detail), *uniform(CHECK_IDS[1:], FAIL, "not checked", realtime)]
    return CheckReport(url=text, final_url=final_url, checked_at=checked_at, checks=tuple(checks))
