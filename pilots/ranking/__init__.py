"""Multi-criteria ranking of challenges: pure numpy, no Flask, no database (see docs/ranking.md).

Cities score alternatives (challenges) on weighted criteria; :func:`rank` aggregates the ballots, ranks
the alternatives with a weighted sum, TOPSIS, or a social-choice method (Borda, Copeland, Schulze),
breaks ties with a fixed rule, selects the first ``select`` and tests how robust that selection is.
:mod:`pilots.ranking.contract` wraps it all in a JSON-in, JSON-out contract; :func:`ahp` turns pairwise
comparisons into criteria weights.
"""

from __future__ import annotations

from pilots.ranking.ahp import RANDOM_INDEX, AHPResult, ahp
from pilots.ranking.contract import canonical_json, run, sha256, validate
from pilots.ranking.engine import Agreement, LeaveOneOut, RankedAlternative, Result, Sensitivity, Tie, TieBreak, rank
from pilots.ranking.errors import RankingInputError
from pilots.ranking.methods import normalise, topsis_scores, wsm_scores
from pilots.ranking.model import METHODS, NORMALIZATIONS, Ballot, Criterion, Options, Problem, SensitivityOptions
from pilots.ranking.robustness import Acceptability, WeightInterval
from pilots.ranking.social import borda, copeland, schulze, strongest_paths

__all__ = [
    "METHODS",
    "NORMALIZATIONS",
    "RANDOM_INDEX",
    "AHPResult",
    "Acceptability",
    "Agreement",
    "Ballot",
    "Criterion",
    "LeaveOneOut",
    "Options",
    "Problem",
    "RankedAlternative",
    "RankingInputError",
    "Result",
    "Sensitivity",
    "SensitivityOptions",
    "Tie",
    "TieBreak",
    "WeightInterval",
    "ahp",
    "borda",
    "canonical_json",
    "copeland",
    "normalise",
    "rank",
    "run",
    "schulze",
    "sha256",
    "strongest_paths",
    "topsis_scores",
    "validate",
    "wsm_scores",
]
