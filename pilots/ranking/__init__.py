"""Multi-criteria ranking of challenges: pure numpy, no Flask, no database (see docs/ranking.md).

Cities score alternatives (challenges) on weighted criteria; :func:`rank` aggregates the ballots, ranks
the alternatives with a weighted sum, TOPSIS, or a social-choice method (Borda, Copeland, Schulze),
breaks ties with a fixed rule, selects the first ``select`` and tests how robust that selection is.
:mod:`pilots.ranking.contract` wraps it all in a JSON-in, JSON-out contract; :func:`ahp` turns pairwise
comparisons into criteria weights. Contract version 2 adds :mod:`pilots.ranking.group` (group weights
from the cities' own), :mod:`pilots.ranking.consensus` (spread, Kendall's W, Delphi) and
:mod:`pilots.ranking.capacity` (the best set that fits a capacity).
"""

from __future__ import annotations

from pilots.ranking.ahp import RANDOM_INDEX, AHPResult, ahp
from pilots.ranking.capacity import Choice, FrontPoint, choose
from pilots.ranking.consensus import consensus_summary, delphi_summary, kendall_w
from pilots.ranking.contract import canonical_json, run, sha256, validate
from pilots.ranking.engine import Agreement, LeaveOneOut, RankedAlternative, Result, Sensitivity, Tie, TieBreak, rank
from pilots.ranking.errors import RankingInputError
from pilots.ranking.group import distance_from_group, geometric_mean_weights
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
    "Choice",
    "Criterion",
    "FrontPoint",
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
    "choose",
    "consensus_summary",
    "copeland",
    "delphi_summary",
    "distance_from_group",
    "geometric_mean_weights",
    "kendall_w",
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
