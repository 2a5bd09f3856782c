"""Group weights from the cities' own weights (contract version 2, see docs/ranking.md).

Each city may say how much each criterion matters to it. :func:`geometric_mean_weights` combines them the
way the AHP literature aggregates individual priorities (Forman & Peniwati, 1998): every city's weights
are divided by their sum, the group weight of a criterion is the geometric mean of the cities' weights
for it, and the group weights are divided by their sum again. Scaling one city's weights by any factor
changes nothing; a city that gives a criterion 0 gives it a group weight of 0 (a veto).

:func:`distance_from_group` says how far each city's weights are from a weight vector (the group's or
the committee's): **half the L1 distance** of the two normalised vectors, ``sum |w_city - w_group| / 2``.
It is the share of the total weight that would have to move from some criteria to others for the city's
weights to become the group's: 0 for the same weights, 1 at most (all weight on different criteria).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from pilots.ranking.errors import RankingInputError
from pilots.ranking.model import check_id, finite_number


def city_vector(city: str, weights: object, criteria: list[str]) -> np.ndarray:
    """One city's weights as a vector in ``criteria`` order, normalised to sum 1.

    Refuses a non-mapping, a missing or unknown criterion, a negative, non-numeric or non-finite weight
    and weights that are all zero, each time naming the city."""
    check_id(city, "voter_weights: city")
    where = f"voter_weights[{city!r}]"
    if not isinstance(weights, Mapping):
        raise RankingInputError(f"{where}: expected an object criterion -> weight, got {weights!r}")
    unknown = sorted(str(c) for c in weights if c not in criteria)
    if unknown:
        raise RankingInputError(f"{where}: unknown criterion(s) {unknown}; expected {sorted(criteria)}")
    missing = [c for c in criteria if c not in weights]
    if missing:
        raise RankingInputError(f"{where}: missing weight(s) for {missing}; give every criterion a weight (0 allowed)")
    values = []
    for criterion in criteria:
        value = weights[criterion]
        number = finite_number(value, f"{where}[{criterion!r}]")
        if number < 0:
            raise RankingInputError(f"{where}[{criterion!r}]: a weight must be >= 0, got {value!r}")
        values.append(number)
    vector = np.array(values, dtype=np.float64)
    total = vector.sum()
    if not total > 0:
        raise RankingInputError(f"{where}: every weight is 0; give at least one criterion a weight > 0")
    return vector / total


def city_weight_table(city_weights: Mapping[str, Mapping[str, float]], criteria: list[str]) -> dict[str, dict[str, float]]:
    """Each city's weights normalised to sum 1: ``{city: {criterion: weight}}``, cities in id order."""
    _check_table(city_weights)
    return {
        city: dict(zip(criteria, city_vector(city, city_weights[city], criteria).tolist(), strict=True))
        for city in sorted(city_weights)
    }


def _check_table(city_weights: object) -> None:
    if not isinstance(city_weights, Mapping):
        raise RankingInputError(f"voter_weights: expected an object city -> {{criterion: weight}}, got {city_weights!r}")
    if not city_weights:
        raise RankingInputError("voter_weights: no city gave weights")


def geometric_mean_weights(city_weights: Mapping[str, Mapping[str, float]], criteria: list[str]) -> dict[str, float]:
    """The group weights: per criterion the geometric mean of the cities' normalised weights, renormalised.

    ``criteria`` fixes the criteria (each city must give every one of them a weight >= 0, not all 0).
    Refuses (RankingInputError) a bad city, naming it, and a result where every criterion has weight 0."""
    if not criteria:
        raise RankingInputError("voter_weights: there are no criteria to weigh")
    _check_table(city_weights)
    table = np.array([city_vector(city, city_weights[city], criteria) for city in sorted(city_weights)])
    with np.errstate(divide="ignore"):
        logs = np.log(table)
    means = np.exp(logs.mean(axis=0))  # log(0) = -inf gives exp(-inf) = 0: a zero from one city is a veto
    total = means.sum()
    if not total > 0:
        raise RankingInputError(
            "voter_weights: every criterion was given 0 by some city, so the geometric mean of every criterion is 0"
        )
    return dict(zip(criteria, (means / total).tolist(), strict=True))


def distance_from_group(city_weights: Mapping[str, Mapping[str, float]], group: Mapping[str, float]) -> dict[str, float]:
    """Per city, half the L1 distance between its normalised weights and ``group`` (normalised too): 0..1.

    The criteria are those of ``group``; every city must weigh exactly those."""
    criteria = list(group)
    reference = city_vector("group", group, criteria) if criteria else np.zeros(0)
    _check_table(city_weights)
    return {
        city: float(np.abs(city_vector(city, city_weights[city], criteria) - reference).sum() / 2)
        for city in sorted(city_weights)
    }
