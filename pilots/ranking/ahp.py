"""AHP: criteria weights from pairwise comparisons, with Saaty's consistency check.

A pairwise comparison matrix says, for each pair of criteria (i, j), how many times more important i is
than j on Saaty's 1–9 scale (``a[i, j]``), with ``a[j, i] = 1 / a[i, j]`` and ones on the diagonal. The
weights are the principal (Perron) eigenvector of the matrix, scaled to sum 1, and its eigenvalue
``lambda_max`` measures how consistent the judgements are: a perfectly consistent matrix
(``a[i, k] = a[i, j] a[j, k]``) has ``lambda_max = n``. Saaty's consistency index is
``CI = (lambda_max - n) / (n - 1)`` and the consistency ratio ``CR = CI / RI``, where RI is the average
CI of random reciprocal matrices of the same size. A CR above 0.10 means the judgements should be
revisited.

RI table (n = 1..10), from T. L. Saaty, *The Analytic Hierarchy Process*, McGraw-Hill, 1980, as
reprinted in T. L. Saaty, "How to make a decision: the analytic hierarchy process", *European Journal of
Operational Research* 48 (1990) 9–26: 0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49.
For n = 1 and 2 every reciprocal matrix is consistent, RI is 0 and CR is reported as 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pilots.ranking.aggregate import FloatArray
from pilots.ranking.errors import RankingInputError

RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45, 10: 1.49}
CR_THRESHOLD = 0.10
#: Judgements must lie on Saaty's scale, 1/9 .. 9 (with this relative slack for rounded fractions).
SAATY_MIN, SAATY_MAX = 1 / 9, 9.0


@dataclass(frozen=True)
class AHPResult:
    """Weights (sum 1), ``lambda_max``, ``ci``, ``ri``, ``cr`` and ``inconsistent`` (CR > 0.10)."""

    weights: FloatArray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    inconsistent: bool


def ahp(matrix: Sequence[Sequence[float]] | FloatArray, tolerance: float = 0.05) -> AHPResult:
    """Weights and consistency of a reciprocal pairwise comparison matrix.

    Checks that the matrix is square (n = 1..10), finite and positive, on Saaty's scale (1/9..9), with
    ones on the diagonal and ``a[i, j] * a[j, i] = 1`` within ``tolerance`` (relative), so that judgements
    typed with two decimals (0.33 for 1/3, 0.13 for 1/8) are accepted; anything else raises :class:`RankingInputError`.
    """
    try:
        a = np.array(matrix, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise RankingInputError(f"AHP: the matrix must be a square table of numbers ({error})") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise RankingInputError(f"AHP: the matrix must be square and non-empty, got shape {a.shape}")
    n = a.shape[0]
    if n not in RANDOM_INDEX:
        raise RankingInputError(f"AHP: the random index table covers 1 to {max(RANDOM_INDEX)} criteria, got {n}")
    if not np.isfinite(a).all():
        raise RankingInputError("AHP: every judgement must be a finite number")
    if (a <= 0).any():
        i, j = np.argwhere(a <= 0)[0]
        raise RankingInputError(f"AHP: judgements must be positive, a[{i}][{j}] = {a[i, j]!r}")
    outside = (a < SAATY_MIN * (1 - tolerance)) | (a > SAATY_MAX * (1 + tolerance))
    if outside.any():
        i, j = np.argwhere(outside)[0]
        raise RankingInputError(f"AHP: judgements must lie on Saaty's scale 1/9..9, a[{i}][{j}] = {a[i, j]!r}")
    if not np.allclose(np.diag(a), 1.0, rtol=0, atol=tolerance):
        raise RankingInputError("AHP: the diagonal must be 1 (each criterion is as important as itself)")
    product = a * a.T
    broken = np.abs(product - 1.0) > tolerance
    if broken.any():
        i, j = np.argwhere(broken)[0]
        raise RankingInputError(
            f"AHP: the matrix is not reciprocal: a[{i}][{j}] * a[{j}][{i}] = {product[i, j]:.6g}, expected 1 (±{tolerance})"
        )
    values, vectors = np.linalg.eig(a)
    principal = int(np.argmax(values.real))
    lambda_max = float(values[principal].real)
    vector = np.abs(vectors[:, principal].real)
    weights = vector / vector.sum()
    # lambda_max >= n for every positive reciprocal matrix (Perron-Frobenius): below it is rounding (a consistent
    # matrix gives n - 1e-15 with some BLAS builds), which must not show as a negative ratio ("-0.00").
    ci = max(0.0, (lambda_max - n) / (n - 1)) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri > 0 else 0.0
    return AHPResult(weights=weights, lambda_max=lambda_max, ci=ci, ri=ri, cr=cr, inconsistent=cr > CR_THRESHOLD)


@dataclass(frozen=True)
class Inconsistency:
    """A judgement ``a[i, j]`` (i < j) set against the ratio ``w[i] / w[j]`` of the derived weights.

    ``deviation`` is ``|log(a[i, j] / (w[i] / w[j]))|``: 0 when the judgement agrees with the weights, log 9 (2.2)
    when it is nine times off in either direction, so that "3 where the weights imply 1/3" and "1/3 where they imply 3"
    weigh the same."""

    i: int
    j: int
    judgement: float
    implied: float
    deviation: float


def inconsistent_judgements(
    matrix: Sequence[Sequence[float]] | FloatArray, weights: Sequence[float] | FloatArray | None = None, top: int = 3
) -> list[Inconsistency]:
    """The ``top`` judgements of the upper triangle that deviate most from the ratio of the weights (log scale),
    largest deviation first, ties in the order of the matrix. Judgements that agree with the weights (deviation
    below 1e-9) are left out, so a consistent matrix gives an empty list. ``weights`` default to those of :func:`ahp`.
    """
    a = np.asarray(matrix, dtype=np.float64)
    w = ahp(a).weights if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (a.shape[0],) or (w <= 0).any() or not np.isfinite(w).all():
        raise RankingInputError("AHP: one positive weight per criterion is needed to compare the judgements with")
    found = []
    n = a.shape[0]
    for i in range(n):
        for j in range(i + 1, n):
            implied = float(w[i] / w[j])
            deviation = abs(float(np.log(a[i, j] / implied)))
            if deviation > 1e-9:
                found.append(Inconsistency(i=i, j=j, judgement=float(a[i, j]), implied=implied, deviation=deviation))
    found.sort(key=lambda item: (-round(item.deviation, 9), item.i, item.j))  # rounding: ties stay in order
    return found[: max(0, top)]
