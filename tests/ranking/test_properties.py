"""Hypothesis properties: invariances the ranking must have whatever the data."""

from __future__ import annotations

import itertools
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pilots.ranking import METHODS, Ballot, Criterion, Options, Problem, SensitivityOptions, ahp, rank

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
IDS = st.text(alphabet="abcdefgh-é", min_size=1, max_size=4)


@st.composite
def problems(draw, full: bool = False) -> Problem:
    """Small problems with small integer scores (so that ties are common) and, unless ``full``, gaps."""
    alternatives = draw(st.lists(IDS, min_size=2, max_size=6, unique=True))
    criteria = tuple(
        Criterion(
            id=f"c{j}",
            weight=draw(st.integers(1, 5)),
            direction=draw(st.sampled_from(["benefit", "cost"])),
            scale=draw(st.sampled_from([(0, 5), (-2, 3), (1, 10)])),
        )
        for j in range(draw(st.integers(1, 4)))
    )
    ballots = []
    for v in range(draw(st.integers(1, 5))):
        scores: dict[str, dict[str, float]] = {}
        for alternative in alternatives:
            cells = {
                c.id: float(draw(st.integers(int(c.scale[0]), int(c.scale[1]))))
                for c in criteria
                if full or draw(st.integers(0, 4)) > 0
            }
            if cells:
                scores[alternative] = cells
        ballots.append(Ballot(f"city{v}", scores))
    return Problem(tuple(alternatives), criteria, tuple(ballots))


def options(method: str, select: int = 2, samples: int = 0) -> Options:
    return Options(method=method, select=select, sensitivity=SensitivityOptions(samples=samples, seed=3) if samples else None)


def order(problem: Problem, opts: Options) -> list[str]:
    return [r.alternative for r in rank(problem, opts).ranking]


@PROPERTY_SETTINGS
@given(problems(full=True), st.data())
def test_a_dominated_alternative_changes_no_other_relative_order_under_wsm(problem, data):
    """Add an alternative that every voter scores worse than or equal to every other, on every criterion."""
    newcomer = data.draw(IDS.filter(lambda i: i not in problem.alternatives), label="newcomer")
    ballots = []
    for ballot in problem.ballots:
        worst: dict[str, float] = {}
        for c in problem.criteria:
            values = [ballot.scores[a][c.id] for a in problem.alternatives]
            bound = max(values) if c.direction == "cost" else min(values)
            extra = data.draw(st.integers(0, 2), label="worse by")
            worst[c.id] = min(bound + extra, c.scale[1]) if c.direction == "cost" else max(bound - extra, c.scale[0])
        ballots.append(Ballot(ballot.voter, {**ballot.scores, newcomer: worst}))
    bigger = Problem((*problem.alternatives, newcomer), problem.criteria, tuple(ballots))
    before = order(problem, options("wsm"))
    after = [a for a in order(bigger, options("wsm")) if a != newcomer]
    assert after == before


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_permuting_voters_changes_nothing(problem, method, rng):
    ballots = list(problem.ballots)
    rng.shuffle(ballots)
    shuffled = Problem(problem.alternatives, problem.criteria, tuple(ballots))
    opts = options(method, samples=40)
    assert rank(shuffled, opts).to_dict() == rank(problem, opts).to_dict()


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from(METHODS), st.floats(min_value=1e-3, max_value=1e3))
def test_scaling_all_weights_changes_nothing(problem, method, factor):
    scaled = Problem(
        problem.alternatives,
        tuple(Criterion(c.id, c.weight * factor, c.direction, c.scale) for c in problem.criteria),
        problem.ballots,
    )
    before, after = rank(problem, options(method)), rank(scaled, options(method))
    assert [r.alternative for r in after.ranking] == [r.alternative for r in before.ranking]
    assert after.selected == before.selected
    for old, new in zip(before.ranking, after.ranking, strict=True):
        assert abs(old.score - new.score) <= 1e-9 * max(1.0, abs(old.score))


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from(METHODS), st.randoms(use_true_random=False))
def test_ties_resolve_the_same_whatever_the_input_order(problem, method, rng: random.Random):
    """Shuffle the alternatives, the criteria, the ballots and each ballot's keys: the same result."""
    alternatives, criteria = list(problem.alternatives), list(problem.criteria)
    rng.shuffle(alternatives)
    rng.shuffle(criteria)
    ballots = []
    for ballot in problem.ballots:
        items = list(ballot.scores.items())
        rng.shuffle(items)
        ballots.append(Ballot(ballot.voter, {a: dict(sorted(cells.items(), key=lambda _: rng.random())) for a, cells in items}))
    rng.shuffle(ballots)
    shuffled = Problem(tuple(alternatives), tuple(criteria), tuple(ballots))
    opts = options(method, select=1, samples=40)
    assert rank(shuffled, opts).to_dict() == rank(problem, opts).to_dict()


@PROPERTY_SETTINGS
@given(problems(), st.sampled_from(METHODS), st.integers(1, 4), st.integers(1, 3))
def test_the_ranking_is_a_strict_order_and_the_selection_its_head(problem, method, select, quorum):
    result = rank(problem, Options(method=method, select=select, quorum=quorum, sensitivity=None))
    assert [r.rank for r in result.ranking] == list(range(1, len(result.ranking) + 1))
    assert result.selected == tuple(r.alternative for r in result.ranking[:select])
    ranked = {r.alternative for r in result.ranking}
    assert ranked.isdisjoint(a for a, _ in result.ineligible)
    assert ranked | {a for a, _ in result.ineligible} == set(problem.alternatives)
    assert all(r.voters >= quorum for r in result.ranking)
    scores = [r.score for r in result.ranking]
    assert all(a >= b - 1e-9 * max(1.0, abs(a)) for a, b in itertools.pairwise(scores))
    for interval in result.weight_intervals.values():
        assert 0.0 <= interval.low <= interval.weight <= interval.high <= 1.0


@PROPERTY_SETTINGS
@given(st.lists(st.floats(min_value=1, max_value=9), min_size=3, max_size=9))  # ratios on Saaty's scale
def test_a_consistent_matrix_never_has_a_negative_consistency_ratio(raw):
    """lambda_max >= n for a positive reciprocal matrix: a consistent one (a[i,j] = w_i / w_j) has CR exactly 0
    whatever the rounding of the eigenvalue solver (the round page once read "consistency ratio -0.00")."""
    weights = np.array(raw)
    result = ahp(weights[:, None] / weights[None, :])
    assert result.ci >= 0 and result.cr >= 0 and result.cr < 1e-9
    assert f"{result.cr:.2f}" == "0.00"
