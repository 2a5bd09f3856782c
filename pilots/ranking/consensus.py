"""How much the cities agree (contract version 2, see docs/ranking.md).

* :func:`cell_spreads`: for every alternative and criterion, the spread of the cities' scores in the
  criterion's own unit (after ``exclude_self``): count ``n``, ``min``, ``max``, ``median``, quartiles
  ``q1``/``q3`` (numpy's default linear interpolation), ``iqr = q3 - q1`` and the population standard
  deviation ``std`` (divisor n). A cell nobody scored has ``n = 0`` and None elsewhere.
* :func:`city_rankings`: each city ranks, by its **own weighted sum** (the round's weights, the
  declared-scale normalisation of the engine: ``(x - min) / (max - min)``, ``1 -`` that for cost), the
  alternatives that **every voting city scored on every criterion** (so nothing is imputed; a city's own
  challenge excluded by ``exclude_self`` is therefore left out). Sums equal to 12 decimals are tied and
  share the average of their ranks (rank 1 best).
* :func:`kendall_w`: Kendall's coefficient of concordance with the tie correction,
  ``W = 12 S / (m² (n³ - n) - m Σ T)``, where m is the number of cities, n of alternatives, S the sum of
  squared deviations of the alternatives' rank sums from their mean and ``T = Σ (t³ - t)`` over each
  city's groups of t tied alternatives. 1: every city ranks alike; 0: no agreement at all. None with
  fewer than 2 cities or 2 alternatives, or when every city ties everything.
* :func:`spearman`: Spearman's rank correlation (Pearson's on average ranks) of two rankings.
* :func:`delphi_summary`: how much the spread (mean IQR) narrowed from one pass of scoring to the next.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from pilots.ranking.aggregate import FloatArray, ScoreTensor, scale_normalise

#: Own weighted sums are compared to this many decimals (equal ones are tied).
RANK_DECIMALS = 12


def spread(values: npt.ArrayLike) -> dict[str, Any]:
    """The spread of the numbers present in ``values`` (NaN = no score): n, min, max, median, q1, q3, iqr, std."""
    array = np.asarray(values, dtype=np.float64).ravel()
    present = array[~np.isnan(array)]
    if present.size == 0:
        return {"n": 0, "min": None, "max": None, "median": None, "q1": None, "q3": None, "iqr": None, "std": None}
    q1, median, q3 = np.quantile(present, [0.25, 0.5, 0.75])
    return {
        "n": int(present.size),
        "min": float(present.min()),
        "max": float(present.max()),
        "median": float(median),
        "q1": float(q1),
        "q3": float(q3),
        "iqr": float(q3 - q1),
        "std": float(present.std()),
    }


def cell_spreads(tensor: ScoreTensor) -> dict[str, dict[str, dict[str, Any]]]:
    """``{alternative: {criterion: spread}}`` over the cities' scores, every alternative and criterion.

    The same numbers as :func:`spread` cell by cell, computed for all cells at once."""
    raw = tensor.raw
    criteria = tensor.criterion_ids
    if raw.shape[0] == 0:
        return {a: {c: spread([]) for c in criteria} for a in tensor.alternatives}
    counts = (~np.isnan(raw)).sum(axis=0)
    ordered = np.sort(raw, axis=0)  # NaN last
    q1, median, q3 = (_quantile(ordered, counts, p) for p in (0.25, 0.5, 0.75))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells (nobody scored) give NaN, reported as None
        low, high, std = np.nanmin(raw, axis=0), np.nanmax(raw, axis=0), np.nanstd(raw, axis=0)
    table = {"min": low, "max": high, "median": median, "q1": q1, "q3": q3, "iqr": q3 - q1, "std": std}
    lists = {key: values.tolist() for key, values in table.items()}
    count_list = counts.tolist()
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for a, alternative in enumerate(tensor.alternatives):
        row = {}
        for c, criterion in enumerate(criteria):
            n = int(count_list[a][c])
            cell: dict[str, Any] = {"n": n}
            for key in ("min", "max", "median", "q1", "q3", "iqr", "std"):
                cell[key] = float(lists[key][a][c]) if n else None
            row[criterion] = cell
        out[alternative] = row
    return out


def _quantile(ordered: FloatArray, counts: npt.NDArray[np.int64], p: float) -> FloatArray:
    """numpy's default (linear) quantile of each column of ``ordered`` (sorted along axis 0, NaN last),
    over its first ``counts`` values; NaN where the count is 0."""
    last = np.maximum(counts - 1, 0)
    position = last * p
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, last)
    low = np.take_along_axis(ordered, below[np.newaxis], axis=0)[0]
    high = np.take_along_axis(ordered, above[np.newaxis], axis=0)[0]
    value = low + (position - below) * (high - low)
    return np.where(counts > 0, value, np.nan)


def average_ranks(scores: FloatArray) -> FloatArray:
    """Ranks (1 = highest score) of each row of ``scores``; equal scores share the average of their ranks."""
    scores = np.atleast_2d(scores)
    ranks = np.empty(scores.shape, dtype=np.float64)
    for row, values in enumerate(scores):
        order = np.argsort(-values, kind="stable")
        ordered = values[order]
        position = np.arange(1, values.size + 1, dtype=np.float64)
        # groups of equal values: each gets the mean of its positions
        starts = np.concatenate([[True], ordered[1:] != ordered[:-1]])
        group = np.cumsum(starts) - 1
        means = np.bincount(group, weights=position) / np.bincount(group)
        ranks[row, order] = means[group]
    return ranks


def tie_sum(ranks: FloatArray) -> float:
    """``Σ over rows Σ over tie groups (t³ - t)`` of a rank matrix (equal ranks = a tie group)."""
    total = 0.0
    for row in np.atleast_2d(ranks):
        _, counts = np.unique(row, return_counts=True)
        total += float((counts.astype(np.float64) ** 3 - counts).sum())
    return total


def kendall_w(ranks: npt.ArrayLike) -> float | None:
    """Kendall's W of an m × n matrix of ranks (one row per rater, average ranks for ties), tie-corrected."""
    matrix = np.asarray(ranks, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError("kendall_w expects a matrix: raters × items")
    m, n = matrix.shape
    if m < 2 or n < 2:
        return None
    sums = matrix.sum(axis=0)
    s = float(((sums - sums.mean()) ** 2).sum())
    denominator = m * m * (n**3 - n) - m * tie_sum(matrix)
    if denominator <= 0:  # every rater ties every item: nothing to agree or disagree on
        return None
    return min(1.0, max(0.0, 12.0 * s / denominator))


def spearman(first: npt.ArrayLike, second: npt.ArrayLike) -> float | None:
    """Spearman's rho of two rank vectors (Pearson's correlation of the ranks); None if one is constant."""
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.size < 2:
        return None
    da, db = a - a.mean(), b - b.mean()
    norm = float(np.sqrt((da**2).sum() * (db**2).sum()))
    if norm == 0:
        return None
    return max(-1.0, min(1.0, float((da * db).sum()) / norm))


def complete_alternatives(tensor: ScoreTensor) -> npt.NDArray[np.int64]:
    """Indices of the alternatives every voting city scored on every criterion (none if no city voted)."""
    if not tensor.voters:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero((~np.isnan(tensor.raw)).all(axis=(0, 2)))


def city_rankings(tensor: ScoreTensor, weights: FloatArray | None = None) -> tuple[tuple[str, ...], FloatArray]:
    """The complete alternatives (id order) and each city's average ranks of them (cities × alternatives).

    Each city ranks by its own weighted sum with ``weights`` (default: the tensor's, summing to 1) on the
    declared-scale normalisation; sums equal to 12 decimals tie."""
    used = tensor.weights if weights is None else np.asarray(weights, dtype=np.float64)
    complete = complete_alternatives(tensor)
    names = tuple(tensor.alternatives[i] for i in complete)
    raw = tensor.raw[:, complete, :]
    own = scale_normalise(raw, tensor.low, tensor.high, tensor.cost) @ used
    return names, average_ranks(np.round(own, RANK_DECIMALS)) if own.size else np.zeros(own.shape)


def consensus_summary(
    tensor: ScoreTensor, weights: FloatArray | None = None, group_order: Sequence[str] | None = None
) -> dict[str, Any]:
    """The consensus block of the output.

    ``cells``: :func:`cell_spreads`; ``kendall_w`` over :func:`city_rankings` (None when fewer than 2
    cities or 2 complete alternatives); ``alternatives``: the complete alternatives W is computed on;
    ``cities``: per city ``{"city", "spearman"}``, Spearman's rho of its ranking of those alternatives
    with their order in ``group_order`` (the group's final ranking), lowest rho (furthest from the group)
    first, None (undefined: fewer than 2 alternatives, a city tying them all, or an alternative missing
    from ``group_order``) last, then city id."""
    names, ranks = city_rankings(tensor, weights)
    w = kendall_w(ranks) if ranks.ndim == 2 and ranks.size else None
    group_rank: FloatArray | None = None
    if group_order is not None and names:
        position = {a: i + 1 for i, a in enumerate(group_order)}
        if all(a in position for a in names):
            order = np.array([position[a] for a in names], dtype=np.float64)
            group_rank = average_ranks(-order)[0]  # ranks 1..n among the complete alternatives
    cities = []
    for v, city in enumerate(tensor.voters):
        rho = spearman(ranks[v], group_rank) if group_rank is not None and len(names) >= 2 else None
        cities.append({"city": city, "spearman": rho})
    cities.sort(key=lambda c: (c["spearman"] is None, c["spearman"] if c["spearman"] is not None else 0.0, c["city"]))
    return {"cells": cell_spreads(tensor), "kendall_w": w, "alternatives": list(names), "cities": cities}


def _mean_iqr(
    cells: Mapping[str, Mapping[str, Mapping[str, Any]]],
    keys: list[tuple[str, str]],
    spans: Mapping[str, float] | None,
) -> float | None:
    values = [cells[a][c]["iqr"] / (spans[c] if spans else 1.0) for a, c in keys]
    return float(np.mean(values)) if values else None


def delphi_summary(
    first_pass: Mapping[str, Mapping[str, Mapping[str, Any]]],
    second_pass: Mapping[str, Mapping[str, Mapping[str, Any]]],
    spans: Mapping[str, float] | None = None,
) -> dict[str, Any]:
    """How the spread narrowed between two passes of scoring (``cells`` of :func:`consensus` for each).

    The mean IQR is taken over the cells scored (n ≥ 1) in both passes, each IQR divided by its
    criterion's scale span (``spans``: criterion -> max - min) when given, so criteria on different
    scales weigh alike. Returns ``{"first": mean IQR, "second": mean IQR, "narrowing": first - second,
    "narrowed_share": narrowing / first (None if first is 0), "cells": cells compared, "criteria":
    {criterion: {"first", "second", "narrowing"}}}``; means are None when no cell is comparable."""
    keys = sorted(
        (a, c)
        for a, row in first_pass.items()
        for c, cell in row.items()
        if cell.get("n") and second_pass.get(a, {}).get(c, {}).get("n")
    )
    first, second = _mean_iqr(first_pass, keys, spans), _mean_iqr(second_pass, keys, spans)
    narrowing = None if first is None or second is None else first - second
    criteria = {}
    for criterion in sorted({c for _, c in keys}):
        subset = [k for k in keys if k[1] == criterion]
        one, two = _mean_iqr(first_pass, subset, spans), _mean_iqr(second_pass, subset, spans)
        criteria[criterion] = {"first": one, "second": two, "narrowing": None if one is None or two is None else one - two}
    return {
        "first": first,
        "second": second,
        "narrowing": narrowing,
        "narrowed_share": None if narrowing is None or not first else narrowing / first,
        "cells": len(keys),
        "criteria": criteria,
    }
