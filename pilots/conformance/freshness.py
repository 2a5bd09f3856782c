"""The freshness rule: the data must be recent compared with how often the dataset says it is updated.

When the data was generated is read from ``prov:generatedAtTime`` about the document (or the dataset it is part
of), else from the HTTP ``Last-Modified`` header. :func:`judge` compares its age with the allowed age for the
declared update frequency (a code of the EU frequency vocabulary, such as ``DAILY``), at a moment ``now``
given by the caller: nothing here reads the clock, so every verdict can be tested on made-up times.

The allowed age (:func:`allowed_age`):

* continuously updated data (``CONT``, ``UPDATE_CONT``): :data:`REALTIME_TOLERANCE` (15 minutes);
* a frequency with a fixed period (``HOURLY``, ``DAILY``, ``WEEKLY`` …): :data:`PERIOD_FACTOR` (two) times the
  period, so one missed update is forgiven but not two; never less than :data:`REALTIME_TOLERANCE`;
* real-time data without such a frequency (none declared, ``UNKNOWN``, ``IRREG`` …): :data:`REALTIME_TOLERANCE`;
* other data without such a frequency: the rule does not apply.

A time without a timezone is taken as UTC. A time more than :data:`CLOCK_SKEW` ahead of ``now`` fails (the data
cannot have been generated in the future; a little ahead is a clock difference between the servers). Real-time
data that says nowhere when it was generated fails; other data that does not say is not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import rdflib
from rdflib.namespace import XSD

from pilots.conformance.checks import PROV, document_nodes, not_checked, owning_nodes
from pilots.conformance.fetch import Fetched
from pilots.conformance.messages import Message, say
from pilots.conformance.messages import duration as duration_message
from pilots.conformance.report import FAIL, NOT_APPLICABLE, PASS, Check

CHECK_ID = "freshness"
#: How old continuously updated (real-time) data may be.
REALTIME_TOLERANCE = timedelta(minutes=15)
#: How far ahead of the checker's clock a generation time may be before it counts as "in the future".
CLOCK_SKEW = timedelta(minutes=5)
#: Data with a fixed update period may be this many periods old.
PERIOD_FACTOR = 2
#: The prefix of the EU frequency vocabulary; a full URI is accepted as well as its code.
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"

#: EU frequency codes for continuously updated data.
CONTINUOUS = frozenset({"CONT", "UPDATE_CONT"})
_DAY = timedelta(days=1)
#: EU frequency code -> the longest regular gap between two updates. Codes not listed here (IRREG, UNKNOWN,
#: NEVER, OTHER, AS_NEEDED, NOT_PLANNED, OP_DATPRO …) have no fixed period.
PERIODS: dict[str, timedelta] = {
    "1MIN": timedelta(minutes=1),
    "5MIN": timedelta(minutes=5),
    "10MIN": timedelta(minutes=10),
    "15MIN": timedelta(minutes=15),
    "30MIN": timedelta(minutes=30),
    "HOURLY": timedelta(hours=1),
    "BIHOURLY": timedelta(hours=2),
    "TRIHOURLY": timedelta(hours=3),
    "12HRS": timedelta(hours=12),
    "DAILY_2": timedelta(hours=12),
    "DAILY": _DAY,
    "WEEKLY_5": 3 * _DAY,  # working days: Friday to Monday
    "WEEKLY_3": 3 * _DAY,
    "WEEKLY_2": 4 * _DAY,
    "WEEKLY": 7 * _DAY,
    "BIWEEKLY": 14 * _DAY,
    "MONTHLY_3": 11 * _DAY,
    "MONTHLY_2": 16 * _DAY,
    "MONTHLY": 31 * _DAY,
    "BIMONTHLY": 62 * _DAY,
    "QUARTERLY": 92 * _DAY,
    "ANNUAL_3": 123 * _DAY,
    "ANNUAL_2": 184 * _DAY,
    "ANNUAL": 366 * _DAY,
    "BIENNIAL": 731 * _DAY,
    "TRIENNIAL": 1096 * _DAY,
    "QUADRENNIAL": 1461 * _DAY,
    "QUINQUENNIAL": 1827 * _DAY,
    "SEXENNIAL": 2192 * _DAY,
    "DECENNIAL": 3653 * _DAY,
    "BIDECENNIAL": 7305 * _DAY,
    "TRIDECENNIAL": 10958 * _DAY,
}


@dataclass(frozen=True)
class Generated:
    """When the data was generated (``at``), where that was read (``source``) and as it was written (``shown``)."""

    at: datetime
    source: str
    shown: str


def frequency_code(frequency: str | None) -> str | None:
    """``"daily"``, ``"DAILY"`` or the full EU URI -> ``"DAILY"``; None or blank -> None."""
    if frequency is None:
        return None
    code = frequency.strip()
    if code.startswith(EU_FREQUENCY):
        code = code[len(EU_FREQUENCY) :]
    return code.upper() or None


def allowed_age(frequency: str | None, realtime: bool) -> timedelta | None:
    """How old the data may be for the declared ``frequency``; None when the rule does not apply."""
    code = frequency_code(frequency)
    if code in CONTINUOUS:
        return REALTIME_TOLERANCE
    if code in PERIODS:
        return max(PERIOD_FACTOR * PERIODS[code], REALTIME_TOLERANCE)
    return REALTIME_TOLERANCE if realtime else None


def applies(frequency: str | None, realtime: bool) -> bool:
    """The rule applies: the data is real-time, or its declared frequency has a fixed period (or is continuous)."""
    return allowed_age(frequency, realtime) is not None


def as_utc(moment: datetime) -> datetime:
    """A time without a timezone is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def representable(moment: datetime) -> bool:
    """The time can be turned into UTC (not so ``0001-01-01T00:00:00+14:00``, which would fall before year 1)."""
    try:
        as_utc(moment)
    except OverflowError:
        return False
    return True


def duration(span: timedelta) -> str:
    """A length of time in plain words, to the two largest units: "2 days 3 hours", "14 minutes 5 seconds"."""
    return duration_message(span.total_seconds()).english()


def span(length: timedelta) -> Message:
    """:func:`duration` as a message."""
    return duration_message(length.total_seconds())


def basis(frequency: str | None, realtime: bool) -> str:
    """What the allowed age is based on, for the evidence."""
    return basis_message(frequency, realtime).english()


def basis_message(frequency: str | None, realtime: bool) -> Message:
    code = frequency_code(frequency)
    if code in CONTINUOUS:
        return say("freshness.basis_continuous", frequency=code)
    if code in PERIODS:
        return say("freshness.basis_frequency", frequency=code)
    return say("freshness.basis_realtime")


def judge(now: datetime, generated: Generated | None, frequency: str | None, *, realtime: bool) -> Check:
    """The freshness verdict at ``now`` (timezone-aware) for data generated at ``generated`` (None: unknown).

    Pass when the age is at most :func:`allowed_age` (the boundary passes) and the time is at most
    :data:`CLOCK_SKEW` ahead of ``now``; fail when older, further ahead, or unknown for real-time data;
    n/a when the rule does not apply, or when non-real-time data does not say when it was generated.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    allowed = allowed_age(frequency, realtime)
    code = frequency_code(frequency)
    if allowed is None:
        if code is None:
            return Check.said(CHECK_ID, NOT_APPLICABLE, say("freshness.no_frequency"))
        return Check.said(CHECK_ID, NOT_APPLICABLE, say("freshness.no_period", frequency=code))
    if generated is None:
        if realtime:
            return Check.said(CHECK_ID, FAIL, say("freshness.realtime_unknown"))
        return Check.said(CHECK_ID, NOT_APPLICABLE, say("freshness.unknown"))
    age = as_utc(now) - as_utc(generated.at)
    stamp = f"{generated.source} {generated.shown}"
    if age < -CLOCK_SKEW:
        return Check.said(CHECK_ID, FAIL, say("freshness.future", stamp=stamp, ahead=span(-age), skew=span(CLOCK_SKEW)))
    if age < timedelta(0):
        return Check.said(CHECK_ID, PASS, say("freshness.ahead", stamp=stamp, ahead=span(-age)))
    why = {"age": span(age), "allowed": span(allowed), "basis": basis_message(frequency, realtime)}
    if age <= allowed:
        return Check.said(CHECK_ID, PASS, say("freshness.fresh", stamp=stamp, **why))
    return Check.said(CHECK_ID, FAIL, say("freshness.stale", stamp=stamp, **why))


def latest(values: Iterable[rdflib.term.Node]) -> Generated | None:
    """The latest ``xsd:dateTime`` among ``values``; other values are skipped (``generated_at`` reports them)."""
    found = [
        Generated(value.value, "prov:generatedAtTime", str(value))
        for value in values
        if isinstance(value, rdflib.Literal)
        and value.datatype == XSD.dateTime
        and isinstance(value.value, datetime)
        and representable(value.value)
    ]
    return max(found, key=lambda item: as_utc(item.at), default=None)


def generated_in_graph(graph: rdflib.Graph, urls: Iterable[str]) -> Generated | None:
    """``prov:generatedAtTime`` about the document, else about the dataset it is part of (the latest, if several)."""
    documents = document_nodes(urls)
    for subjects in (documents, owning_nodes(graph, documents)):
        found = latest(value for subject in subjects for value in graph.objects(subject, PROV.generatedAtTime))
        if found is not None:
            return found
    return None


def last_modified(fetched: Fetched) -> Generated | None:
    """The ``Last-Modified`` header as a time; None when absent or not an HTTP date."""
    value = fetched.headers.get("last-modified")
    if not value or not value.strip():
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return Generated(moment, "Last-Modified", value.strip()) if representable(moment) else None


def check_freshness(
    now: datetime, fetched: Fetched, graph: rdflib.Graph | None, frequency: str | None, *, realtime: bool
) -> Check:
    """The freshness check of what was fetched: ``prov:generatedAtTime`` in ``graph`` (None when the answer
    was not parsed as RDF), else ``Last-Modified``, judged at ``now`` against the declared ``frequency``."""
    if not applies(frequency, realtime):
        return judge(now, None, frequency, realtime=realtime)
    if not fetched.answered:
        return Check.said(CHECK_ID, FAIL, not_checked(fetched))
    generated = generated_in_graph(graph, fetched.chain) if graph is not None else None
    return judge(now, generated or last_modified(fetched), frequency, realtime=realtime)
