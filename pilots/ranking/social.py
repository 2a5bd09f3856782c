"""Social-choice methods: Borda, Copeland and Schulze on the voters' own rankings.

Each voter ranks the alternatives they scored by their **own weighted sum** (declared-scale
normalisation, the group's weights; a criterion the voter left out counts at the group's mean for that
cell). From these individual rankings the engine counts, for every ordered pair (a, b), how many voters
put a strictly above b (``d[a, b]``) and how many rank them equal. Only voters who scored both a and b
take part in that pair: a voter says nothing about an alternative they did not score.

* **Borda** (partial rankings): a voter gives an alternative one point per other alternative they scored
  and ranked lower, and half a point per one they ranked equal; unscored alternatives neither give nor
  receive points from that voter. This equals ``sum_b d[a, b] + ties / 2``.
* **Copeland**: a beats b when ``d[a, b] > d[b, a]``; the score is wins minus losses.
* **Schulze** (Wikipedia's definition, "winning votes"): a link a→b has strength ``d[a, b]`` when
  ``d[a, b] > d[b, a]`` and 0 otherwise; ``p[a, b]`` is the strength of the strongest path (widest path,
  Floyd–Warshall); a beats b when ``p[a, b] > p[b, a]``. This relation is transitive, so the number of
  alternatives each one beats orders them consistently: that count is the score.

Everything is vectorised over a stack of weight vectors (for the sensitivity analysis); the stack is cut
in chunks so that the voters × alternatives² comparison never holds more than a few million cells.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from pilots.ranking.aggregate import BoolArray, FloatArray

#: Two individual weighted sums closer than this are an individual tie (they are on a 0..1 scale).
INDIVIDUAL_TOLERANCE = 1e-12
#: Cells of the (samples, voters, alternatives, alternatives) comparison computed at once.
CHUNK_CELLS = 1 << 22


def individual_scores(individual: FloatArray, weights: FloatArray) -> FloatArray:
    """Each voter's own weighted sum: ``P[s, v, a] = sum_c W[s, c] * individual[v, a, c]``."""
    voters, alternatives, criteria = individual.shape
    flat = individual.reshape(voters * alternatives, criteria) @ weights.T
    return flat.T.reshape(weights.shape[0], voters, alternatives)


def count_dtype(voters: int) -> type[np.unsignedinteger]:
    """The smallest unsigned integer type that holds a count of ``voters`` (less memory, faster paths)."""
    return np.uint8 if voters < 256 else np.uint16 if voters < 65536 else np.uint32


def pairwise(scores: FloatArray, scored: BoolArray) -> tuple[npt.NDArray[np.unsignedinteger], npt.NDArray[np.int64]]:
    """``d[s, a, b]``: voters ranking a strictly above b; ``t[a, b]``: voters ranking them equal (a != b).

    ``scores`` is ``P[s, v, a]``; ``scored[v, a]`` says whether voter v scored alternative a. Unscored cells
    are set to NaN, and every comparison with NaN is false, so a voter only takes part in the pairs of
    alternatives they scored both of; among those, each voter counts exactly once as a>b, b>a or a tie,
    so ``t = both - d - d^T`` where ``both[a, b]`` counts the voters who scored a and b.
    """
    voters = scored.shape[0]
    own = np.where(scored[np.newaxis], scores, np.nan)
    above = own[:, :, :, np.newaxis] > own[:, :, np.newaxis, :] + INDIVIDUAL_TOLERANCE
    wins = above.sum(axis=1, dtype=count_dtype(voters))
    counts = scored.astype(np.int64)
    both = counts.T @ counts
    ties = both[np.newaxis] - wins - np.swapaxes(wins, -1, -2).astype(np.int64)
    diagonal = np.arange(scored.shape[1])
    ties[:, diagonal, diagonal] = 0
    return wins, ties


def borda(wins: npt.NDArray[np.unsignedinteger], ties: npt.NDArray[np.int64]) -> FloatArray:
    return wins.sum(axis=-1, dtype=np.float64) + 0.5 * ties.sum(axis=-1, dtype=np.float64)


def copeland(wins: npt.NDArray[np.unsignedinteger]) -> FloatArray:
    other = np.swapaxes(wins, -1, -2)
    return (wins > other).sum(axis=-1, dtype=np.float64) - (wins < other).sum(axis=-1, dtype=np.float64)


def strongest_paths(wins: npt.NDArray[np.unsignedinteger]) -> npt.NDArray[np.unsignedinteger]:
    """Schulze's ``p[s, a, b]``: widest-path strengths, Floyd–Warshall over a stack of pairwise matrices."""
    paths = np.where(wins > np.swapaxes(wins, -1, -2), wins, 0).astype(wins.dtype)
    size = wins.shape[-1]
    diagonal = np.arange(size)
    paths[..., diagonal, diagonal] = 0
    through = np.empty_like(paths)
    for via in range(size):
        # p[j, k] = max(p[j, k], min(p[j, via], p[via, k])); row and column `via` cannot change.
        np.minimum(paths[..., :, via : via + 1], paths[..., via : via + 1, :], out=through)
        np.maximum(paths, through, out=paths)
    paths[..., diagonal, diagonal] = 0
    return paths


def schulze(wins: npt.NDArray[np.unsignedinteger]) -> FloatArray:
    paths = strongest_paths(wins)
    return (paths > np.swapaxes(paths, -1, -2)).sum(axis=-1, dtype=np.float64)


def from_pairwise(method: str, wins: npt.NDArray[np.unsignedinteger], ties: npt.NDArray[np.int64]) -> FloatArray:
    if method == "borda":
        return borda(wins, ties)
    if method == "copeland":
        return copeland(wins)
    if method == "schulze":
        return schulze(wins)
    raise ValueError(f"not a social-choice method: {method!r}")  # pragma: no cover - guarded by Options


def social_scorer(method: str, individual: FloatArray, scored: BoolArray) -> Callable[[FloatArray], FloatArray]:
    """A function ``W (samples × criteria) -> scores (samples × alternatives)`` for Borda/Copeland/Schulze."""
    voters, alternatives, _ = individual.shape
    chunk = max(1, CHUNK_CELLS // max(1, voters * alternatives * alternatives))

    def score(weights: FloatArray) -> FloatArray:
        out = np.empty((weights.shape[0], alternatives))
        for start in range(0, weights.shape[0], chunk):
            part = weights[start : start + chunk]
            wins, ties = pairwise(individual_scores(individual, part), scored)
            out[start : start + chunk] = from_pairwise(method, wins, ties)
        return out

    return score


def work(method: str, voters: int, alternatives: int, evaluations: int) -> float:
    """Rough count of elementary operations for ``evaluations`` weight vectors (for the cost guard)."""
    cells = float(voters) * alternatives * alternatives
    if method == "schulze":
        cells += float(alternatives) ** 3
    return cells * evaluations
