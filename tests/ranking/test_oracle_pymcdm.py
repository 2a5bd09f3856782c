"""Oracle: our weighted sum and TOPSIS agree with pymcdm to 1e-9 on random decision matrices.

pymcdm (a development dependency) normalises column by column with ``f(x, cost)``: min-max is
``(x - min) / (max - min)`` (``(max - x) / ...`` for cost), vector is ``x / ||x||`` (``1 - x / ||x||`` for
cost), which are exactly our ``minmax`` and ``vector``. For ``scale`` the matrix is put on the declared
scale first and handed to pymcdm with the identity normalisation.
"""

from __future__ import annotations

import numpy as np
import pytest
from pymcdm.methods import TOPSIS, WSM
from pymcdm.normalizations import minmax_normalization, vector_normalization

from pilots.ranking import Ballot, Criterion, Options, Problem, normalise, rank, topsis_scores, wsm_scores

PYMCDM_NORMALIZATION = {"minmax": minmax_normalization, "vector": vector_normalization}
SEEDS = range(12)
# pymcdm warns when one alternative dominates all others; that is a legitimate random case here.
pytestmark = pytest.mark.filterwarnings("ignore:Alternatives with indices .* are dominant:UserWarning")


def random_case(seed: int):
    rng = np.random.default_rng(seed)
    alternatives, criteria = int(rng.integers(3, 13)), int(rng.integers(2, 7))
    matrix = rng.uniform(1.0, 100.0, size=(alternatives, criteria))
    weights = rng.uniform(0.1, 5.0, size=criteria)
    types = rng.choice([1, -1], size=criteria)
    return matrix, weights / weights.sum(), types


def ours(method: str, matrix, weights, types, normalization: str):
    normalised = normalise(matrix, normalization, types == -1)
    score = wsm_scores if method == "wsm" else topsis_scores
    return score(normalised, weights[np.newaxis, :])[0]


def theirs(method: str, matrix, weights, types, normalization):
    model = (WSM if method == "wsm" else TOPSIS)(normalization_function=normalization)
    return model(matrix, weights, types)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("normalization", ["minmax", "vector"])
@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_methods_agree_with_pymcdm(method, normalization, seed):
    matrix, weights, types = random_case(seed)
    expected = theirs(method, matrix, weights, types, PYMCDM_NORMALIZATION[normalization])
    np.testing.assert_allclose(ours(method, matrix, weights, types, normalization), expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("normalization", ["scale", "minmax", "vector"])
@pytest.mark.parametrize("method", ["wsm", "topsis"])
def test_the_engine_end_to_end_agrees_with_pymcdm(method, normalization, seed):
    """Two voters whose scores average to the matrix: the engine's aggregate scores equal pymcdm's."""
    matrix, weights, types = random_case(seed)
    low, high = 0.0, 100.0
    ids = [f"c{j}" for j in range(matrix.shape[1])]
    criteria = tuple(
        Criterion(c, float(w), "cost" if t == -1 else "benefit", (low, high))
        for c, w, t in zip(ids, weights * 7, types, strict=True)
    )
    names = [f"alt{i:02d}" for i in range(matrix.shape[0])]
    spread = np.minimum(matrix - low, high - matrix) * 0.5  # two scores whose mean is the matrix, both on the scale
    ballots = tuple(
        Ballot(voter, {a: {c: float(matrix[i, j] + sign * spread[i, j]) for j, c in enumerate(ids)} for i, a in enumerate(names)})
        for voter, sign in (("north", 1.0), ("south", -1.0))
    )
    result = rank(
        Problem(alternatives=tuple(names), criteria=criteria, ballots=ballots),
        Options(method=method, normalization=normalization, sensitivity=None),
    )
    if normalization == "scale":
        on_scale = (matrix - low) / (high - low)
        on_scale[:, types == -1] = 1 - on_scale[:, types == -1]
        expected = theirs(method, on_scale, weights, np.ones_like(types), lambda x, cost: x)
    else:
        expected = theirs(method, matrix, weights, types, PYMCDM_NORMALIZATION[normalization])
    got = {r.alternative: r.score for r in result.ranking}
    np.testing.assert_allclose([got[a] for a in names], expected, rtol=0, atol=1e-9)
