"""The score-based methods: normalisations, the weighted sum (WSM) and TOPSIS, vectorised over many
weight vectors at once.

Every function takes a decision matrix ``R`` (alternatives × criteria, already oriented so that higher
is better, see :func:`normalise`) and a stack of weight vectors ``W`` (samples × criteria, each row
summing to 1), and returns ``samples × alternatives`` scores. Ranking one weight vector is the special
case of a stack of one, so the main ranking and the sensitivity analysis run the very same code.
"""

from __future__ import annotations

import numpy as np

from pilots.ranking.aggregate import BoolArray, FloatArray


def normalise(values: FloatArray, kind: str, cost: BoolArray) -> FloatArray:
    """Normalise the columns of a raw decision matrix by the data themselves (``minmax`` or ``vector``).

    ``minmax``: ``(x - min) / (max - min)`` over the alternatives ranked, ``(max - x) / (max - min)`` for
    cost criteria; a column where every alternative has the same value gives 1 everywhere (it cannot
    separate them). ``vector``: ``x / sqrt(sum x²)``, and ``1 - x / sqrt(sum x²)`` for cost criteria (the
    convention of pymcdm, which keeps 1 as best); an all-zero column gives 1. The ``scale`` normalisation
    (declared scales) is done in :func:`pilots.ranking.aggregate.aggregate`.
    """
    if values.shape[0] == 0:  # no alternative reached the quorum: nothing to normalise (min/max have no identity)
        return values
    if kind == "minmax":
        low = values.min(axis=0)
        high = values.max(axis=0)
        span = high - low
        flat = span == 0
        safe = np.where(flat, 1.0, span)
        scaled = np.where(cost, (high - values) / safe, (values - low) / safe)
        return np.where(flat, 1.0, scaled)
    if kind == "vector":
        norm = np.sqrt((values**2).sum(axis=0))
        flat = norm == 0
        scaled = values / np.where(flat, 1.0, norm)
        return np.where(flat, 1.0, np.where(cost, 1.0 - scaled, scaled))
    raise ValueError(f"unknown data normalisation {kind!r}")  # pragma: no cover - guarded by Options


def wsm_scores(matrix: FloatArray, weights: FloatArray) -> FloatArray:
    """Weighted sum: ``score[s, a] = sum_c W[s, c] * R[a, c]`` — one matrix product for all samples."""
    return weights @ matrix.T


def topsis_scores(matrix: FloatArray, weights: FloatArray) -> FloatArray:
    """TOPSIS closeness coefficient ``D- / (D+ + D-)`` for every sample and alternative.

    With the weighted matrix ``v = w * r``, the ideal is the column maximum of ``v`` and the anti-ideal
    its minimum. Because every weight is >= 0, ``max_a w r = w max_a r``, so the squared distances are
    ``D+² = sum_c w_c² (r_ac - max r_c)²`` (likewise ``D-`` with the minimum): two matrix products for all
    samples at once. When an alternative is at distance 0 from both (all alternatives identical) its
    closeness is 0.5.
    """
    squared = weights**2
    to_best = np.sqrt(squared @ ((matrix - matrix.max(axis=0)) ** 2).T)
    to_worst = np.sqrt(squared @ ((matrix - matrix.min(axis=0)) ** 2).T)
    total = to_best + to_worst
    return np.divide(to_worst, total, out=np.full(total.shape, 0.5), where=total > 0)
