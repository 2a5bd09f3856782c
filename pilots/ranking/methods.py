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

    Both are written for speed on small matrices (a few µs per numpy call is most of the cost), and give
    bit for bit what the plain formulas give: the column minima and maxima come from a transposed copy
    (contiguous rows reduce several times faster than strided columns), ``|x - min|`` equals ``x - min``
    and ``|x - max|`` equals ``max - x`` exactly (so one subtraction serves both kinds of criteria), and
    the flat columns are patched only when there are some.
    """
    if values.shape[0] == 0:  # no alternative reached the quorum: nothing to normalise (min/max have no identity)
        return values
    if kind == "minmax":
        columns = values.T.copy()
        low = np.minimum.reduce(columns, axis=1)
        high = np.maximum.reduce(columns, axis=1)
        span = np.subtract(high, low)
        scaled = np.subtract(values, np.where(cost, high, low))
        np.abs(scaled, out=scaled)
        if np.minimum.reduce(span) > 0:  # no flat column (and no NaN)
            return np.divide(scaled, span, out=scaled)
        flat = span == 0
        np.divide(scaled, np.where(flat, 1.0, span), out=scaled)
        scaled[:, flat] = 1.0
        return scaled
    if kind == "vector":
        norm = _column_sums_of_squares(values)
        np.sqrt(norm, out=norm)
        separated = bool(np.minimum.reduce(norm) > 0)  # no all-zero column (and no NaN)
        scaled = np.divide(values, norm if separated else np.where(norm == 0, 1.0, norm))
        for j, is_cost in enumerate(np.asarray(cost, dtype=bool).tolist()):
            if is_cost:
                column = scaled[:, j]
                np.subtract(1.0, column, out=column)
        if not separated:
            scaled[:, norm == 0] = 1.0
        return scaled
    raise ValueError(f"unknown data normalisation {kind!r}")  # pragma: no cover - guarded by Options


def _column_sums_of_squares(values: FloatArray) -> FloatArray:
    """``(values**2).sum(axis=0)``, summed in the same (row by row) order, without the temporary.

    For a C-contiguous matrix of two columns or more einsum adds ``x²`` row after row like the reduction
    over axis 0 does; for a single column (or another layout) it may pair the terms differently, so there
    the plain reduction is kept.
    """
    if values.ndim == 2 and values.shape[1] > 1 and values.flags.c_contiguous:
        return np.einsum("ij,ij->j", values, values)
    return np.add.reduce(np.square(values), axis=0)


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

    The squared gaps to both ideals share one buffer and the distances another (one square root for
    both); each product keeps the shape ``W² @ gap.T`` of one C-ordered gap matrix, since BLAS may add
    in another order for another layout or a product of both gaps at once, and the results are meant to
    stay bit for bit the same.
    """
    squared = np.square(weights)
    columns = matrix.T.copy()  # contiguous rows: the column maxima and minima reduce much faster
    gap = np.empty((2, *matrix.shape))
    np.subtract(matrix, np.maximum.reduce(columns, axis=1), out=gap[0])
    np.subtract(matrix, np.minimum.reduce(columns, axis=1), out=gap[1])
    np.square(gap, out=gap)
    distance = np.empty((2, squared.shape[0], matrix.shape[0]))
    np.matmul(squared, gap[0].T, out=distance[0])
    np.matmul(squared, gap[1].T, out=distance[1])
    np.sqrt(distance, out=distance)
    to_worst = distance[1]
    total = np.add(distance[0], to_worst, out=distance[0])
    if total.size and np.minimum.reduce(total, axis=None) > 0:  # the usual case: no 0 / 0 (and no NaN)
        return np.divide(to_worst, total, out=total)
    return np.divide(to_worst, total, out=np.full(total.shape, 0.5), where=total > 0)
