"""The input model: alternatives, criteria, ballots and the options of a ranking run.

Every dataclass here checks itself when it is built and raises :class:`RankingInputError` with a message
that names the offending alternative, criterion or voter. Ids are non-empty strings. The engine never
depends on the order in which alternatives, criteria or ballots are given: internally everything is
sorted by id (see :mod:`pilots.ranking.aggregate`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Real
from typing import Literal, get_args

from pilots.ranking.errors import RankingInputError

Direction = Literal["benefit", "cost"]
Method = Literal["wsm", "topsis", "borda", "copeland", "schulze"]
Normalization = Literal["scale", "vector", "minmax"]

DIRECTIONS: tuple[str, ...] = get_args(Direction)
METHODS: tuple[str, ...] = get_args(Method)
NORMALIZATIONS: tuple[str, ...] = get_args(Normalization)
#: Methods that aggregate the voters' individual rankings instead of the mean scores.
SOCIAL_METHODS: tuple[str, ...] = ("borda", "copeland", "schulze")
#: The normalisation each score-based method uses when none is asked for.
DEFAULT_NORMALIZATION: dict[str, str] = {"wsm": "scale", "topsis": "vector"}
#: Upper bound on ``samples``: beyond it the sampling error is far below anything the output shows.
MAX_SAMPLES = 1_000_000


def is_number(value: object) -> bool:
    """True for ints and floats (numpy's included) but not for booleans, which JSON keeps apart."""
    return isinstance(value, Real) and not isinstance(value, bool)


def finite_number(value: object, where: str) -> float:
    """``value`` as a float, or RankingInputError if it is not a finite number."""
    if not is_number(value):
        raise RankingInputError(f"{where}: expected a number, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise RankingInputError(f"{where}: expected a finite number, got {value!r}")
    return number


def check_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise RankingInputError(f"{where}: an id must be a non-empty string, got {value!r}")
    return value


def check_count(value: object, where: str, minimum: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RankingInputError(f"{where}: expected an integer, got {value!r}")
    if value < minimum:
        raise RankingInputError(f"{where}: must be at least {minimum}, got {value}")
    return value


def _unique(ids: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise RankingInputError(f"{what} {item!r} is given twice")
        seen.add(item)


@dataclass(frozen=True)
class Criterion:
    """One criterion: its weight (> 0, any unit: weights are normalised to sum 1), whether more is
    better (``benefit``) or worse (``cost``), and the declared scale ``(min, max)`` of its scores."""

    id: str
    weight: float
    direction: Direction
    scale: tuple[float, float]

    def __post_init__(self) -> None:
        check_id(self.id, "criterion id")
        where = f"criterion {self.id!r}"
        weight = finite_number(self.weight, f"{where}: weight")
        if weight <= 0:
            raise RankingInputError(f"{where}: weight must be > 0, got {self.weight!r}")
        if self.direction not in DIRECTIONS:
            raise RankingInputError(f"{where}: direction must be one of {list(DIRECTIONS)}, got {self.direction!r}")
        if isinstance(self.scale, str | bytes) or not isinstance(self.scale, Sequence) or len(self.scale) != 2:
            raise RankingInputError(f"{where}: scale must be a pair [min, max], got {self.scale!r}")
        low = finite_number(self.scale[0], f"{where}: scale min")
        high = finite_number(self.scale[1], f"{where}: scale max")
        if not low < high:
            raise RankingInputError(f"{where}: scale min must be below scale max, got [{self.scale[0]!r}, {self.scale[1]!r}]")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "scale", (low, high))


@dataclass(frozen=True)
class Ballot:
    """One voter's scores: ``scores[alternative][criterion] = number``. A missing cell is an abstention."""

    voter: str
    scores: Mapping[str, Mapping[str, float]]

    def __post_init__(self) -> None:
        check_id(self.voter, "ballot voter")
        if not isinstance(self.scores, Mapping):
            raise RankingInputError(f"ballot of {self.voter!r}: scores must be a mapping alternative -> criterion -> number")
        frozen: dict[str, dict[str, float]] = {}
        for alternative, cells in self.scores.items():
            where = f"ballot of {self.voter!r}, alternative {alternative!r}"
            if not isinstance(cells, Mapping):
                raise RankingInputError(f"{where}: expected a mapping criterion -> number, got {cells!r}")
            frozen[alternative] = {
                criterion: finite_number(value, f"{where}, criterion {criterion!r}") for criterion, value in cells.items()
            }
        object.__setattr__(self, "scores", frozen)


@dataclass(frozen=True)
class Problem:
    """The alternatives, the criteria and the ballots. Checks that every score names a known alternative
    and criterion and lies on that criterion's declared scale (bounds included)."""

    alternatives: tuple[str, ...]
    criteria: tuple[Criterion, ...]
    ballots: tuple[Ballot, ...] = ()

    def __post_init__(self) -> None:
        for name in ("alternatives", "criteria", "ballots"):
            value = getattr(self, name)
            if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
                raise RankingInputError(f"{name} must be a list, got {type(value).__name__}")
            object.__setattr__(self, name, tuple(value))
        if not self.alternatives:
            raise RankingInputError("alternatives: there must be at least one alternative")
        if not self.criteria:
            raise RankingInputError("criteria: there must be at least one criterion")
        for alternative in self.alternatives:
            check_id(alternative, "alternative")
        for criterion in self.criteria:
            if not isinstance(criterion, Criterion):
                raise RankingInputError(f"criteria: expected Criterion objects, got {criterion!r}")
        for ballot in self.ballots:
            if not isinstance(ballot, Ballot):
                raise RankingInputError(f"ballots: expected Ballot objects, got {ballot!r}")
        _unique(self.alternatives, "alternative")
        _unique([c.id for c in self.criteria], "criterion")
        _unique([b.voter for b in self.ballots], "ballot for voter")
        known = set(self.alternatives)
        scales = {c.id: c.scale for c in self.criteria}
        for ballot in self.ballots:
            for alternative, cells in ballot.scores.items():
                if alternative not in known:
                    raise RankingInputError(f"ballot of {ballot.voter!r}: unknown alternative {alternative!r}")
                for name, value in cells.items():
                    if name not in scales:
                        raise RankingInputError(
                            f"ballot of {ballot.voter!r}, alternative {alternative!r}: unknown criterion {name!r}"
                        )
                    low, high = scales[name]
                    if not low <= value <= high:
                        raise RankingInputError(
                            f"ballot of {ballot.voter!r}, alternative {alternative!r}, criterion {name!r}: "
                            f"{value!r} is outside the declared scale [{low!r}, {high!r}]"
                        )


@dataclass(frozen=True)
class SensitivityOptions:
    """SMAA sampling: ``samples`` weight vectors (0 turns sampling off) from a generator seeded with
    ``seed``; ``perturbation`` (0 < p < 1) adds the variant that multiplies each chosen weight by a
    uniform factor in [1 - p, 1 + p] and renormalises."""

    samples: int = 10_000
    seed: int = 1
    perturbation: float | None = None

    def __post_init__(self) -> None:
        check_count(self.samples, "sensitivity.samples", 0)
        if self.samples > MAX_SAMPLES:
            raise RankingInputError(f"sensitivity.samples: at most {MAX_SAMPLES}, got {self.samples}")
        check_count(self.seed, "sensitivity.seed", 0)
        if self.perturbation is not None:
            amount = finite_number(self.perturbation, "sensitivity.perturbation")
            if not 0 < amount < 1:
                raise RankingInputError(f"sensitivity.perturbation: must be strictly between 0 and 1, got {self.perturbation!r}")
            object.__setattr__(self, "perturbation", amount)


@dataclass(frozen=True)
class Options:
    """How to rank.

    ``method``: ``wsm`` (default), ``topsis``, ``borda``, ``copeland`` or ``schulze``.
    ``normalization``: ``scale`` / ``minmax`` / ``vector`` for wsm and topsis (default: ``scale`` for
    wsm, ``vector`` for topsis); the social-choice methods always use ``scale`` for the voters' own sums.
    ``select``: how many alternatives to select. ``quorum``: the minimum number of voters who scored an
    alternative (on at least one criterion, after ``exclude_self``) for it to be eligible.
    ``exclude_self``: alternative -> voter whose cells for that alternative are ignored.
    ``sensitivity``: SMAA sampling, or None to skip it.
    """

    method: Method = "wsm"
    normalization: Normalization | None = None
    select: int = 1
    quorum: int = 1
    exclude_self: Mapping[str, str] = field(default_factory=dict)
    sensitivity: SensitivityOptions | None = field(default_factory=SensitivityOptions)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise RankingInputError(f"method: unknown method {self.method!r}; expected one of {list(METHODS)}")
        if self.normalization is not None and self.normalization not in NORMALIZATIONS:
            raise RankingInputError(
                f"normalization: unknown normalization {self.normalization!r}; expected one of {list(NORMALIZATIONS)}"
            )
        if self.method in SOCIAL_METHODS and self.normalization not in (None, "scale"):
            raise RankingInputError(
                f"normalization: {self.method} ranks each voter's own weighted sum on the declared scales; "
                f"only 'scale' is allowed, got {self.normalization!r}"
            )
        check_count(self.select, "select", 1)
        check_count(self.quorum, "quorum", 1)
        if not isinstance(self.exclude_self, Mapping):
            raise RankingInputError("exclude_self: expected a mapping alternative -> voter")
        for alternative, voter in self.exclude_self.items():
            check_id(alternative, "exclude_self alternative")
            check_id(voter, f"exclude_self[{alternative!r}]")
        object.__setattr__(self, "exclude_self", dict(self.exclude_self))
        if self.sensitivity is not None and not isinstance(self.sensitivity, SensitivityOptions):
            raise RankingInputError("sensitivity: expected SensitivityOptions or None")

    @property
    def resolved_normalization(self) -> str:
        """The normalisation actually used: the one asked for, else the method's default."""
        return self.normalization or DEFAULT_NORMALIZATION.get(self.method, "scale")
