"""Turning scores into a strict order: the deterministic tie rule.

The rule, step by step (the first step that separates two alternatives decides):

1. **Higher score.** Scores closer than ``1e-9 × max(1, largest |score|)`` are tied: the sorted scores are
   cut into groups wherever two neighbours differ by more than that (so floating-point noise never
   decides, and the same input always gives the same groups).
2. **More voters** (voters who scored the alternative on at least one criterion).
3. **Higher group value on the highest-weight criterion**, then on the next-highest and so on (criteria of
   equal weight in id order); values are the normalised means (declared scale, 1 best, 0.5 when nobody
   scored the cell) rounded to 9 decimals.
4. **Alternative id**, ascending (Unicode code-point order); ids are unique, so this always decides.

"Highest-weight" refers to the weights being ranked with: the declared ones for the result, each sampled
or shifted weight vector in the sensitivity analysis. Sorting thousands of weight vectors stays cheap:
steps 2–4 are first applied with the declared criterion order (one precomputed "tie rank"), and a row is
re-sorted with its own criterion order only when one of its tie groups holds two alternatives that the
criterion order could swap (same voters, each better on some criterion).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from pilots.ranking.aggregate import FloatArray, IntArray

#: Relative tolerance under which two scores are tied (step 1).
SCORE_TOLERANCE = 1e-9
#: Decimals kept of the criterion values compared at step 3.
VALUE_DECIMALS = 9


def criterion_order(weights: FloatArray) -> IntArray:
    """Criteria by weight, highest first, equal weights in id order (criteria are held in id order).

    Works on one weight vector or on a stack (one order per row)."""
    return np.argsort(-weights, axis=-1, kind="stable")


@dataclass(frozen=True)
class TieRule:
    """Steps 2–4 for a set of alternatives (given in id order).

    ``voters[a]`` and ``values[a, c]`` are what steps 2 and 3 compare; ``rank`` is the tie rank under the
    declared weights' criterion order; ``swappable[a, b]`` says whether the criterion order can decide
    between a and b (same voters, a better on one criterion and b on another).
    """

    voters: FloatArray
    values: FloatArray
    criterion_ids: tuple[str, ...]
    declared: IntArray
    rank: IntArray
    swappable: npt.NDArray[np.bool_]

    @classmethod
    def build(cls, voters: IntArray, normalised: FloatArray, weights: FloatArray, criterion_ids: tuple[str, ...]) -> TieRule:
        values = np.round(normalised, VALUE_DECIMALS).reshape(len(voters), len(criterion_ids))
        declared = criterion_order(weights)
        same_voters = voters[:, np.newaxis] == voters[np.newaxis, :]
        better = (values[:, np.newaxis, :] > values[np.newaxis, :, :]).any(axis=2)
        rule = cls(
            voters.astype(np.float64),
            values,
            criterion_ids,
            declared,
            np.zeros(0, dtype=np.int64),
            same_voters & better & better.T,
        )
        order = np.lexsort(rule.keys(declared).T[::-1])
        rank = np.empty(len(voters), dtype=np.int64)
        rank[order] = np.arange(len(voters))
        object.__setattr__(rule, "rank", rank)
        return rule

    def keys(self, order: IntArray) -> FloatArray:
        """Steps 2–4 as a matrix (smaller is better, compared column by column) for a criterion order."""
        count = len(self.voters)
        return np.column_stack([-self.voters, -self.values[:, order], np.arange(count, dtype=np.float64)]).reshape(
            count, len(order) + 2
        )

    def steps(self, order: IntArray) -> tuple[str, ...]:
        return ("voters", *(f"criterion:{self.criterion_ids[j]}" for j in order), "id")

    def deciding_step(self, first: int, second: int) -> str:
        """The step (declared weights) at which alternatives ``first`` and ``second`` are separated."""
        keys = self.keys(self.declared)
        differs = np.flatnonzero(keys[first] != keys[second])
        return self.steps(self.declared)[int(differs[0])]

    def resort(self, groups: IntArray, weights: FloatArray) -> IntArray:
        """Order rows by (tie group, steps 2–4 with each row's own criterion order)."""
        orders = criterion_order(weights)
        shape = groups.shape
        columns: list[npt.NDArray[np.generic]] = [np.broadcast_to(np.arange(shape[1]), shape)]
        columns += [-self.values.T[orders[:, k]] for k in range(orders.shape[1] - 1, -1, -1)]
        columns += [np.broadcast_to(-self.voters, shape), groups]
        return np.lexsort(tuple(columns), axis=1)


def order_rows(scores: FloatArray, rule: TieRule, weights: FloatArray) -> tuple[IntArray, IntArray]:
    """The strict order (best first) of each row of ``scores`` (samples × alternatives) under the tie
    rule with that row's ``weights``, and each alternative's tie group (0 for the best group).

    One sort by score; rows with a tie are sorted again by (group, tie rank); the few rows whose tie could
    depend on the criterion order (and whose order differs from the declared one) are sorted once more.
    """
    order = np.argsort(-scores, axis=1)
    ranked = np.take_along_axis(scores, order, axis=1)
    tolerance = SCORE_TOLERANCE * np.maximum(1.0, np.abs(scores).max(axis=1, keepdims=True, initial=0.0))
    breaks = (ranked[:, :-1] - ranked[:, 1:]) > tolerance
    start = np.zeros((scores.shape[0], 1), dtype=np.int64)
    groups = np.empty(scores.shape, dtype=np.int64)
    np.put_along_axis(groups, order, np.concatenate([start, np.cumsum(breaks, axis=1)], axis=1), axis=1)
    tied = np.flatnonzero(~breaks.all(axis=1))
    if not tied.size:
        return order, groups
    resorted = np.lexsort((np.broadcast_to(rule.rank, (tied.size, rule.rank.size)), groups[tied]), axis=1)
    order[tied] = resorted
    if rule.swappable.any():
        grouped = np.take_along_axis(groups[tied], resorted, axis=1)
        at_risk = (grouped[:, 1:] == grouped[:, :-1]) & rule.swappable[resorted[:, :-1], resorted[:, 1:]]
        other_order = (criterion_order(weights[tied]) != rule.declared).any(axis=1)
        redo = tied[at_risk.any(axis=1) & other_order]
        if redo.size:
            order[redo] = rule.resort(groups[redo], weights[redo])
    return order, groups


def positions(order: IntArray) -> IntArray:
    """Invert orders: ``rank[s, a]`` is the 0-based position of alternative ``a`` in row ``s``."""
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[np.newaxis, :], axis=1)
    return rank
