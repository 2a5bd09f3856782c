"""One wall-clock budget and a memory cap over a whole check: fetching *and* parsing, in a child process.

The fetcher bounds every network read by ``total_timeout``, but parsing is not network: a small JSON-LD
document whose nodes each pull in a large remote context, an RDF/XML "billion laughs" or a 5 MB Turtle file
can keep rdflib busy for minutes and take hundreds of MB. A parser cannot be interrupted from the outside
inside one process, so :func:`check_url_isolated` runs :func:`~pilots.conformance.checker.check_url` in a
child process started by the ``forkserver`` method (no copy of the caller's threads or locks), with its
address space capped at ``max_memory`` bytes. The parent waits at most ``total_timeout`` (plus
:data:`GRACE` for the child to start and answer) and then kills the child.

Whatever happens, the caller gets a :class:`CheckReport`: the child's own, or one built from the checks the
child reported before it was stopped (the answer's status, HTTPS, CORS, caching and media type are known
before parsing starts) with every other check failed as "too slow to check" or "too large to check", and
``limit`` set to ``"time"`` or ``"memory"``.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection

from pilots.conformance.checker import check_url, uniform
from pilots.conformance.messages import Message, say
from pilots.conformance.policy import FetchPolicy
from pilots.conformance.report import CHECK_IDS, FAIL, Check, CheckReport

#: Seconds beyond the budget that the child gets to start and send its report before it is killed.
GRACE = 1.0
DEFAULT_MAX_MEMORY = 1024 * 1024 * 1024
_PRELOAD = ["pilots.conformance.isolated"]


def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)  # the server imports rdflib and httpx once; each check forks from it
    return context


def _child(
    connection: Connection,
    url: str,
    realtime: bool,
    policy: FetchPolicy,
    max_memory: int,
    frequency: str | None = None,
    now: datetime | None = None,
) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (max_memory, max_memory))
    try:
        report = check_url(
            url,
            realtime=realtime,
            policy=policy,
            progress=lambda checks, final: connection.send(("progress", checks, final)),
            frequency=frequency,
            now=now,
        )
    except MemoryError:
        connection.send(("memory", None, None))
    else:
        connection.send(("report", report, None))
    finally:
        connection.close()


def stopped_report(
    url: str,
    realtime: bool,
    checked_at: datetime,
    reached: tuple[Check, ...],
    final_url: str | None,
    limit: str,
    why: Message,
    frequency: str | None = None,
) -> CheckReport:
    """The checklist of a check stopped at a limit: what was established before, then every other check failed."""
    done = {check.id for check in reached}
    rest = tuple(check_id for check_id in CHECK_IDS if check_id not in done)
    checks = (*reached, *uniform(rest, FAIL, why, realtime, frequency))
    return CheckReport(url=url, final_url=final_url, checked_at=checked_at, checks=checks, limit=limit)


def check_url_isolated(
    url: str,
    *,
    realtime: bool = False,
    policy: FetchPolicy,
    max_memory: int = DEFAULT_MAX_MEMORY,
    frequency: str | None = None,
    now: datetime | None = None,
) -> CheckReport:
    """:func:`check_url` within ``policy.total_timeout`` seconds and ``max_memory`` bytes, fetching and parsing together.

    ``frequency`` and ``now`` as for :func:`check_url`; the clock is read once, here, and the child judges at
    that same moment."""
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    checked_at = now if now is not None else datetime.now(UTC)
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, url, realtime, policy, max_memory, frequency, checked_at), daemon=True)
    deadline = time.monotonic() + policy.total_timeout + GRACE
    process.start()
    sender.close()
    reached: tuple[Check, ...] = ()
    final_url: str | None = None
    outcome: tuple[str, object] = ("time", None)
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not receiver.poll(left):
                break
            try:
                kind, payload, final = receiver.recv()
            except EOFError:  # the child died without a word: the kernel refused it memory, or it crashed
                outcome = ("memory", None)
                break
            if kind == "progress":
                reached, final_url = payload, final
                continue
            outcome = (kind, payload)
            break
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        receiver.close()
    kind, payload = outcome
    if kind == "report" and isinstance(payload, CheckReport):
        return payload
    text = url if isinstance(url, str) else repr(url)
    if kind == "time":
        why = say("not_checked.too_slow", seconds=float(policy.total_timeout))
        return stopped_report(text, realtime, checked_at, reached, final_url, "time", why, frequency)
    megabytes = max_memory // (1024 * 1024)
    why = say("not_checked.too_large", megabytes=megabytes)
    return stopped_report(text, realtime, checked_at, reached, final_url, "memory", why, frequency)
