"""The fast scoring functions (pilots.ranking.methods) agree with straightforward reference code.

The references below are the plain formulas, column by column and sample by sample, with no attention
to speed. Matrices are seeded random ones of many shapes, with flat and all-zero columns, integer scores
(ties) and C- and Fortran-ordered inputs; weights come in stacks of one or many vectors.
"""

from __future__ import annotations

import numpy as np
import pytest

from pilots.ranking import normalise, topsis_scores, wsm_scores

RTOL = 1e-12
SEEDS = range(40)


def reference_normalise(values: np.ndarray, kind: str, cost: np.ndarray) -> np.ndarray:
    result = np.empty_like(values, dtype=float)
    for j in range(values.shape[1]):
        x = values[:, j].astype(float)
        if kind == "minmax":
            low, high = x.min(), x.max()
            result[:, j] = 1.0 if high == low else ((high - x) if cost[j] else (x - low)) / (high - low)
        else:
            norm = np.sqrt(np.sum(x * x))
            result[:, j] = 1.0 if norm == 0 else (1.0 - x / norm if cost[j] else x / norm)
    return result


def reference_wsm(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return np.array([[float(np.sum(w * row)) for row in matrix] for w in weights]).reshape(len(weights), len(matrix))


def reference_topsis(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
    out = np.empty((len(weights), len(matrix)))
    for s, w in enumerate(weights):
        weighted = matrix * w
        ideal, anti = weighted.max(axis=0), weighted.min(axis=0)
        for a, row in enumerate(weighted):
            plus, minus = np.sqrt(np.sum((row - ideal) ** 2)), np.sqrt(np.sum((row - anti) ** 2))
            out[s, a] = 0.5 if plus + minus == 0 else minus / (plus + minus)
    return out


def random_problem(seed: int):
    rng = np.random.default_rng(seed)
    alternatives, criteria = int(rng.integers(1, 60)), int(rng.integers(1, 10))
    kind = seed % 3
    if kind == 0:
        values = rng.uniform(1.0, 100.0, size=(alternatives, criteria))
    elif kind == 1:
        values = rng.integers(0, 11, size=(alternatives, criteria)).astype(float)
    else:
        values = rng.uniform(0.0, 1.0, size=(alternatives, criteria))
        values[:, rng.random(criteria) < 0.3] = rng.choice([0.0, 0.5])  # flat and all-zero columns
    if seed % 4 == 3:
        values = np.asfortranarray(values)
    cost = rng.random(criteria) < 0.4
    samples = int(rng.choice([1, 2, 5, 200]))
    weights = rng.exponential(size=(samples, criteria))
    return values, cost, weights / weights.sum(axis=1, keepdims=True)


def assert_close(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=1e-15)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["minmax", "vector"])
def test_normalise_agrees_with_the_column_by_column_formula(kind, seed):
    values, cost, _ = random_problem(seed)
    assert_close(normalise(values, kind, cost), reference_normalise(values, kind, cost))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["minmax", "vector", None])
def test_wsm_and_topsis_agree_with_the_sample_by_sample_formulas(kind, seed):
    values, cost, weights = random_problem(seed)
    matrix = values if kind is None else normalise(values, kind, cost)  # None: an already normalised matrix
    assert_close(wsm_scores(matrix, weights), reference_wsm(matrix, weights))
    assert_close(topsis_scores(matrix, weights), reference_topsis(matrix, weights))


def test_a_stack_scores_each_weight_vector_as_it_would_alone():
    values, cost, weights = random_problem(5)
    matrix = normalise(values, "vector", cost)
    stacked = topsis_scores(matrix, weights)
    for s, w in enumerate(weights):
        assert_close(stacked[s], topsis_scores(matrix, w[np.newaxis, :])[0])
        assert_close(wsm_scores(matrix, weights)[s], wsm_scores(matrix, w[np.newaxis, :])[0])


def test_identical_alternatives_are_half_way_and_the_input_is_left_alone():
    matrix = np.full((4, 3), 0.25)
    kept = matrix.copy()
    assert topsis_scores(matrix, np.array([[0.2, 0.3, 0.5]])).tolist() == [[0.5] * 4]
    assert np.array_equal(matrix, kept)
    assert topsis_scores(matrix, np.empty((0, 3))).shape == (0, 4)


def test_an_empty_matrix_normalises_to_itself():
    empty = np.empty((0, 3))
    assert normalise(empty, "vector", np.zeros(3, dtype=bool)) is empty
