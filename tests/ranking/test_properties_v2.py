"""Hypothesis properties of contract version 2: group weights, Kendall's W, the capacity choice, Delphi."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilots.ranking import run
from pilots.ranking.capacity import choose
from pilots.ranking.consensus import average_ranks, kendall_w
from pilots.ranking.group import distance_from_group, geometric_mean_weights

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
CRITERIA = ["c0", "c1", "c2", "c3"]


@st.composite
def city_weights(draw) -> dict[str, dict[str, float]]:
    count = draw(st.integers(1, 4))
    criteria = CRITERIA[: draw(st.integers(1, 4))]
    return {
        f"city-{v}": {c: draw(st.floats(0.01, 100, allow_nan=False, allow_infinity=False)) for c in criteria}
        for v in range(count)
    }


@PROPERTY_SETTINGS
@given(city_weights(), st.floats(1e-3, 1e3), st.integers(0, 3))
def test_geometric_mean_weights_are_scale_invariant_per_city(table, factor, which):
    criteria = list(next(iter(table.values())))
    city = sorted(table)[which % len(table)]
    scaled = {**table, city: {c: w * factor for c, w in table[city].items()}}
    before, after = geometric_mean_weights(table, criteria), geometric_mean_weights(scaled, criteria)
    assert np.allclose([before[c] for c in criteria], [after[c] for c in criteria], rtol=1e-9, atol=1e-12)
    assert abs(sum(before.values()) - 1) < 1e-12
    assert all(0 <= d <= 1 + 1e-12 for d in distance_from_group(table, before).values())
    if len(table) == 1:  # one city: its own weights
        total = sum(table[city].values())
        assert np.allclose([before[c] for c in criteria], [table[city][c] / total for c in criteria])


@PROPERTY_SETTINGS
@given(st.lists(st.integers(0, 5), min_size=2, max_size=8), st.integers(2, 6))
def test_w_is_one_when_every_city_ranks_alike(scores, cities):
    ranks = average_ranks(np.array([scores] * cities, dtype=float))
    if len(set(scores)) == 1:  # everybody ties everything: W is undefined
        assert kendall_w(ranks) is None
    else:
        assert abs(kendall_w(ranks) - 1) < 1e-12


@PROPERTY_SETTINGS
@given(st.permutations(list(range(7))), st.integers(2, 7))
def test_w_is_zero_for_two_opposed_cities(order, size):
    ranks = average_ranks(np.array([order[:size], [-x for x in order[:size]]], dtype=float))
    assert kendall_w(ranks) == 0.0
    # many cities in opposed pairs: still 0
    assert kendall_w(np.vstack([ranks, ranks, ranks])) == 0.0


@PROPERTY_SETTINGS
@given(st.integers(2, 8), st.integers(2, 8), st.integers(0, 2**16))
def test_w_of_random_rankings_is_in_range(cities, items, seed):
    rng = np.random.default_rng(seed)
    w = kendall_w(average_ranks(rng.integers(0, 4, size=(cities, items)).astype(float)))
    assert w is None or 0 <= w <= 1


@st.composite
def knapsacks(draw):
    count = draw(st.integers(0, 10))
    names = [f"a{i}" for i in range(count)]
    scores = {a: draw(st.integers(-2, 12)) / 4 for a in names}  # quarters: exact sums, frequent ties
    efforts = {a: draw(st.integers(0, 40)) / 4 for a in names}
    order = draw(st.permutations(names))
    return scores, efforts, draw(st.integers(0, 60)) / 4, draw(st.integers(1, 4)), list(order)


def brute_force(scores, efforts, capacity, select, order):
    """The best total, and among the best sets the lexicographically best ranks (a missing rank is worst)."""
    best_total, best_key = None, None
    for size in range(min(select, len(order)) + 1):
        for subset in itertools.combinations(range(len(order)), size):
            if sum(efforts[order[i]] for i in subset) > capacity:
                continue
            total = sum(scores[order[i]] for i in subset)
            key = list(subset) + [len(order)] * (select - size)
            if best_total is None or total > best_total or (total == best_total and key < best_key):
                best_total, best_key = total, key
    return best_total, tuple(order[i] for i in best_key if i < len(order))


@PROPERTY_SETTINGS
@given(knapsacks())
def test_the_capacity_choice_is_the_brute_force_optimum(case):
    scores, efforts, capacity, select, order = case
    choice = choose(scores, efforts, capacity, select, order)
    total, expected = brute_force(scores, efforts, capacity, select, order)
    assert choice.selected == expected
    assert choice.total_score == total
    assert choice.total_effort <= capacity and len(choice.selected) <= select
    assert choice.capacity_decided == (set(choice.selected) != set(order[:select]))
    # the front: every point is the best any set of at most `select` does within its effort, and it rises
    for point in choice.front:
        best, _ = brute_force(scores, efforts, point.effort, select, order)
        assert point.score == best
        assert point.feasible == (point.effort <= capacity)
    assert all(b.effort > a.effort and b.score > a.score for a, b in itertools.pairwise(choice.front))


@st.composite
def rounds(draw) -> dict:
    alternatives = [f"alt-{i}" for i in range(draw(st.integers(2, 5)))]
    criteria = [
        {
            "id": f"c{j}",
            "weight": draw(st.integers(1, 4)),
            "direction": draw(st.sampled_from(["benefit", "cost"])),
            "scale": [0, 4],
        }
        for j in range(draw(st.integers(1, 3)))
    ]
    ballots = []
    for v in range(draw(st.integers(1, 4))):
        scores = {}
        for a in alternatives:
            cells = {c["id"]: draw(st.integers(0, 4)) for c in criteria if draw(st.integers(0, 5)) > 0}
            if cells:
                scores[a] = cells
        ballots.append({"voter": f"city-{v}", "scores": scores})
    return {
        "alternatives": alternatives,
        "criteria": criteria,
        "ballots": ballots,
        "method": draw(st.sampled_from(["wsm", "topsis", "borda"])),
        "select": draw(st.integers(1, 3)),
        "sensitivity": {"samples": 20, "seed": 1},
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(rounds())
def test_version_2_ranks_like_version_1_and_delphi_with_the_same_pass_twice_changes_nothing(doc):
    one = run(doc)
    two = run({**doc, "version": 2})
    assert (two["selected"], two["ranking"], two["ties"]) == (one["selected"], one["ranking"], one["ties"])
    twice = run({**doc, "version": 2, "ballots": None, "passes": [doc["ballots"], doc["ballots"]]})
    for key in ("selected", "ranking", "ties", "consensus", "sensitivity", "weight_intervals"):
        assert twice[key] == two[key], key
    assert twice["delphi"]["narrowing"] in (0.0, None)
    assert twice["delphi"]["first"] == twice["delphi"]["second"]
