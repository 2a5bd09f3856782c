"""Benchmarks of the ranking engine (pilots.ranking): pure numpy, no database.

* ``ranking-full``: the whole JSON contract on 14 voters × 200 alternatives × 8 criteria (alternatives
  scale with ``--scale``): aggregation, ranking, ties, agreement of the five methods, 10,000 uniform and
  10,000 perturbed SMAA samples, leave-one-voter-out and the weight intervals.
* ``ranking-full-v2``: the same round as contract version 2 with each city's own weights (ranked with their
  geometric mean), an effort per challenge and a capacity: everything of ``ranking-full`` plus the consensus
  block (per-cell spread, Kendall's W, each city's Spearman), the group weights and the exact capacity choice.
* ``ranking-capacity``: the capacity choice alone (exact, with its front) for 250 challenges, select 2.
* ``ranking-wsm-vs-pymcdm`` / ``ranking-topsis-vs-pymcdm``: one scoring call of ours on a 200 × 8 matrix
  (normalisation included) against pymcdm's on the same matrix and weights, side by side in the facts: µs
  per call, best of 5 timeit runs of 2,000 calls each (pymcdm with and without its input validation), and
  how many times faster ours is.
"""

from __future__ import annotations

import timeit
from collections.abc import Callable

import numpy as np

from bench.harness import Context, benchmark
from pilots.ranking import capacity, contract, normalise, topsis_scores, wsm_scores

VOTERS, ALTERNATIVES, CRITERIA, SAMPLES = 14, 200, 8, 10_000


def snapshot(alternatives: int, voters: int = VOTERS, criteria: int = CRITERIA, seed: int = 2017, samples: int = SAMPLES) -> dict:
    """A contract document like a real round: integer scores 0..10, about 5% of cells left out, each
    city proposing one challenge it may not score, a quorum of 3."""
    rng = np.random.default_rng(seed)
    names = [f"challenge-{i:03d}" for i in range(alternatives)]
    cities = [f"city-{v:02d}" for v in range(voters)]
    ids = [f"criterion-{j}" for j in range(criteria)]
    scores = rng.integers(0, 11, size=(voters, alternatives, criteria))
    present = rng.random(size=(voters, alternatives, criteria)) > 0.05
    return {
        "alternatives": names,
        "criteria": [
            {"id": c, "weight": int(rng.integers(1, 6)), "direction": "cost" if j % 4 == 3 else "benefit", "scale": [0, 10]}
            for j, c in enumerate(ids)
        ],
        "ballots": [
            {
                "voter": city,
                "scores": {
                    name: {c: int(scores[v, a, j]) for j, c in enumerate(ids) if present[v, a, j]} for a, name in enumerate(names)
                },
            }
            for v, city in enumerate(cities)
        ],
        "method": "wsm",
        "select": 2,
        "sensitivity": {"samples": samples, "seed": 1, "perturbation": 0.2},
        "exclude_self": {names[v]: city for v, city in enumerate(cities) if v < alternatives},
        "quorum": 3,
    }


@benchmark(
    "ranking-full", "the ranking contract: 14 voters, 200 alternatives, 8 criteria, 2 × 10,000 SMAA samples, LOO, intervals"
)
def ranking_full(context: Context):
    alternatives = context.size(ALTERNATIVES)
    document = snapshot(alternatives)
    context.facts_by_bench["ranking-full"] = {
        "voters": VOTERS,
        "alternatives": alternatives,
        "criteria": CRITERIA,
        "samples": 2 * SAMPLES,
    }
    return lambda: contract.run(document)


def snapshot_v2(alternatives: int, seed: int = 2017) -> dict:
    """:func:`snapshot` as a version-2 document: each city's weights (1..9 per criterion), an effort per
    challenge (0.5 to 12 person-months, in halves) and a capacity of about three average efforts."""
    document = snapshot(alternatives, seed=seed)
    rng = np.random.default_rng(seed + 1)
    criteria = [c["id"] for c in document["criteria"]]
    efforts = {name: float(rng.integers(1, 25)) / 2 for name in document["alternatives"]}
    return {
        **document,
        "version": 2,
        "voter_weights": {b["voter"]: {c: int(rng.integers(1, 10)) for c in criteria} for b in document["ballots"]},
        "weight_aggregation": "geometric_mean",
        "effort": efforts,
        "capacity": round(3 * sum(efforts.values()) / len(efforts), 2),
        "tie_break": {"rule": "first_criterion_then_draw", "seed": 1},
    }


@benchmark(
    "ranking-full-v2",
    "contract version 2: ranking-full plus city weights (geometric mean), consensus, capacity choice and tie-break rule",
)
def ranking_full_v2(context: Context):
    alternatives = context.size(ALTERNATIVES)
    document = snapshot_v2(alternatives)
    context.facts_by_bench["ranking-full-v2"] = {
        "voters": VOTERS,
        "alternatives": alternatives,
        "criteria": CRITERIA,
        "samples": 2 * SAMPLES,
        "capacity": document["capacity"],
    }
    return lambda: contract.run(document)


@benchmark("ranking-capacity", "the exact capacity choice (best set within the capacity, and its front) for 250 challenges")
def ranking_capacity(context: Context):
    count = context.size(250)
    rng = np.random.default_rng(5)
    names = [f"challenge-{i:03d}" for i in range(count)]
    scores = {name: float(rng.uniform(0, 1)) for name in names}
    efforts = {name: float(rng.integers(1, 1201)) / 100 for name in names}  # 0.01 to 12.00, in hundredths
    limit = round(3 * sum(efforts.values()) / count, 2)
    order = sorted(names, key=lambda name: -scores[name])
    context.facts_by_bench["ranking-capacity"] = {"challenges": count, "select": 2, "capacity": limit}
    return lambda: capacity.choose(scores, efforts, limit, 2, order)


def _decision_problem(seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    matrix = rng.uniform(1.0, 100.0, size=(ALTERNATIVES, CRITERIA))
    weights = rng.uniform(1.0, 5.0, size=CRITERIA)
    types = np.where(np.arange(CRITERIA) % 4 == 3, -1, 1)
    return matrix, weights / weights.sum(), types


def _best_us(call: Callable[[], object], number: int = 2000, repeat: int = 5) -> float:
    """µs per call: the best of ``repeat`` timeit runs of ``number`` calls (the least disturbed run)."""
    call()
    return round(min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6, 2)


def _versus(context: Context, name: str, method: str, normalization: str):
    from pymcdm import methods, normalizations  # a development dependency: imported only when benchmarked

    matrix, weights, types = _decision_problem()
    cost = types == -1
    model = {"wsm": methods.WSM, "topsis": methods.TOPSIS}[method](
        normalization_function=getattr(normalizations, f"{normalization}_normalization")
    )
    score = {"wsm": wsm_scores, "topsis": topsis_scores}[method]
    stacked = weights[np.newaxis, :]

    def ours():
        return score(normalise(matrix, normalization, cost), stacked)[0]

    def theirs():
        return model(matrix, weights, types)

    def theirs_unchecked():
        return model(matrix, weights, types, validation=False)

    assert np.allclose(ours(), theirs(), rtol=0, atol=1e-9)
    ours_us, theirs_us, unchecked_us = _best_us(ours), _best_us(theirs), _best_us(theirs_unchecked)
    context.facts_by_bench[name] = {
        "matrix": f"{ALTERNATIVES}x{CRITERIA}",
        "normalization": normalization,
        "ours_us": ours_us,
        "pymcdm_us": theirs_us,
        "pymcdm_without_validation_us": unchecked_us,
        "pymcdm_over_ours": round(theirs_us / ours_us, 1),
        "pymcdm_without_validation_over_ours": round(unchecked_us / ours_us, 2),
    }
    return ours


@benchmark("ranking-wsm-vs-pymcdm", "one weighted-sum call (min-max normalisation) on 200 × 8: ours; pymcdm's in the facts")
def ranking_wsm_vs_pymcdm(context: Context):
    return _versus(context, "ranking-wsm-vs-pymcdm", "wsm", "minmax")


@benchmark("ranking-topsis-vs-pymcdm", "one TOPSIS call (vector normalisation) on 200 × 8: ours; pymcdm's in the facts")
def ranking_topsis_vs_pymcdm(context: Context):
    return _versus(context, "ranking-topsis-vs-pymcdm", "topsis", "vector")
