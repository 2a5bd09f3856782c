"""The JSON contract: one document in, one deterministic document out (see docs/ranking.md).

``run(document)`` validates the input document, ranks it and returns the output document with every float
rounded to 12 significant digits, so that ``canonical_json(run(doc))`` is byte-identical for the same
input on any machine. ``canonical_json`` is JSON with sorted keys, no whitespace, UTF-8 text
(``ensure_ascii=False``) and no NaN/Infinity; ``sha256`` hashes the canonical JSON of any document and
``run`` reports the hash of its input as ``input_sha256``. ``validate(document)`` raises
:class:`RankingInputError` with a message naming the offending key, or returns None.

A document without a ``version`` key, or with ``"version": 1``, is version 1 and gives exactly the output
it always gave. ``"version": 2`` adds optional keys (the cities' own weights, efforts and a capacity, a
public tie-break rule, Delphi passes) and output blocks (consensus, Delphi, capacity): see
:func:`run_v2` and the "Contract version 2" section of docs/ranking.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from pilots.ranking import capacity as capacity_module
from pilots.ranking import consensus as consensus_module
from pilots.ranking import group
from pilots.ranking.aggregate import build_tensor
from pilots.ranking.engine import Result, check, rank
from pilots.ranking.errors import RankingInputError
from pilots.ranking.model import Ballot, Criterion, Options, Problem, SensitivityOptions, check_count
from pilots.ranking.ordering import VALUE_DECIMALS, criterion_order

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
#: The contract versions ``run`` understands.
VERSIONS = (1, 2)
#: The keys version 2 adds (all optional).
V2_KEYS = ("version", "voter_weights", "weight_aggregation", "effort", "capacity", "tie_break", "passes")
WEIGHT_AGGREGATIONS = ("committee", "geometric_mean")
TIE_RULES = ("default", "first_criterion_then_draw")
TIE_BREAK_KEYS = ("rule", "seed")


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


def document_version(document: object) -> int:
    """1 when ``document`` has no ``version`` key (or is not an object), else its version (1 or 2)."""
    if not isinstance(document, Mapping) or "version" not in document:
        return 1
    version = document["version"]
    if isinstance(version, bool) or version not in VERSIONS:
        raise RankingInputError(f"version: expected one of {list(VERSIONS)}, got {version!r}")
    return int(version)


def _version_1(document: object) -> object:
    """A version-1 document without its optional ``"version": 1`` key."""
    if isinstance(document, Mapping) and "version" in document:
        return {k: v for k, v in document.items() if k != "version"}
    return document


def validate(document: object) -> None:
    """Raise RankingInputError if ``document`` does not follow the contract; return None otherwise."""
    if document_version(document) == 2:
        parse_v2(document)
    else:
        parse(_version_1(document))


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
    """Validate, rank and describe: the output document of the contract (floats to 12 significant digits).

    Version 1 (no ``version`` key, or 1) exactly as it always was; version 2 through :func:`run_v2`."""
    if document_version(document) == 2:
        return run_v2(document)
    problem, options = parse(_version_1(document))
    out = rank(problem, options).to_dict()
    out["version"] = CONTRACT_VERSION
    out["input_sha256"] = sha256(document)
    return _rounded(out)


# --- version 2 ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TieBreakRule:
    """The public tie-break rule: ``default`` (pilots.ranking.ordering) or ``first_criterion_then_draw``."""

    rule: str = "default"
    seed: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule} if self.seed is None else {"rule": self.rule, "seed": self.seed}


@dataclass(frozen=True)
class PlanV2:
    """A parsed version-2 document: the problem as ranked (last pass, weights used), the options and the
    version-2 settings. ``passes`` holds one Problem per pass (declared weights); ``city_weights`` the
    cities' normalised weights (None without ``voter_weights``); ``group_weights`` their geometric mean."""

    problem: Problem
    options: Options
    passes: tuple[Problem, ...]
    weight_aggregation: str
    city_weights: dict[str, dict[str, float]] | None
    group_weights: dict[str, float] | None
    effort: dict[str, float] | None
    capacity: float | None
    tie_break: TieBreakRule


def _tie_break(value: object) -> TieBreakRule:
    if value is None:
        return TieBreakRule()
    entry = _keys(value, "tie_break", TIE_BREAK_KEYS, ("rule",))
    rule = entry["rule"]
    if rule not in TIE_RULES:
        raise RankingInputError(f"tie_break.rule: expected one of {list(TIE_RULES)}, got {rule!r}")
    if rule == "default":
        if entry.get("seed") is not None:
            raise RankingInputError("tie_break.seed: the default rule draws nothing; leave the seed out")
        return TieBreakRule()
    if "seed" not in entry:
        raise RankingInputError("tie_break.seed: first_criterion_then_draw needs an integer seed >= 0")
    return TieBreakRule(rule, check_count(entry["seed"], "tie_break.seed", 0))


def _effort(value: object, alternatives: tuple[str, ...]) -> dict[str, float] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise RankingInputError(f"effort: expected an object alternative -> number, got {type(value).__name__}")
    known = set(alternatives)
    unknown = sorted(str(a) for a in value if a not in known)
    if unknown:
        raise RankingInputError(f"effort: unknown alternative(s) {unknown}")
    for alternative, amount in value.items():
        capacity_module.effort_units(amount, f"effort[{alternative!r}]")
    return {a: float(v) for a, v in value.items()}


def parse_v2(document: object) -> PlanV2:
    """A version-2 document as a :class:`PlanV2`, or RankingInputError naming the key that is wrong."""
    doc = _keys(document, "document", TOP_LEVEL_KEYS + V2_KEYS, ("alternatives", "criteria"))
    if document_version(doc) != 2:
        raise RankingInputError('version: parse_v2 needs "version": 2')
    base = {k: doc[k] for k in TOP_LEVEL_KEYS if k in doc}
    passes_given = doc.get("passes")
    if passes_given is not None:
        passes = _list(passes_given, "passes")
        if not passes:
            raise RankingInputError("passes: expected at least one list of ballots")
        if doc.get("ballots") is not None and canonical_json(doc["ballots"]) != canonical_json(passes[-1]):
            raise RankingInputError("ballots: must equal the last pass (passes[-1]) or be left out")
    elif doc.get("ballots") is None:
        raise RankingInputError("document: missing key(s) ['ballots'] (or give 'passes')")
    else:
        passes = [doc["ballots"]]
    problems = []
    options = Options()
    for i, ballots in enumerate(passes):
        try:
            problem, options = parse({**base, "ballots": ballots})
        except RankingInputError as error:
            if passes_given is None:
                raise
            raise RankingInputError(f"passes[{i}]: {error}") from None
        problems.append(problem)
    problem = problems[-1]
    criteria = [c.id for c in problem.criteria]

    aggregation = doc.get("weight_aggregation") or "committee"
    if aggregation not in WEIGHT_AGGREGATIONS:
        raise RankingInputError(f"weight_aggregation: expected one of {list(WEIGHT_AGGREGATIONS)}, got {aggregation!r}")
    city_weights = group_weights = None
    if doc.get("voter_weights") is not None:
        city_weights = group.city_weight_table(doc["voter_weights"], criteria)
        group_weights = group.geometric_mean_weights(doc["voter_weights"], criteria)
    if aggregation == "geometric_mean":
        if group_weights is None:
            raise RankingInputError("weight_aggregation: geometric_mean needs voter_weights")
        vetoed = [c for c in criteria if group_weights[c] <= 0]
        if vetoed:
            zeros = sorted(city for city, w in (city_weights or {}).items() if any(w[c] == 0 for c in vetoed))
            raise RankingInputError(
                f"voter_weights: the geometric mean gives criterion(s) {vetoed} weight 0 (a weight of 0 from {zeros}); "
                "every criterion needs a weight > 0"
            )
        weighted = tuple(dataclasses.replace(c, weight=group_weights[c.id]) for c in problem.criteria)
        problem = Problem(alternatives=problem.alternatives, criteria=weighted, ballots=problem.ballots)

    effort = _effort(doc.get("effort"), problem.alternatives)
    capacity = None
    if doc.get("capacity") is not None:
        capacity_module.capacity_units(doc["capacity"])
        capacity = float(doc["capacity"])
        if effort is None:
            raise RankingInputError("capacity: needs effort ({alternative: number}) for every alternative")
        missing = [a for a in problem.alternatives if a not in effort]
        if missing:
            raise RankingInputError(f"effort: missing for {missing} (a capacity needs every alternative's effort)")
    return PlanV2(
        problem=problem,
        options=options,
        passes=tuple(problems),
        weight_aggregation=aggregation,
        city_weights=city_weights,
        group_weights=group_weights,
        effort=effort,
        capacity=capacity,
        tie_break=_tie_break(doc.get("tie_break")),
    )


def apply_tie_break(out: dict[str, Any], result: Result, rule: TieBreakRule, alternatives: tuple[str, ...]) -> list[str]:
    """Re-order each group of tied scores of ``out`` (``result.to_dict()``) with ``rule``; the final order.

    ``first_criterion_then_draw``: higher normalised mean on the highest-weight criterion (of the weights
    ranked with; equal weights in id order; to 9 decimals), then the earlier place in the draw: the
    ``alternatives`` ids sorted and shuffled by ``numpy.random.default_rng(seed).permutation``. Updates
    ``ranking``, ``selected``, ``ties`` and the ``agrees``/``changed`` flags (which compare with the
    selection); the robustness checks themselves keep the default rule."""
    order = [r["alternative"] for r in out["ranking"]]
    if rule.rule == "default" or not result.ties:
        return order
    tensor = result.tensor
    first = int(criterion_order(tensor.weights)[0])
    first_id = tensor.criterion_ids[first]
    index = {a: i for i, a in enumerate(tensor.alternatives)}
    value = {a: float(np.round(result.aggregate.normalised[index[a], first], VALUE_DECIMALS)) for a in order}
    ids = sorted(alternatives)
    shuffled = [ids[int(j)] for j in np.random.default_rng(rule.seed).permutation(len(ids))]
    draw = {a: place for place, a in enumerate(shuffled)}
    by_name = {r["alternative"]: r for r in out["ranking"]}
    before = set(out["selected"])
    for tie, entry in zip(result.ties, out["ties"], strict=True):
        members = sorted(tie.alternatives, key=lambda a: (-value[a], draw[a]))
        for position, alternative in zip(tie.ranks, members, strict=True):
            order[position - 1] = alternative
        entry["alternatives"] = list(members)
        entry["broken_by"] = [
            {"between": [a, b], "step": f"criterion:{first_id}" if value[a] != value[b] else "draw"}
            for a, b in itertools.pairwise(members)
        ]
    out["ranking"] = [{**by_name[a], "rank": position + 1} for position, a in enumerate(order)]
    out["selected"] = order[: len(out["selected"])]
    chosen = set(out["selected"])
    for agreement in out["agreement"].values():
        agreement["agrees"] = set(agreement["selected"]) == chosen
    for entry in out["leave_one_out"]:
        entry["changed"] = set(entry["selected"]) != chosen
    if chosen != before:
        out["warnings"].append(
            "tie_break: the rule changed the selection; sensitivity and weight intervals were computed with the default rule"
        )
    return order


def run_v2(document: object) -> dict[str, Any]:
    """Rank a version-2 document: the version-1 output (ranking the last pass with the weights used) plus
    ``tie_break``, ``weight_aggregation``, ``city_weights``, ``group_weights``, ``distance``,
    ``consensus``, ``delphi`` and ``capacity`` (see docs/ranking.md, "Contract version 2")."""
    plan = parse_v2(document)
    problem, options = plan.problem, plan.options
    result = rank(problem, options)
    out = result.to_dict()
    order = apply_tie_break(out, result, plan.tie_break, problem.alternatives)
    weights = out["weights"]
    out["tie_break"] = plan.tie_break.to_dict()
    out["weight_aggregation"] = plan.weight_aggregation
    out["city_weights"] = plan.city_weights
    out["group_weights"] = plan.group_weights
    out["distance"] = group.distance_from_group(plan.city_weights, weights) if plan.city_weights is not None else None
    out["consensus"] = consensus_module.consensus_summary(result.tensor, result.tensor.weights, order)
    out["delphi"] = None
    if len(plan.passes) >= 2:
        spans = {c.id: c.scale[1] - c.scale[0] for c in problem.criteria}
        first = consensus_module.cell_spreads(build_tensor(plan.passes[0], options.exclude_self))
        last = consensus_module.cell_spreads(build_tensor(plan.passes[-1], options.exclude_self))
        out["delphi"] = {"passes": len(plan.passes), **consensus_module.delphi_summary(first, last, spans)}
    out["capacity"] = None
    if plan.capacity is not None and plan.effort is not None:
        scores = {r["alternative"]: r["score"] for r in out["ranking"]}
        choice = capacity_module.choose(scores, plan.effort, plan.capacity, options.select, order)
        out["capacity"] = choice.to_dict()
        out["selected"] = list(choice.selected)
        out["warnings"].extend(f"capacity: {note}" for note in choice.warnings)
    out["version"] = 2
    out["input_sha256"] = sha256(document)
    return _rounded(out)
