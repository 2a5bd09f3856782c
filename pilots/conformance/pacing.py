"""When to check each dataset in a monitoring pass: spread over a window, one check per host at a time.

Pure: a list of (key, URL) in, a start time in seconds from now for each key out. The nightly pass
(``pilots.jobs.tasks.recheck_datasets``) queues each check with its delay.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

Key = TypeVar("Key", bound=Hashable)


def host_of(url: str) -> str:
    """The host a check talks to (ports of one host count as that host)."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def spread(targets: Sequence[tuple[Key, str]], window: float, gap: float) -> list[tuple[Key, float]]:
    """A start time (seconds from now) for each target, evenly over ``window``, in turns between the hosts.

    Two checks of one host start at least ``gap`` seconds apart; with ``gap`` longer than a check can last
    (its wall-clock budget), a host never has two checks at once. A host with more targets than fit in the
    window has its last checks after the window rather than closer together.
    """
    queues: dict[str, deque] = defaultdict(deque)
    for key, url in targets:
        queues[host_of(url)].append(key)
    order: list[tuple[Key, str]] = []
    hosts = sorted(queues, key=lambda host: (-len(queues[host]), host))  # the busiest host first: most spread
    while hosts:
        for host in hosts:
            order.append((queues[host].popleft(), host))
        hosts = [host for host in hosts if queues[host]]
    step = window / len(order) if order else 0.0
    last: dict[str, float] = {}
    plan = []
    for position, (key, host) in enumerate(order):
        start = position * step
        if host in last:
            start = max(start, last[host] + gap)
        last[host] = start
        plan.append((key, start))
    return plan
