"""How sure is the selection? Rank acceptability (SMAA), and the weight intervals that keep it.

**Rank acceptability** (after SMAA, Lahdelma & Salminen): draw many weight vectors, rank the
alternatives under each with the chosen method and the tie rule, and count how often each alternative
lands at each rank and inside the selection. Two ways to draw the weights:

* ``uniform``: uniformly on the simplex (every weighting that sums to 1 is equally likely): with ``U``
  uniform in [0, 1), ``E = -log(1 - U)`` is exponential and ``E / sum(E)`` is uniform on the simplex.
* ``perturbation``: the chosen weights, each multiplied by its own uniform factor in ``[1 - p, 1 + p]``,
  then renormalised to sum 1.

The random numbers come from numpy's PCG64 generator: ``SeedSequence(seed).spawn(2)`` gives one
independent stream to each variant, and only ``Generator.random`` is used (its output for a given seed
is the most stable part of numpy's random API), so a seed reproduces the same samples.

**Weight intervals**: for each criterion, its normalised weight ``t`` is moved from 0 to 1 while the
other weights keep their proportions (each is multiplied by ``(1 - t) / (1 - w)``); the interval is the
largest ``[low, high]`` around the chosen weight in which the selected set does not change (the tie rule
applied with the shifted weights). For the weighted sum every score is a straight line in ``t``, so the
bounds are computed exactly as the nearest points where a selected and a non-selected alternative cross.
For the other methods the selection is evaluated on a grid of 100 values of ``t`` and each boundary is
refined by 30 bisection steps (to about 1e-11); a change and change back narrower than the grid step
(0.01) would not be seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pilots.ranking.aggregate import FloatArray, IntArray
from pilots.ranking.ordering import SCORE_TOLERANCE, TieRule, order_rows, positions

Scorer = Callable[[FloatArray], FloatArray]

#: Score cells (samples × alternatives) handled per chunk when counting rank acceptability.
CHUNK_CELLS = 1 << 21
GRID_POINTS = 100
GRID_OFFSET = (5**0.5 - 1) / 2
BISECTIONS = 30


def generators(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """Two independent PCG64 streams from one seed: (uniform, perturbation)."""
    uniform, perturbation = np.random.SeedSequence(seed).spawn(2)
    return np.random.Generator(np.random.PCG64(uniform)), np.random.Generator(np.random.PCG64(perturbation))


def uniform_weights(rng: np.random.Generator, samples: int, criteria: int) -> FloatArray:
    """``samples`` weight vectors uniform on the simplex (normalised exponentials)."""
    exponential = -np.log1p(-rng.random((samples, criteria)))
    return exponential / exponential.sum(axis=1, keepdims=True)


def perturbed_weights(rng: np.random.Generator, samples: int, weights: FloatArray, amount: float) -> FloatArray:
    """The chosen ``weights``, each times a uniform factor in [1 - amount, 1 + amount], renormalised."""
    factors = 1.0 + amount * (2.0 * rng.random((samples, weights.size)) - 1.0)
    varied = weights * factors
    return varied / varied.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class Acceptability:
    """``rank[a, r]``: share of the samples that put alternative ``a`` at rank ``r + 1``; ``selected[a]``:
    share that put it among the selected. Rows follow the order of the alternatives given to
    :func:`acceptability` (the engine uses id order)."""

    samples: int
    rank: FloatArray
    selected: FloatArray


def acceptability(scorer: Scorer, weights: FloatArray, rule: TieRule, select: int) -> Acceptability:
    """Rank every weight vector in ``weights`` and count ranks, chunk by chunk (matrix products, sorts)."""
    count = rule.rank.size
    samples = weights.shape[0]
    counts = np.zeros(count * count, dtype=np.int64)
    chunk = max(1, CHUNK_CELLS // max(1, count))
    offsets = (np.arange(count) * count)[np.newaxis, :]
    for start in range(0, samples, chunk):
        part = weights[start : start + chunk]
        order, _ = order_rows(scorer(part), rule, part)
        counts += np.bincount((offsets + positions(order)).ravel(), minlength=count * count)
    table = counts.reshape(count, count)
    return Acceptability(
        samples=samples,
        rank=table / samples,
        selected=table[:, :select].sum(axis=1) / samples,
    )


@dataclass(frozen=True)
class WeightInterval:
    """The normalised ``weight`` of one criterion and the ``[low, high]`` range of it (others rescaled
    proportionally) over which the selection stays the same; ``method`` is ``exact`` or ``bisection``."""

    weight: float
    low: float
    high: float
    method: str


def reweight(weights: FloatArray, criterion: int, values: FloatArray) -> FloatArray:
    """Weight vectors with criterion ``criterion`` set to each of ``values``, the others rescaled to fit."""
    rest = 1.0 - weights[criterion]
    stack = weights[np.newaxis, :] * ((1.0 - values) / rest)[:, np.newaxis]
    stack[:, criterion] = values
    return stack


def selections(scorer: Scorer, weights: FloatArray, rule: TieRule, select: int) -> IntArray:
    """The selected set (sorted indices) for each weight vector."""
    order, _ = order_rows(scorer(weights), rule, weights)
    return np.sort(order[:, :select], axis=1)


def exact_wsm_intervals(
    matrix: FloatArray, weights: FloatArray, selected: IntArray, rule: TieRule
) -> list[WeightInterval | None]:
    """Exact intervals for the weighted sum on decision matrix ``matrix`` (alternatives × criteria).

    With criterion j at weight t, alternative a scores ``alpha_a + beta_a t`` where
    ``alpha_a = sum_{k != j} w_k R_ak / (1 - w_j)`` and ``beta_a = R_aj - alpha_a``. A selected a and a
    non-selected b swap where the two lines cross; the interval runs from the last crossing below the
    chosen weight to the first one above it. When a selected and a non-selected alternative tie along the
    whole line and the criterion order could swap them (tie rule, step 3), the crossing points do not
    tell the whole story: that criterion gets None and is left to :func:`bisection_intervals`.
    """
    count, criteria = matrix.shape
    inside = np.zeros(count, dtype=bool)
    inside[selected] = True
    swappable = rule.swappable[inside][:, ~inside]
    intervals: list[WeightInterval | None] = []
    for j in range(criteria):
        weight = float(weights[j])
        if criteria == 1 or inside.all():
            low, high = (weight, weight) if criteria == 1 else (0.0, 1.0)
            intervals.append(WeightInterval(weight, low, high, "exact"))
            continue
        alpha = (matrix @ weights - matrix[:, j] * weight) / (1.0 - weight)
        beta = matrix[:, j] - alpha
        d_alpha = alpha[inside][:, np.newaxis] - alpha[~inside][np.newaxis, :]
        d_beta = beta[inside][:, np.newaxis] - beta[~inside][np.newaxis, :]
        tied_throughout = (np.abs(d_alpha) <= SCORE_TOLERANCE) & (np.abs(d_beta) <= SCORE_TOLERANCE)
        if (tied_throughout & swappable).any():
            intervals.append(None)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            crossing = -d_alpha / d_beta
        rising = d_beta < 0  # the outsider gains on the insider as t grows
        falling = d_beta > 0
        high = float(crossing[rising].min(initial=1.0))
        low = float(crossing[falling].max(initial=0.0))
        intervals.append(WeightInterval(weight, min(max(low, 0.0), weight), max(min(high, 1.0), weight), "exact"))
    return intervals


def bisection_intervals(scorer: Scorer, weights: FloatArray, rule: TieRule, select: int) -> list[WeightInterval]:
    """Intervals for any method: a grid over t in (0, 1) for every criterion at once, then bisection.

    The grid points are ``(g + 0.618...) / 100``, off the simple fractions where individual scores tie
    exactly, so that a lone tie point is not mistaken for the edge of the interval.
    """
    criteria = weights.size
    if criteria == 1:
        return [WeightInterval(1.0, 1.0, 1.0, "bisection")]
    base = selections(scorer, weights[np.newaxis, :], rule, select)[0]
    grid = (np.arange(GRID_POINTS) + GRID_OFFSET) / GRID_POINTS
    stack = np.concatenate([reweight(weights, j, grid) for j in range(criteria)])
    same = (selections(scorer, stack, rule, select) == base).all(axis=1).reshape(criteria, GRID_POINTS)
    low = np.zeros(criteria)
    high = np.ones(criteria)
    brackets: list[tuple[int, int, float, float]] = []  # (criterion, side: 0 low / 1 high, good t, bad t)
    for j in range(criteria):
        weight = weights[j]
        above = np.flatnonzero((grid > weight) & ~same[j])
        if above.size:
            first = int(above[0])
            brackets.append((j, 1, max(weight, grid[first - 1]) if first else weight, grid[first]))
        below = np.flatnonzero((grid < weight) & ~same[j])
        if below.size:
            last = int(below[-1])
            brackets.append((j, 0, min(weight, grid[last + 1]) if last + 1 < GRID_POINTS else weight, grid[last]))
    if brackets:
        which = np.array([b[0] for b in brackets])
        good = np.array([b[2] for b in brackets])
        bad = np.array([b[3] for b in brackets])
        for _ in range(BISECTIONS):
            middle = (good + bad) / 2
            trial = np.stack([reweight(weights, int(j), np.array([t]))[0] for j, t in zip(which, middle, strict=True)])
            kept = (selections(scorer, trial, rule, select) == base).all(axis=1)
            good = np.where(kept, middle, good)
            bad = np.where(kept, bad, middle)
        for (j, side, _, _), boundary in zip(brackets, (good + bad) / 2, strict=True):
            (high if side else low)[j] = boundary
    return [
        WeightInterval(float(weights[j]), float(min(low[j], weights[j])), float(max(high[j], weights[j])), "bisection")
        for j in range(criteria)
    ]
