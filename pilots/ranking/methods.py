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

# The ufuncs, bound once: on a 200 × 8 matrix a call costs about 1 µs, so lookups and keywords count.
_absolute, _add, _divide, _einsum = np.absolute, np.add, np.divide, np.einsum
_max, _min, _subtract, _square, _sqrt, _where = np.maximum.reduce, np.minimum.reduce, np.subtract, np.square, np.sqrt, np.where


def normalise(values: FloatArray, kind: str, cost: BoolArray) -> FloatArray:
    """Normalise the columns of a raw decision matrix by the data themselves (``minmax`` or ``vector``).

    ``minmax``: ``(x - min) / (max - min)`` over the alternatives ranked, ``(max - x) / (max - min)`` for
    cost criteria; a column where every alternative has the same value gives 1 everywhere (it cannot
    separate them). ``vector``: ``x / sqrt(sum x²)``, and ``1 - x / sqrt(sum x²)`` for cost criteria (the
    convention of pymcdm, which keeps 1 as best); an all-zero column gives 1. The ``scale`` normalisation
    (declared scales) is done in :func:`pilots.ranking.aggregate.aggregate`.

    Written for speed on small matrices, bit for bit what the plain formulas give: the column minima and
    maxima come from a transposed copy (contiguous rows reduce several times faster than strided columns),
    ``|x - min|`` is exactly ``x - min`` and ``|x - max|`` exactly ``max - x`` (one subtraction serves both
    kinds of criteria), the squares are summed row by row as ``(x**2).sum(axis=0)`` does, and flat columns
    are patched only when there are some.
    """
    if values.shape[0] == 0:  # no alternative reached the quorum: nothing to normalise (min/max have no identity)
        return values
    if kind == "minmax":
        columns = values.T.copy()
        low = _min(columns, 1)
        high = _max(columns, 1)
        span = _subtract(high, low)
        scaled = _subtract(values, _where(cost, high, low))
        _absolute(scaled, scaled)
        if _min(span) > 0:  # no flat column (and no NaN)
            return _divide(scaled, span, scaled)
        flat = span == 0
        _divide(scaled, _where(flat, 1.0, span), scaled)
        scaled[:, flat] = 1.0
        return scaled
    if kind == "vector":
        norm = _column_sums_of_squares(values)
        _sqrt(norm, norm)
        separated = _min(norm) > 0  # no all-zero column (and no NaN)
        scaled = _divide(values, norm if separated else _where(norm == 0, 1.0, norm))
        for j, is_cost in enumerate(np.asarray(cost, dtype=bool).tolist()):
            if is_cost:
                column = scaled[:, j]
                _subtract(1.0, column, column)
        if not separated:
            scaled[:, norm == 0] = 1.0
        return scaled
    raise ValueError(f"unknown data normalisation {kind!r}")  # pragma: no cover - guarded by Options


def _column_sums_of_squares(values: FloatArray) -> FloatArray:
    """``(values**2).sum(axis=0)``, summed in the same order (row after row), without the temporary.

    For a C-contiguous matrix of two columns or more einsum accumulates ``x²`` row after row as the
    reduction over axis 0 does; for a single column (or another layout) it may pair the terms otherwise,
    so there the plain reduction is kept.
    """
    if values.shape[1] > 1 and values.flags.c_contiguous:
        return _einsum("ij,ij->j", values, values)
    return np.add.reduce(_square(values), axis=0)


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

    The squared gaps to both ideals share one buffer, squared in one call, and the sums are done in place.
    Each product keeps the shape ``W² @ gap.T`` of one C-ordered gap matrix: BLAS may add in another order
    for another layout or for both gaps in one product (it does, measured), and the scores are meant to
    stay bit for bit the same.
    """
    squared = _square(weights)
    columns = matrix.T.copy()  # contiguous rows: the column maxima and minima reduce much faster
    gap = np.empty((2, *matrix.shape))
    best, worst = gap
    _subtract(matrix, _max(columns, 1), best)
    _subtract(matrix, _min(columns, 1), worst)
    _square(gap, gap)
    to_best = squared @ best.T
    to_worst = squared @ worst.T
    _sqrt(to_best, to_best)
    _sqrt(to_worst, to_worst)
    total = _add(to_best, to_worst, to_best)
    if total.size and _min(total, None) > 0:  # the usual case: no 0 / 0 (and no NaN)
        return _divide(to_worst, total, total)
    return _divide(to_worst, total, out=np.full(total.shape, 0.5), where=total > 0)
