"""Reference cases from the literature: TOPSIS, AHP and Schulze give the published numbers."""

from __future__ import annotations

import numpy as np
import pytest

from pilots.ranking import Ballot, Criterion, Options, Problem, ahp, normalise, rank, topsis_scores
from pilots.ranking.social import pairwise, strongest_paths

# --- TOPSIS ---------------------------------------------------------------------------------------------
# J. Papathanasiou & N. Ploskas, "TOPSIS", in Multiple Criteria Decision Aid: Methods, Examples and Python
# Implementations, Springer Optimization and Its Applications 136 (2018), pp. 1-30: six alternatives, four
# benefit criteria, vector normalisation; the published closeness coefficients to three decimals.
PAPATHANASIOU_MATRIX = [[8, 7, 2, 1], [5, 3, 7, 5], [7, 5, 6, 4], [9, 9, 7, 3], [11, 10, 3, 7], [6, 9, 5, 4]]
PAPATHANASIOU_WEIGHTS = [0.4, 0.3, 0.1, 0.2]
PAPATHANASIOU_CLOSENESS = [0.387, 0.327, 0.391, 0.615, 0.868, 0.493]


def single_voter_problem(matrix, weights, directions, scale=(0.0, 100.0)) -> Problem:
    criteria = tuple(
        Criterion(id=f"c{j}", weight=w, direction=d, scale=scale)
        for j, (w, d) in enumerate(zip(weights, directions, strict=True))
    )
    alternatives = tuple(f"a{i}" for i in range(len(matrix)))
    scores = {a: {f"c{j}": float(v) for j, v in enumerate(row)} for a, row in zip(alternatives, matrix, strict=True)}
    return Problem(alternatives=alternatives, criteria=criteria, ballots=(Ballot("only", scores),))


def test_topsis_closeness_matches_papathanasiou_and_ploskas():
    matrix = np.array(PAPATHANASIOU_MATRIX, dtype=float)
    normalised = normalise(matrix, "vector", np.zeros(4, dtype=bool))
    closeness = topsis_scores(normalised, np.array([PAPATHANASIOU_WEIGHTS]))[0]
    assert np.round(closeness, 3).tolist() == PAPATHANASIOU_CLOSENESS


def test_topsis_through_the_engine_gives_the_published_ranking():
    problem = single_voter_problem(PAPATHANASIOU_MATRIX, PAPATHANASIOU_WEIGHTS, ["benefit"] * 4)
    result = rank(problem, Options(method="topsis", normalization="vector", select=2, sensitivity=None))
    scores = {r.alternative: round(r.score, 3) for r in result.ranking}
    assert scores == {f"a{i}": c for i, c in enumerate(PAPATHANASIOU_CLOSENESS)}
    assert [r.alternative for r in result.ranking] == ["a4", "a3", "a5", "a2", "a0", "a1"]
    assert result.selected == ("a4", "a3")


def test_topsis_with_a_cost_criterion_matches_the_pymcdm_documentation_example():
    """pymcdm's documented example (TOPSIS, min-max): cost criterion [1, 2, 5], benefit [3000, 3750, 4500]."""
    problem = single_voter_problem([[1, 3000], [2, 3750], [5, 4500]], [0.5, 0.5], ["cost", "benefit"], scale=(0.0, 5000.0))
    result = rank(problem, Options(method="topsis", normalization="minmax", sensitivity=None))
    assert {r.alternative: round(r.score, 3) for r in result.ranking} == {"a0": 0.5, "a1": 0.617, "a2": 0.5}


# --- AHP ------------------------------------------------------------------------------------------------
# T. L. Saaty, "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1:1 (2008)
# 83-98: relative consumption of drinks in the US. Published eigenvector (3 decimals) and C.R. = 0.022.
DRINKS = ["coffee", "wine", "tea", "beer", "soda", "milk", "water"]
DRINK_JUDGEMENTS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2, ("coffee", "soda"): 1, ("coffee", "milk"): 1,
    ("coffee", "water"): 1 / 2, ("wine", "tea"): 1 / 3, ("wine", "beer"): 1 / 9, ("wine", "soda"): 1 / 9, ("wine", "milk"): 1 / 9,
    ("wine", "water"): 1 / 9, ("tea", "beer"): 1 / 3, ("tea", "soda"): 1 / 4, ("tea", "milk"): 1 / 3, ("tea", "water"): 1 / 9,
    ("beer", "soda"): 1 / 2, ("beer", "milk"): 1, ("beer", "water"): 1 / 3, ("soda", "milk"): 2, ("soda", "water"): 1 / 2,
    ("milk", "water"): 1 / 3,
}  # fmt: skip
DRINK_WEIGHTS = {"coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116, "soda": 0.190, "milk": 0.129, "water": 0.327}


def drinks_matrix() -> np.ndarray:
    matrix = np.ones((len(DRINKS), len(DRINKS)))
    for (row, column), value in DRINK_JUDGEMENTS.items():
        i, j = DRINKS.index(row), DRINKS.index(column)
        matrix[i, j], matrix[j, i] = value, 1 / value
    return matrix


def test_ahp_matches_saatys_drinks_example():
    result = ahp(drinks_matrix())
    assert dict(zip(DRINKS, np.round(result.weights, 3).tolist(), strict=True)) == DRINK_WEIGHTS
    assert result.ri == 1.32
    assert round(result.cr, 3) == 0.022
    assert result.ci == pytest.approx((result.lambda_max - 7) / 6)
    assert not result.inconsistent


def test_ahp_three_by_three_textbook_matrix():
    """[[1, 3, 5], [1/3, 1, 3], [1/5, 1/3, 1]]: weights 0.637/0.258/0.105, lambda_max 3.039, CR 0.033."""
    result = ahp([[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]])
    assert np.round(result.weights, 3).tolist() == [0.637, 0.258, 0.105]
    assert round(result.lambda_max, 3) == 3.039
    assert round(result.cr, 3) == 0.033


def test_a_consistent_matrix_gives_its_weights_back_with_cr_zero():
    weights = np.array([0.5, 0.25, 0.125, 0.125])
    result = ahp(weights[:, None] / weights[None, :])
    np.testing.assert_allclose(result.weights, weights, atol=1e-12)
    assert result.lambda_max == pytest.approx(4)
    assert abs(result.cr) < 1e-12


def test_an_inconsistent_matrix_is_flagged():
    # a > b (9), b > c (9), yet c > a (9): a cycle, as inconsistent as judgements get.
    result = ahp([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
    assert result.cr > 0.10
    assert result.inconsistent


# --- Schulze --------------------------------------------------------------------------------------------
# The example of the Wikipedia article "Schulze method": 45 voters, five candidates.
WIKIPEDIA_BALLOTS = [
    (5, "ACBED"),
    (5, "ADECB"),
    (8, "BEDAC"),
    (3, "CABED"),
    (7, "CAEBD"),
    (2, "CBADE"),
    (7, "DCEBA"),
    (8, "EBADC"),
]
WIKIPEDIA_PAIRWISE = [
    [0, 20, 26, 30, 22],
    [25, 0, 16, 33, 18],
    [19, 29, 0, 17, 24],
    [15, 12, 28, 0, 14],
    [23, 27, 21, 31, 0],
]
WIKIPEDIA_PATHS = [
    [0, 28, 28, 30, 24],
    [25, 0, 28, 33, 24],
    [25, 29, 0, 29, 24],
    [25, 28, 28, 0, 24],
    [25, 28, 28, 31, 0],
]


def wikipedia_problem() -> Problem:
    ballots = []
    for count, order in WIKIPEDIA_BALLOTS:
        for _ in range(count):
            scores = {candidate: {"preference": float(5 - position)} for position, candidate in enumerate(order)}
            ballots.append(Ballot(f"voter{len(ballots) + 1:02d}", scores))
    return Problem(
        alternatives=tuple("ABCDE"),
        criteria=(Criterion("preference", 1, "benefit", (1, 5)),),
        ballots=tuple(ballots),
    )


def test_schulze_pairwise_and_strongest_paths_match_wikipedia():
    problem = wikipedia_problem()
    individual = np.array([[[ballot.scores[c]["preference"]] for c in "ABCDE"] for ballot in problem.ballots])
    wins, ties = pairwise(individual[np.newaxis, :, :, 0], np.ones((45, 5), dtype=bool))
    assert wins[0].tolist() == WIKIPEDIA_PAIRWISE
    assert not ties.any()
    assert strongest_paths(wins)[0].tolist() == WIKIPEDIA_PATHS


def test_schulze_through_the_engine_ranks_e_a_c_b_d():
    result = rank(wikipedia_problem(), Options(method="schulze", sensitivity=None))
    assert [r.alternative for r in result.ranking] == ["E", "A", "C", "B", "D"]
    assert [r.score for r in result.ranking] == [4, 3, 2, 1, 0]
    assert result.selected == ("E",)
    assert result.ties == ()
    assert result.pairwise is not None and result.pairwise.tolist() == WIKIPEDIA_PAIRWISE
    assert result.strongest_paths is not None and result.strongest_paths.tolist() == WIKIPEDIA_PATHS
