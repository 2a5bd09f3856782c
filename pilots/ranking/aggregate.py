"""From ballots to numbers: the score tensor, the per-cell means and the normalised decision matrix.

In plain words:

* Every ballot becomes one slice of a three-way table ``raw[voter, alternative, criterion]``; a cell the
  voter left out is "no score" (NaN). When ``exclude_self`` says that a voter may not score an
  alternative (a city and its own challenge), that voter's cells for that alternative are dropped here,
  before anything is counted.
* Alternatives, criteria and voters are sorted by id, so the order of the input never matters.
* For each alternative and criterion the engine takes the **mean of the scores present** and their
  **count**. An alternative's **voter count** is the number of voters with at least one (kept) score for
  it, on any criterion: that is the number the quorum is compared with.
* Each mean is put on a common 0..1 scale with the criterion's declared scale:
  ``(mean - min) / (max - min)``, and ``1 -`` that for a cost criterion, so 1 is always best.
* A cell nobody scored is given the **neutral midpoint** of the scale (0.5 after normalisation): it
  neither rewards nor punishes the alternative, and it is flagged as imputed in the output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pilots.ranking.model import Criterion, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class ScoreTensor:
    """The ballots as one array, everything sorted by id.

    ``raw[v, a, c]`` is voter ``v``'s score for alternative ``a`` on criterion ``c`` in the criterion's own
    unit, NaN when there is none (abstention, or dropped by ``exclude_self``). ``weights`` are the
    criteria's weights normalised to sum 1; ``low``/``high`` the declared scales; ``cost`` marks the
    cost criteria. ``excluded`` lists (alternative, voter, cells dropped) for each ``exclude_self`` rule.
    """

    alternatives: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    voters: tuple[str, ...]
    raw: FloatArray
    weights: FloatArray
    low: FloatArray
    high: FloatArray
    cost: BoolArray
    excluded: tuple[tuple[str, str, int], ...]

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)


def build_tensor(problem: Problem, exclude_self: Mapping[str, str] | None = None) -> ScoreTensor:
    """Lay the ballots out as ``raw[voter, alternative, criterion]`` (sorted ids), applying ``exclude_self``."""
    alternatives = tuple(sorted(problem.alternatives))
    criteria = tuple(sorted(problem.criteria, key=lambda c: c.id))
    ballots = sorted(problem.ballots, key=lambda b: b.voter)
    voters = tuple(b.voter for b in ballots)
    a_index = {a: i for i, a in enumerate(alternatives)}
    c_index = {c.id: j for j, c in enumerate(criteria)}
    raw = np.full((len(voters), len(alternatives), len(criteria)), np.nan)
    for v, ballot in enumerate(ballots):
        for alternative, cells in ballot.scores.items():
            for criterion, value in cells.items():
                raw[v, a_index[alternative], c_index[criterion]] = value
    excluded = []
    v_index = {voter: v for v, voter in enumerate(voters)}
    for alternative, voter in sorted((exclude_self or {}).items()):
        dropped = 0
        if voter in v_index:
            cells = raw[v_index[voter], a_index[alternative]]
            dropped = int(np.count_nonzero(~np.isnan(cells)))
            cells[:] = np.nan
        excluded.append((alternative, voter, dropped))
    weights = np.array([c.weight for c in criteria], dtype=np.float64)
    return ScoreTensor(
        alternatives=alternatives,
        criteria=criteria,
        voters=voters,
        raw=raw,
        weights=weights / weights.sum(),
        low=np.array([c.scale[0] for c in criteria], dtype=np.float64),
        high=np.array([c.scale[1] for c in criteria], dtype=np.float64),
        cost=np.array([c.direction == "cost" for c in criteria], dtype=np.bool_),
        excluded=tuple(excluded),
    )


def scale_normalise(values: FloatArray, low: FloatArray, high: FloatArray, cost: BoolArray) -> FloatArray:
    """``(x - min) / (max - min)`` on the declared scale, ``(max - x) / (max - min)`` for cost criteria."""
    span = high - low
    return np.where(cost, (high - values) / span, (values - low) / span)


@dataclass(frozen=True)
class Aggregate:
    """The group's view of each cell (alternative × criterion), for the voters kept.

    ``counts``: how many scores each cell has; ``means``: their mean (NaN when none); ``voters``: how
    many voters scored the alternative on at least one criterion; ``values``: the means with the scale's
    midpoint where there is none (the raw decision matrix); ``normalised``: the same on 0..1 with the
    declared scale, 1 best, 0.5 where there is no score; ``individual[v, a, c]``: each voter's own
    normalised score, where a voter left a cell out the group's ``normalised`` value stands in;
    ``scored[v, a]``: whether voter ``v`` scored alternative ``a`` at all.
    """

    counts: IntArray
    means: FloatArray
    voters: IntArray
    values: FloatArray
    normalised: FloatArray
    individual: FloatArray
    scored: BoolArray

    @property
    def imputed(self) -> BoolArray:
        return self.counts == 0


def aggregate(tensor: ScoreTensor, keep: BoolArray | None = None) -> Aggregate:
    """Means, counts and normalised values over the voters in ``keep`` (default: all voters)."""
    raw = tensor.raw if keep is None else tensor.raw[keep]
    present = ~np.isnan(raw)
    counts = present.sum(axis=0)
    sums = np.where(present, raw, 0.0).sum(axis=0)
    has = counts > 0
    means = np.divide(sums, counts, out=np.full(sums.shape, np.nan), where=has)
    midpoint = (tensor.low + tensor.high) / 2
    values = np.where(has, means, midpoint)
    normalised = np.where(has, scale_normalise(values, tensor.low, tensor.high, tensor.cost), 0.5)
    individual_raw = scale_normalise(raw, tensor.low, tensor.high, tensor.cost)
    individual = np.where(present, individual_raw, normalised[np.newaxis])
    scored = np.asarray(present.any(axis=2), dtype=np.bool_)
    return Aggregate(
        counts=counts.astype(np.int64),
        means=means,
        voters=scored.sum(axis=0).astype(np.int64),
        values=values,
        normalised=normalised,
        individual=individual,
        scored=scored,
    )
