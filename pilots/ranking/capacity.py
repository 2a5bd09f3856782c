"""Choosing under a capacity (contract version 2, see docs/ranking.md).

:func:`choose` picks, among the eligible alternatives, the set of at most ``select`` alternatives whose
total effort fits in ``capacity`` and whose **total score is largest**, exactly:

* efforts and the capacity are counted in hundredths (an effort may have at most 2 decimals, so
  ``12.25`` is 1225 units; a capacity is rounded *down* to hundredths); units are then divided by the
  greatest common divisor of the efforts, which changes nothing but the size of the table;
* scores are compared at the engine's tie resolution: each is rounded to an integer multiple of ``q``,
  the largest power of two not above ``1e-9 × max(1, largest |score|)``, so totals are exact integer
  sums (scores that are multiples of ``q``, such as quarters or integers, are not changed at all);
* a dynamic programme over (alternatives, number chosen ≤ select, effort units) gives the best total for
  every budget; among sets with the best total the one with the **lexicographically best ranks** wins:
  the best-ranked alternative that some best set contains is taken, then the next, and so on (so an
  alternative of score 0 that fits is taken rather than left out);
* the **front**: for each effort level, the best total score of a set of at most ``select`` alternatives
  costing at most that much, kept only where it rises (the non-dominated sets: no cheaper set scores as
  much), with the set itself, up to the effort of the ``select`` most expensive alternatives. Each point
  says whether it fits the capacity.

Negative scores (Copeland) are never worth adding, so fewer than ``select`` may be chosen for them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from typing import Any

import numpy as np

from pilots.ranking.errors import RankingInputError
from pilots.ranking.model import finite_number, is_number

#: Efforts are counted in units of 1 / RESOLUTION (hundredths).
RESOLUTION = 100
#: Relative score resolution (the engine's tie tolerance, pilots.ranking.ordering.SCORE_TOLERANCE).
SCORE_RESOLUTION = 1e-9
#: Refuse tables larger than this many cells (alternatives × (select + 1) × effort units).
MAX_CELLS = 300_000_000
_NEVER = np.iinfo(np.int64).min // 4


@dataclass(frozen=True)
class FrontPoint:
    """The best set (at most ``select`` alternatives) costing at most ``effort``, and its total score."""

    effort: float
    score: float
    alternatives: tuple[str, ...]
    feasible: bool


@dataclass(frozen=True)
class Choice:
    """What :func:`choose` found: the chosen set (rank order), its totals, the top-``select`` by rank,
    whether the capacity changed the selection, the front and warnings."""

    selected: tuple[str, ...]
    total_effort: float
    total_score: float
    by_rank: tuple[str, ...]
    capacity_decided: bool
    capacity: float
    front: tuple[FrontPoint, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selected": list(self.selected),
            "total_effort": self.total_effort,
            "total_score": self.total_score,
            "by_rank": list(self.by_rank),
            "capacity_decided": self.capacity_decided,
            "capacity": self.capacity,
            "front": [
                {"effort": p.effort, "score": p.score, "alternatives": list(p.alternatives), "feasible": p.feasible}
                for p in self.front
            ],
            "warnings": list(self.warnings),
        }


def effort_units(value: object, where: str) -> int:
    """A non-negative effort with at most 2 decimals, in hundredths."""
    number = finite_number(value, where)
    if number < 0:
        raise RankingInputError(f"{where}: an effort must be >= 0, got {value!r}")
    units = round(number * RESOLUTION)
    if abs(number * RESOLUTION - units) > 1e-6 * max(1.0, abs(number * RESOLUTION)):
        raise RankingInputError(f"{where}: at most 2 decimals, got {value!r}")
    return int(units)


def capacity_units(value: object, where: str = "capacity") -> int:
    """A non-negative capacity in hundredths, rounded down."""
    number = finite_number(value, where)
    if number < 0:
        raise RankingInputError(f"{where}: must be >= 0, got {value!r}")
    return math.floor(number * RESOLUTION + 1e-6)


def choose(
    scores: Mapping[str, float],
    efforts: Mapping[str, float],
    capacity: float,
    select: int,
    rank_order: Sequence[str],
) -> Choice:
    """The best set of at most ``select`` alternatives of ``rank_order`` fitting in ``capacity`` (see the module).

    ``scores``: the method score of every alternative in ``rank_order`` (the eligible ones, best first);
    ``efforts``: the effort of each (at least those); RankingInputError for a negative or non-finite
    effort or capacity, an effort with more than 2 decimals, a missing effort or score, ``select`` < 1."""
    if not isinstance(select, int) or isinstance(select, bool) or select < 1:
        raise RankingInputError(f"select: expected an integer >= 1, got {select!r}")
    names = list(rank_order)
    if len(set(names)) != len(names):
        raise RankingInputError("rank_order: an alternative is listed twice")
    cap = capacity_units(capacity)
    missing = [a for a in names if a not in efforts]
    if missing:
        raise RankingInputError(f"effort: missing for {missing}")
    units = np.array([effort_units(efforts[a], f"effort[{a!r}]") for a in names], dtype=np.int64)
    for a in names:
        if a not in scores or not is_number(scores[a]) or not math.isfinite(float(scores[a])):
            raise RankingInputError(f"scores: no finite score for {a!r}")
    values = np.array([float(scores[a]) for a in names], dtype=np.float64)
    k = min(select, len(names))
    by_rank = tuple(names[:k])
    notes: list[str] = []
    if names and (units > cap).all():
        notes.append(f"capacity {capacity!r} is smaller than every effort: nothing can be selected")

    # a power of two, so that scores on a binary grid coarser than it (0.25, 0.5, integers) stay exact
    quantum = 2.0 ** math.floor(math.log2(SCORE_RESOLUTION * max(1.0, float(np.abs(values).max(initial=0.0)))))
    points = np.round(values / quantum).astype(np.int64)
    step = reduce(math.gcd, (int(u) for u in units if u > 0), 0) or 1
    reduced = units // step
    budget = cap // step
    # the front reaches the effort of the `select` most expensive alternatives (no set of at most `select` costs more)
    widest = int(np.sort(reduced)[::-1][:k].sum()) if names else 0
    width = widest
    if len(names) * (k + 1) * (width + 1) > MAX_CELLS:
        width = min(widest, budget)
        notes.append("the front is shown up to the capacity only (the effort table would be too large)")
        if len(names) * (k + 1) * (width + 1) > MAX_CELLS:
            raise RankingInputError(
                f"capacity: {len(names)} alternatives with efforts in units of {step / RESOLUTION:g} up to a capacity of "
                f"{capacity!r} need a table of more than {MAX_CELLS:.0e} cells; give efforts in coarser units"
            )
    limit = min(budget, width)

    taken, best = _table(points, reduced, k, width)
    chosen = _reconstruct(taken, reduced, k, np.array([limit]))[0]
    selected = tuple(names[i] for i in chosen)

    front = []
    rises = np.flatnonzero(np.diff(best, prepend=np.int64(0)) > 0)  # where a dearer set scores more
    sets = _reconstruct(taken, reduced, k, rises)
    for members in sets:
        effort = float(sum(units[i] for i in members)) / RESOLUTION
        front.append(
            FrontPoint(
                effort=effort,
                score=float(sum(values[i] for i in members)),
                alternatives=tuple(names[i] for i in members),
                feasible=bool(sum(int(units[i]) for i in members) <= cap),
            )
        )
    return Choice(
        selected=selected,
        total_effort=float(sum(int(units[i]) for i in chosen)) / RESOLUTION,
        total_score=float(sum(values[i] for i in chosen)),
        by_rank=by_rank,
        capacity_decided=set(selected) != set(by_rank),
        capacity=float(capacity),
        front=tuple(front),
        warnings=tuple(notes),
    )


def _table(points: np.ndarray, efforts: np.ndarray, k: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``taken[i, j, e]`` (bit-packed along e): with items i.. (rank order), at most j of them and budget e,
    some best set takes item i; built backwards from the last item. Also the best total of at most ``k``
    items for every budget 0..width."""
    count = points.size
    best = np.zeros((k + 1, width + 1), dtype=np.int64)
    packed = np.zeros((count, k + 1, (width + 8) // 8), dtype=np.uint8)
    for i in range(count - 1, -1, -1):
        w = int(efforts[i])
        if w > width:
            continue
        candidate = np.full_like(best, _NEVER)
        candidate[1:, w:] = best[:-1, : width + 1 - w] + points[i]
        take = candidate >= best
        packed[i] = np.packbits(take, axis=1)
        np.maximum(best, candidate, out=best)
    return packed, best[k]


def _reconstruct(packed: np.ndarray, efforts: np.ndarray, k: int, budgets: np.ndarray) -> list[list[int]]:
    """The lexicographically best best set for each budget: walk the items in rank order, taking each
    one that some best set (of what is left) takes. Vectorised over the budgets."""
    budgets = np.asarray(budgets, dtype=np.int64)
    left = budgets.copy()
    slots = np.full(budgets.size, k, dtype=np.int64)
    members: list[list[int]] = [[] for _ in range(budgets.size)]
    for i in range(packed.shape[0]):
        live = np.flatnonzero(slots > 0)
        if not live.size:
            break
        e = left[live]
        bits = (packed[i, slots[live], e >> 3] >> (7 - (e & 7))) & 1
        for p in live[bits.astype(bool)]:
            members[p].append(i)
        hit = live[bits.astype(bool)]
        left[hit] -= int(efforts[i])
        slots[hit] -= 1
    return members
