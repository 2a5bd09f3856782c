"""The monitoring pass's schedule: every dataset once, spread over the window, one check per host at a time."""

from __future__ import annotations

from collections import defaultdict
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from pilots.conformance.pacing import host_of, spread

HOSTS = ["data.gent.be", "opendata.antwerpen.be", "Data.Gent.be:8443", "127.0.0.1", "[::1]", "not a url"]
targets = st.lists(st.sampled_from(HOSTS), max_size=60).map(
    lambda hosts: [(index, f"https://{host}/dataset/{index}") for index, host in enumerate(hosts)]
)


@given(targets, st.floats(min_value=0, max_value=86_400), st.floats(min_value=0, max_value=120))
def test_each_target_once_and_one_host_never_twice_within_the_gap(items, window, gap):
    plan = spread(items, window, gap)
    assert sorted(key for key, _ in plan) == [key for key, _ in items]
    urls = dict(items)
    starts = defaultdict(list)
    for key, start in plan:
        assert start >= 0
        starts[host_of(urls[key])].append(start)
    for times in starts.values():
        times.sort()
        assert all(later - earlier >= gap - 1e-9 for earlier, later in pairwise(times))


@given(targets, st.floats(min_value=1, max_value=86_400))
def test_with_room_for_every_host_the_pass_ends_within_the_window(items, window):
    busiest = max((sum(host_of(url) == host_of(other) for _, other in items) for _, url in items), default=0)
    gap = window / max(len(items), 1)  # a gap the even spread already keeps
    plan = spread(items, window, gap)
    assert all(start < window or busiest * gap >= window for _, start in plan)


def test_the_hosts_take_turns():
    items = [(1, "https://a.example/1"), (2, "https://a.example/2"), (3, "https://b.example/1")]
    assert spread(items, window=30, gap=5) == [(1, 0.0), (3, 10.0), (2, 20.0)]
    assert spread(items, window=3, gap=5) == [(1, 0.0), (3, 1.0), (2, 5.0)]  # a.example waits its gap
    assert host_of("https://Data.Gent.be:8443/x") == "data.gent.be"
    assert spread([], 100, 5) == []
