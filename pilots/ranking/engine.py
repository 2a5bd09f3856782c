"""The ranking run: aggregate, rank with the chosen method, break ties, select, and test the selection.

:func:`rank` does everything in one call and returns a :class:`Result`:

1. the ballots are aggregated (:mod:`pilots.ranking.aggregate`); alternatives scored by fewer voters
   than the quorum are listed as ineligible and take no further part;
2. the eligible alternatives are scored with the chosen method (:mod:`pilots.ranking.methods`,
   :mod:`pilots.ranking.social`), ordered with the tie rule (:mod:`pilots.ranking.ordering`), and the
   first ``select`` are selected;
3. the selection is compared with what each other method would select (agreement), with what it would
   be without each voter (leave-one-voter-out), under sampled weights (rank acceptability) and under
   each criterion's weight moved up and down (weight intervals, :mod:`pilots.ranking.robustness`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from pilots.ranking.aggregate import Aggregate, FloatArray, IntArray, ScoreTensor, aggregate, build_tensor
from pilots.ranking.errors import RankingInputError
from pilots.ranking.methods import normalise, topsis_scores, wsm_scores
from pilots.ranking.model import DEFAULT_NORMALIZATION, METHODS, SOCIAL_METHODS, Options, Problem
from pilots.ranking.ordering import TieRule, order_rows
from pilots.ranking.robustness import (
    Acceptability,
    Scorer,
    WeightInterval,
    acceptability,
    bisection_intervals,
    exact_wsm_intervals,
    generators,
    perturbed_weights,
    uniform_weights,
)
from pilots.ranking.social import individual_scores, pairwise, social_scorer, strongest_paths, work

CountArray = npt.NDArray[np.unsignedinteger]

#: Refuse social-choice sensitivity runs above this many elementary operations (minutes of CPU).
MAX_SOCIAL_WORK = 2e10


@dataclass(frozen=True)
class RankedAlternative:
    """One eligible alternative in the final order: its method score, 1-based rank and voter count."""

    alternative: str
    score: float
    rank: int
    voters: int


@dataclass(frozen=True)
class TieBreak:
    """Neighbours ``between[0]`` (ranked first) and ``between[1]`` had tied scores; ``step`` separated them."""

    between: tuple[str, str]
    step: str


@dataclass(frozen=True)
class Tie:
    """A group of alternatives with tied scores (step 1 of the tie rule), in final order."""

    alternatives: tuple[str, ...]
    ranks: tuple[int, ...]
    score: float
    broken_by: tuple[TieBreak, ...]
    affects_selection: bool


@dataclass(frozen=True)
class Agreement:
    """What another method selects from the same data, whether it is the same set, and the normalisation
    it used (None for the social-choice methods)."""

    selected: tuple[str, ...]
    agrees: bool
    normalization: str | None


@dataclass(frozen=True)
class LeaveOneOut:
    """The selection without ``voter``'s ballot (quorum applied again) and whether the set changed."""

    voter: str
    selected: tuple[str, ...]
    changed: bool


@dataclass(frozen=True)
class Sensitivity:
    """Rank acceptability under ``uniform`` weights and, if asked, under ``perturbed`` chosen weights.

    The matrices' rows follow ``alternatives`` (the eligible alternatives in id order)."""

    samples: int
    seed: int
    perturbation: float | None
    alternatives: tuple[str, ...]
    uniform: Acceptability | None
    perturbed: Acceptability | None


@dataclass(frozen=True)
class Result:
    """Everything a ranking run found; :meth:`to_dict` is the contract's output (before rounding).

    ``ineligible`` holds (alternative, voter count) pairs below the quorum; ``tensor``/``aggregate`` hold
    the numbers behind the result (id order); ``pairwise``/``strongest_paths`` are set for the
    social-choice methods (Schulze only for the latter)."""

    method: str
    normalization: str
    select: int
    quorum: int
    weights: dict[str, float]
    ranking: tuple[RankedAlternative, ...]
    selected: tuple[str, ...]
    ties: tuple[Tie, ...]
    ineligible: tuple[tuple[str, int], ...]
    agreement: dict[str, Agreement]
    sensitivity: Sensitivity | None
    leave_one_out: tuple[LeaveOneOut, ...]
    weight_intervals: dict[str, WeightInterval]
    contributions: dict[str, dict[str, float]]
    tensor: ScoreTensor
    aggregate: Aggregate
    pairwise: CountArray | None = None
    strongest_paths: CountArray | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (floats as computed; :mod:`pilots.ranking.contract` rounds them)."""
        tensor, agg = self.tensor, self.aggregate
        criteria = tensor.criterion_ids
        eligible = {r.alternative for r in self.ranking}
        out: dict[str, Any] = {
            "method": self.method,
            "normalization": self.normalization,
            "select": self.select,
            "quorum": self.quorum,
            "weights": dict(self.weights),
            "ranking": [
                {"alternative": r.alternative, "score": r.score, "rank": r.rank, "voters": r.voters} for r in self.ranking
            ],
            "selected": list(self.selected),
            "ties": [
                {
                    "alternatives": list(t.alternatives),
                    "ranks": list(t.ranks),
                    "score": t.score,
                    "broken_by": [{"between": list(b.between), "step": b.step} for b in t.broken_by],
                    "affects_selection": t.affects_selection,
                }
                for t in self.ties
            ],
            "ineligible": [{"alternative": a, "voters": n} for a, n in self.ineligible],
            "agreement": {
                name: {"selected": list(a.selected), "agrees": a.agrees, "normalization": a.normalization}
                for name, a in self.agreement.items()
            },
            "sensitivity": _sensitivity_dict(self.sensitivity),
            "leave_one_out": [{"voter": x.voter, "selected": list(x.selected), "changed": x.changed} for x in self.leave_one_out],
            "weight_intervals": {
                c: {"weight": i.weight, "low": i.low, "high": i.high, "method": i.method}
                for c, i in self.weight_intervals.items()
            },
            "aggregate": {
                alternative: {
                    "voters": int(agg.voters[a]),
                    "eligible": alternative in eligible,
                    "criteria": {
                        criterion: {
                            "mean": None if agg.counts[a, c] == 0 else float(agg.means[a, c]),
                            "count": int(agg.counts[a, c]),
                            "normalised": float(agg.normalised[a, c]),
                            "imputed": bool(agg.counts[a, c] == 0),
                        }
                        for c, criterion in enumerate(criteria)
                    },
                }
                for a, alternative in enumerate(tensor.alternatives)
            },
            "contributions": self.contributions,
            "excluded": [{"alternative": a, "voter": v, "cells": n} for a, v, n in tensor.excluded],
            "warnings": list(self.warnings),
        }
        if self.pairwise is not None:
            names = [r.alternative for r in sorted(self.ranking, key=lambda r: r.alternative)]
            out["pairwise"] = _matrix_dict(names, self.pairwise)
            if self.strongest_paths is not None:
                out["strongest_paths"] = _matrix_dict(names, self.strongest_paths)
        return out


def _matrix_dict(names: list[str], matrix: CountArray) -> dict[str, dict[str, int]]:
    return {a: {b: int(matrix[i, j]) for j, b in enumerate(names) if j != i} for i, a in enumerate(names)}


def _acceptability_dict(names: tuple[str, ...], table: Acceptability | None) -> dict[str, Any] | None:
    if table is None:
        return None
    return {
        "rank_acceptability": {a: table.rank[i].tolist() for i, a in enumerate(names)},
        "selection_probability": {a: float(table.selected[i]) for i, a in enumerate(names)},
    }


def _sensitivity_dict(sensitivity: Sensitivity | None) -> dict[str, Any] | None:
    if sensitivity is None:
        return None
    return {
        "samples": sensitivity.samples,
        "seed": sensitivity.seed,
        "perturbation": sensitivity.perturbation,
        "uniform": _acceptability_dict(sensitivity.alternatives, sensitivity.uniform),
        "perturbed": _acceptability_dict(sensitivity.alternatives, sensitivity.perturbed),
    }


@dataclass(frozen=True)
class _Stage:
    """The data for one set of voters: aggregate, eligible alternatives (tensor indices) and tie keys."""

    aggregate: Aggregate
    eligible: IntArray
    ties: TieRule


def _stage(tensor: ScoreTensor, quorum: int, keep: np.ndarray | None = None) -> _Stage:
    agg = aggregate(tensor, keep)
    eligible = np.flatnonzero(agg.voters >= quorum)
    ties = TieRule.build(agg.voters[eligible], agg.normalised[eligible], tensor.weights, tensor.criterion_ids)
    return _Stage(agg, eligible, ties)


def _matrix(stage: _Stage, normalization: str, tensor: ScoreTensor) -> FloatArray:
    """The decision matrix (eligible alternatives × criteria, 1 best) for wsm and topsis."""
    if normalization == "scale":
        return stage.aggregate.normalised[stage.eligible]
    return normalise(stage.aggregate.values[stage.eligible], normalization, tensor.cost)


def _scorer(method: str, normalization: str, stage: _Stage, tensor: ScoreTensor) -> Scorer:
    if method in SOCIAL_METHODS:
        agg = stage.aggregate
        return social_scorer(method, agg.individual[:, stage.eligible], agg.scored[:, stage.eligible])
    matrix = _matrix(stage, normalization, tensor)
    if method == "wsm":
        return lambda weights: wsm_scores(matrix, weights)
    return lambda weights: topsis_scores(matrix, weights)


def _selection(method: str, normalization: str, stage: _Stage, tensor: ScoreTensor, select: int) -> tuple[str, ...]:
    if stage.eligible.size == 0:
        return ()
    weights = tensor.weights[np.newaxis, :]
    order, _ = order_rows(_scorer(method, normalization, stage, tensor)(weights), stage.ties, weights)
    return tuple(tensor.alternatives[stage.eligible[i]] for i in order[0, :select])


def check(problem: Problem, options: Options) -> None:
    """The checks that need both the problem and the options (``exclude_self`` names known alternatives)."""
    known = set(problem.alternatives)
    for alternative in options.exclude_self:
        if alternative not in known:
            raise RankingInputError(f"exclude_self: unknown alternative {alternative!r}")


def rank(problem: Problem, options: Options | None = None) -> Result:
    """Rank ``problem`` under ``options`` (default: weighted sum, select 1, quorum 1, 10,000 samples)."""
    options = options or Options()
    check(problem, options)
    tensor = build_tensor(problem, options.exclude_self)
    method, normalization, quorum = options.method, options.resolved_normalization, options.quorum
    stage = _stage(tensor, quorum)
    names = tuple(tensor.alternatives[i] for i in stage.eligible)
    select = min(options.select, len(names))
    weights = tensor.weights
    scorer = _scorer(method, normalization, stage, tensor)

    ranking: tuple[RankedAlternative, ...] = ()
    ties: tuple[Tie, ...] = ()
    order = np.zeros(0, dtype=np.int64)
    if names:
        scores = scorer(weights[np.newaxis, :])[0]
        rows, groups = order_rows(scores[np.newaxis, :], stage.ties, weights[np.newaxis, :])
        order = rows[0]
        voters = stage.aggregate.voters[stage.eligible]
        ranking = tuple(
            RankedAlternative(names[i], float(scores[i]), position + 1, int(voters[i])) for position, i in enumerate(order)
        )
        ties = _ties(order, groups[0], scores, names, stage.ties, select)
    selected = tuple(names[i] for i in order[:select])

    contribution_matrix = _matrix(stage, "scale" if method in SOCIAL_METHODS else normalization, tensor) * weights
    pairwise_matrix, paths = _social_tables(method, stage, weights)
    return Result(
        method=method,
        normalization=normalization,
        select=options.select,
        quorum=quorum,
        weights={c: float(w) for c, w in zip(tensor.criterion_ids, weights, strict=True)},
        ranking=ranking,
        selected=selected,
        ties=ties,
        ineligible=tuple((a, int(n)) for a, n in zip(tensor.alternatives, stage.aggregate.voters, strict=True) if n < quorum),
        agreement=_agreement(options, stage, tensor, selected),
        sensitivity=_sensitivity(options, method, scorer, stage, tensor, select, names),
        leave_one_out=_leave_one_out(options, tensor, selected),
        weight_intervals=_intervals(method, normalization, scorer, stage, tensor, order[:select]),
        contributions={
            name: {c: float(contribution_matrix[i, j]) for j, c in enumerate(tensor.criterion_ids)}
            for i, name in enumerate(names)
        },
        tensor=tensor,
        aggregate=stage.aggregate,
        pairwise=pairwise_matrix,
        strongest_paths=paths,
        warnings=_warnings(tensor, options, len(names)),
    )


def _agreement(options: Options, stage: _Stage, tensor: ScoreTensor, selected: tuple[str, ...]) -> dict[str, Agreement]:
    """What each other method selects from the same data (wsm/topsis: the normalisation asked for, else
    their default)."""
    agreement = {}
    for other in METHODS:
        if other == options.method:
            continue
        normalization = None if other in SOCIAL_METHODS else (options.normalization or DEFAULT_NORMALIZATION[other])
        chosen = _selection(other, normalization or "scale", stage, tensor, len(selected))
        agreement[other] = Agreement(chosen, set(chosen) == set(selected), normalization)
    return agreement


def _leave_one_out(options: Options, tensor: ScoreTensor, selected: tuple[str, ...]) -> tuple[LeaveOneOut, ...]:
    """For each voter, the whole ranking again without their ballot (quorum included)."""
    found = []
    for v, voter in enumerate(tensor.voters):
        keep = np.ones(len(tensor.voters), dtype=bool)
        keep[v] = False
        stage = _stage(tensor, options.quorum, keep)
        without = _selection(options.method, options.resolved_normalization, stage, tensor, options.select)
        found.append(LeaveOneOut(voter, without, set(without) != set(selected)))
    return tuple(found)


def _intervals(
    method: str, normalization: str, scorer: Scorer, stage: _Stage, tensor: ScoreTensor, selected: IntArray
) -> dict[str, WeightInterval]:
    """Weight intervals: exact for wsm where it can be, bisection otherwise."""
    weights = tensor.weights
    if stage.eligible.size == 0:  # nothing is selected, whatever the weights
        low, high = (1.0, 1.0) if weights.size == 1 else (0.0, 1.0)
        return {c: WeightInterval(float(w), low, high, "exact") for c, w in zip(tensor.criterion_ids, weights, strict=True)}
    found: list[WeightInterval | None] = [None] * weights.size
    if method == "wsm":
        found = exact_wsm_intervals(_matrix(stage, normalization, tensor), weights, selected, stage.ties)
    if any(interval is None for interval in found):
        searched = bisection_intervals(scorer, weights, stage.ties, selected.size)
        found = [interval or fallback for interval, fallback in zip(found, searched, strict=True)]
    return {c: interval for c, interval in zip(tensor.criterion_ids, found, strict=True) if interval is not None}


def _social_tables(method: str, stage: _Stage, weights: FloatArray) -> tuple[CountArray | None, CountArray | None]:
    """For the social-choice methods, the pairwise majority counts and (Schulze) the strongest paths."""
    if method not in SOCIAL_METHODS or stage.eligible.size == 0:
        return None, None
    agg = stage.aggregate
    own = individual_scores(agg.individual[:, stage.eligible], weights[np.newaxis, :])
    wins, _ = pairwise(own, agg.scored[:, stage.eligible])
    return wins[0], (strongest_paths(wins)[0] if method == "schulze" else None)


def _warnings(tensor: ScoreTensor, options: Options, eligible: int) -> tuple[str, ...]:
    notes = []
    if eligible == 0:
        notes.append(f"no alternative reaches the quorum of {options.quorum} voters: nothing is ranked or selected")
    elif eligible < options.select:
        quorum, wanted = options.quorum, options.select
        notes.append(f"only {eligible} alternative(s) reach the quorum of {quorum} voters: selecting {eligible}, not {wanted}")
    for alternative, voter, _ in tensor.excluded:
        if voter not in tensor.voters:
            notes.append(f"exclude_self: {voter!r} cast no ballot, so nothing is excluded for {alternative!r}")
    return tuple(notes)


def _ties(
    order: IntArray, groups: IntArray, scores: FloatArray, names: tuple[str, ...], keys: TieRule, select: int
) -> tuple[Tie, ...]:
    """Report each group of tied scores: its members in final order and the step between neighbours."""
    found = []
    group_of_position = groups[order]
    for group in np.unique(group_of_position):
        places = np.flatnonzero(group_of_position == group)
        if places.size < 2:
            continue
        members = order[places]
        breaks = tuple(TieBreak((names[a], names[b]), keys.deciding_step(int(a), int(b))) for a, b in itertools.pairwise(members))
        found.append(
            Tie(
                alternatives=tuple(names[a] for a in members),
                ranks=tuple(int(p) + 1 for p in places),
                score=float(scores[members[0]]),
                broken_by=breaks,
                affects_selection=bool(places[0] < select <= places[-1]),
            )
        )
    return tuple(found)


def _sensitivity(
    options: Options, method: str, scorer: Scorer, stage: _Stage, tensor: ScoreTensor, select: int, names: tuple[str, ...]
) -> Sensitivity | None:
    settings = options.sensitivity
    if settings is None:
        return None
    samples, amount = settings.samples, settings.perturbation
    count = stage.eligible.size
    if samples == 0 or count == 0:
        return Sensitivity(samples, settings.seed, amount, names, None, None)
    if method in SOCIAL_METHODS:
        needed = work(method, len(tensor.voters), count, samples * (2 if amount else 1))
        if needed > MAX_SOCIAL_WORK:
            raise RankingInputError(
                f"sensitivity: {samples} samples of {method} over {count} alternatives would take about {needed:.1e} "
                f"operations (limit {MAX_SOCIAL_WORK:.0e}); ask for fewer samples"
            )
    uniform_rng, perturbation_rng = generators(settings.seed)
    weights = tensor.weights
    uniform = acceptability(scorer, uniform_weights(uniform_rng, samples, weights.size), stage.ties, select)
    perturbed = None
    if amount is not None:
        perturbed = acceptability(scorer, perturbed_weights(perturbation_rng, samples, weights, amount), stage.ties, select)
    return Sensitivity(samples, settings.seed, amount, names, uniform, perturbed)
