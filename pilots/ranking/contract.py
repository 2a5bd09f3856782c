"""The JSON contract: one document in, one deterministic document out (see docs/ranking.md).

``run(document)`` validates the input document, ranks it and returns the output document with every float
rounded to 12 significant digits, so that ``canonical_json(run(doc))`` is byte-identical for the same
input on any machine. ``canonical_json`` is JSON with sorted keys, no whitespace, UTF-8 text
(``ensure_ascii=False``) and no NaN/Infinity; ``sha256`` hashes the canonical JSON of any document and
``run`` reports the hash of its input as ``input_sha256``. ``validate(document)`` raises
:class:`RankingInputError` with a message naming the offending key, or returns None.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pilots.ranking.engine import check, rank
from pilots.ranking.errors import RankingInputError
from pilots.ranking.model import Ballot, Criterion, Options, Problem, SensitivityOptions

#: Bumped when the meaning of the output changes.
CONTRACT_VERSION = 1
SIGNIFICANT_DIGITS = 12

TOP_LEVEL_KEYS = (
    "alternatives",
    "criteria",
    "ballots",
    "method",
    "normalization",
    "select",
    "sensitivity",
    "exclude_self",
    "quorum",
)
REQUIRED_KEYS = ("alternatives", "criteria", "ballots")
CRITERION_KEYS = ("id", "weight", "direction", "scale")
BALLOT_KEYS = ("voter", "scores")
SENSITIVITY_KEYS = ("samples", "seed", "perturbation")


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, non-ASCII kept as is; NaN and Infinity are refused."""
    try:
        return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise RankingInputError(f"not representable as canonical JSON: {error}") from None


def sha256(obj: Any) -> str:
    """Hex SHA-256 of the UTF-8 bytes of ``canonical_json(obj)``."""
    return hashlib.sha256(canonical_json(obj).encode("utf-8")).hexdigest()


def _keys(value: object, where: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RankingInputError(f"{where}: expected an object, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise RankingInputError(f"{where}: unknown key(s) {unknown}; allowed: {list(allowed)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise RankingInputError(f"{where}: missing key(s) {missing}")
    return value


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise RankingInputError(f"{where}: expected a list, got {type(value).__name__}")
    return value


def parse(document: object) -> tuple[Problem, Options]:
    """The document as (Problem, Options), or RankingInputError naming what is wrong."""
    doc = _keys(document, "document", TOP_LEVEL_KEYS, REQUIRED_KEYS)
    alternatives = _list(doc["alternatives"], "alternatives")
    criteria = []
    for i, item in enumerate(_list(doc["criteria"], "criteria")):
        entry = _keys(item, f"criteria[{i}]", CRITERION_KEYS, CRITERION_KEYS)
        scale = entry["scale"]
        if not isinstance(scale, list) or len(scale) != 2:
            raise RankingInputError(f"criteria[{i}].scale: expected [min, max], got {scale!r}")
        criteria.append(
            Criterion(id=entry["id"], weight=entry["weight"], direction=entry["direction"], scale=(scale[0], scale[1]))
        )
    ballots = []
    for i, item in enumerate(_list(doc["ballots"], "ballots")):
        entry = _keys(item, f"ballots[{i}]", BALLOT_KEYS, BALLOT_KEYS)
        scores = entry["scores"]
        if not isinstance(scores, Mapping):
            raise RankingInputError(f"ballots[{i}].scores: expected an object alternative -> criterion -> number")
        ballots.append(Ballot(voter=entry["voter"], scores=scores))
    problem = Problem(alternatives=tuple(alternatives), criteria=tuple(criteria), ballots=tuple(ballots))

    options: dict[str, Any] = {}
    for key in ("method", "normalization", "select", "quorum", "exclude_self"):
        if doc.get(key) is not None:
            options[key] = doc[key]
    if "exclude_self" in options and not isinstance(options["exclude_self"], Mapping):
        raise RankingInputError("exclude_self: expected an object alternative -> voter")
    if "sensitivity" in doc:
        if doc["sensitivity"] is None:
            options["sensitivity"] = None
        else:
            settings = _keys(doc["sensitivity"], "sensitivity", SENSITIVITY_KEYS, ())
            options["sensitivity"] = SensitivityOptions(**settings)
    parsed = Options(**options)
    check(problem, parsed)
    return problem, parsed


def validate(document: object) -> None:
    """Raise RankingInputError if ``document`` does not follow the contract; return None otherwise."""
    parse(document)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        if value == 0.0:
            return 0.0
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(v) for v in value]
    return value


def run(document: object) -> dict[str, Any]:
    """Validate, rank and describe: the output document of the contract (floats to 12 significant digits)."""
    problem, options = parse(document)
    out = rank(problem, options).to_dict()
    out["version"] = CONTRACT_VERSION
    out["input_sha256"] = sha256(document)
    return _rounded(out)
