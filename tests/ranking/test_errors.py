"""Every invalid input gives RankingInputError, with a message that says what and where."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from pilots.ranking import Ballot, Criterion, Options, Problem, RankingInputError, SensitivityOptions, ahp, rank, validate


def document() -> dict:
    return {
        "alternatives": ["parking", "air"],
        "criteria": [
            {"id": "impact", "weight": 3, "direction": "benefit", "scale": [0, 10]},
            {"id": "cost", "weight": 1, "direction": "cost", "scale": [0, 5]},
        ],
        "ballots": [
            {"voter": "gent", "scores": {"parking": {"impact": 7, "cost": 2}, "air": {"impact": 5}}},
            {"voter": "brugge", "scores": {"air": {"impact": 9, "cost": 4}}},
        ],
        "method": "wsm",
        "select": 1,
    }


def edit(path: tuple, value):
    def apply(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return apply


def drop(key: str):
    return lambda doc: doc.pop(key)


CASES = {
    "unknown method": (edit(("method",), "electre"), "unknown method 'electre'"),
    "unknown normalization": (edit(("normalization",), "zscore"), "unknown normalization 'zscore'"),
    "normalization with a social method": (
        lambda d: d.update(method="borda", normalization="minmax"),
        "only 'scale' is allowed",
    ),
    "score above the scale": (edit(("ballots", 0, "scores", "parking", "impact"), 11), "outside the declared scale [0.0, 10.0]"),
    "score below the scale": (edit(("ballots", 0, "scores", "parking", "cost"), -0.5), "outside the declared scale"),
    "NaN score": (edit(("ballots", 0, "scores", "parking", "impact"), math.nan), "expected a finite number"),
    "infinite score": (edit(("ballots", 0, "scores", "parking", "impact"), math.inf), "expected a finite number"),
    "huge integer score": (edit(("ballots", 0, "scores", "parking", "impact"), 10**400), "expected a finite number"),
    "string score": (edit(("ballots", 0, "scores", "parking", "impact"), "7"), "expected a number, got '7'"),
    "boolean score": (edit(("ballots", 0, "scores", "parking", "impact"), True), "expected a number, got True"),
    "null score": (edit(("ballots", 0, "scores", "parking", "impact"), None), "expected a number, got None"),
    "unknown alternative in a ballot": (edit(("ballots", 0, "scores", "bikes"), {"impact": 3}), "unknown alternative 'bikes'"),
    "unknown criterion in a ballot": (edit(("ballots", 0, "scores", "air", "beauty"), 3), "unknown criterion 'beauty'"),
    "zero weight": (edit(("criteria", 0, "weight"), 0), "weight must be > 0"),
    "negative weight": (edit(("criteria", 0, "weight"), -2), "weight must be > 0"),
    "string weight": (edit(("criteria", 0, "weight"), "3"), "expected a number"),
    "NaN weight": (edit(("criteria", 0, "weight"), math.nan), "expected a finite number"),
    "scale min equal to max": (edit(("criteria", 0, "scale"), [5, 5]), "scale min must be below scale max"),
    "scale min above max": (edit(("criteria", 0, "scale"), [10, 0]), "scale min must be below scale max"),
    "scale of one number": (edit(("criteria", 0, "scale"), [0]), "expected [min, max]"),
    "infinite scale": (edit(("criteria", 0, "scale"), [0, math.inf]), "expected a finite number"),
    "unknown direction": (edit(("criteria", 0, "direction"), "up"), "direction must be one of ['benefit', 'cost']"),
    "select zero": (edit(("select",), 0), "select: must be at least 1"),
    "select not an integer": (edit(("select",), 1.5), "select: expected an integer"),
    "select boolean": (edit(("select",), True), "select: expected an integer"),
    "quorum zero": (edit(("quorum",), 0), "quorum: must be at least 1"),
    "no alternatives": (edit(("alternatives",), []), "at least one alternative"),
    "no criteria": (edit(("criteria",), []), "at least one criterion"),
    "empty alternative id": (edit(("alternatives",), ["parking", ""]), "non-empty string"),
    "duplicate alternative": (edit(("alternatives",), ["parking", "air", "air"]), "alternative 'air' is given twice"),
    "duplicate criterion": (lambda d: d["criteria"].append(dict(d["criteria"][0])), "criterion 'impact' is given twice"),
    "duplicate voter": (lambda d: d["ballots"].append(copy.deepcopy(d["ballots"][0])), "ballot for voter 'gent' is given twice"),
    "unknown top-level key": (edit(("weights",), {}), "document: unknown key(s) ['weights']"),
    "missing ballots": (drop("ballots"), "document: missing key(s) ['ballots']"),
    "unknown criterion key": (edit(("criteria", 0, "unit"), "km"), "criteria[0]: unknown key(s) ['unit']"),
    "missing criterion key": (lambda d: d["criteria"][0].pop("direction"), "criteria[0]: missing key(s) ['direction']"),
    "unknown ballot key": (edit(("ballots", 0, "city"), "gent"), "ballots[0]: unknown key(s) ['city']"),
    "ballot scores not an object": (edit(("ballots", 0, "scores"), [7, 2]), "ballots[0].scores: expected an object"),
    "alternatives not a list": (edit(("alternatives",), "parking"), "alternatives: expected a list"),
    "exclude_self unknown alternative": (edit(("exclude_self",), {"bikes": "gent"}), "exclude_self: unknown alternative 'bikes'"),
    "exclude_self not an object": (edit(("exclude_self",), ["gent"]), "exclude_self: expected an object"),
    "negative samples": (edit(("sensitivity",), {"samples": -1}), "sensitivity.samples: must be at least 0"),
    "too many samples": (edit(("sensitivity",), {"samples": 10**7}), "sensitivity.samples: at most 1000000"),
    "negative seed": (edit(("sensitivity",), {"seed": -3}), "sensitivity.seed: must be at least 0"),
    "perturbation of 100%": (edit(("sensitivity",), {"perturbation": 1.0}), "strictly between 0 and 1"),
    "unknown sensitivity key": (edit(("sensitivity",), {"draws": 5}), "sensitivity: unknown key(s) ['draws']"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_document_is_refused_with_a_helpful_message(case):
    change, message = CASES[case]
    doc = document()
    validate(doc)  # the base document is fine
    change(doc)
    with pytest.raises(RankingInputError) as caught:
        validate(doc)
    assert message in str(caught.value)


@pytest.mark.parametrize("value", [None, [], "{}", 3])
def test_a_document_must_be_an_object(value):
    with pytest.raises(RankingInputError, match="document: expected an object"):
        validate(value)


def test_the_error_is_a_value_error():
    assert issubclass(RankingInputError, ValueError)


def test_python_api_checks_too():
    with pytest.raises(RankingInputError, match="weight must be > 0"):
        Criterion("impact", 0, "benefit", (0, 10))
    with pytest.raises(RankingInputError, match="unknown method"):
        Options(method="vikor")  # type: ignore[arg-type]
    with pytest.raises(RankingInputError, match="expected a finite number"):
        Ballot("gent", {"air": {"impact": float("nan")}})
    with pytest.raises(RankingInputError, match="must be at least 1"):
        Options(select=0)
    with pytest.raises(RankingInputError, match="strictly between 0 and 1"):
        SensitivityOptions(perturbation=-0.1)
    problem = Problem(("air",), (Criterion("impact", 1, "benefit", (0, 10)),), ())
    with pytest.raises(RankingInputError, match="exclude_self: unknown alternative 'bikes'"):
        rank(problem, Options(exclude_self={"bikes": "gent"}))


def test_social_sensitivity_that_would_take_minutes_is_refused():
    alternatives = tuple(f"a{i:03d}" for i in range(400))
    problem = Problem(
        alternatives, (Criterion("impact", 1, "benefit", (0, 10)),), (Ballot("gent", {a: {"impact": 1.0} for a in alternatives}),)
    )
    with pytest.raises(RankingInputError, match="ask for fewer samples"):
        rank(problem, Options(method="schulze", sensitivity=SensitivityOptions(samples=10_000)))


AHP_CASES = {
    "not square": ([[1, 2, 3], [0.5, 1, 2]], "square"),
    "empty": ([], "square"),
    "not numbers": ([["a", 1], [1, 1]], "square table of numbers"),
    "negative": ([[1, -2], [-0.5, 1]], "positive"),
    "zero": ([[1, 0], [0, 1]], "positive"),
    "infinite": ([[1, math.inf], [0, 1]], "finite"),
    "off the Saaty scale": ([[1, 12], [1 / 12, 1]], "Saaty's scale"),
    "diagonal not one": ([[2, 3], [1 / 3, 1]], "diagonal"),
    "not reciprocal": ([[1, 3], [1 / 2, 1]], "not reciprocal: a[0][1] * a[1][0] = 1.5"),
    "too large": (np.ones((11, 11)).tolist(), "1 to 10 criteria"),
}


@pytest.mark.parametrize("case", sorted(AHP_CASES))
def test_invalid_ahp_matrix_is_refused(case):
    matrix, message = AHP_CASES[case]
    with pytest.raises(RankingInputError) as caught:
        ahp(matrix)
    assert message in str(caught.value)


def test_ahp_accepts_reciprocals_rounded_to_two_decimals():
    assert ahp([[1, 8, 3], [0.13, 1, 0.33], [0.33, 3, 1]]).weights.sum() == pytest.approx(1)
    result = ahp([[1, 3], [0.33, 1]])
    assert result.cr == 0.0
    assert result.weights[0] > 0.74
