"""The JSON contract: deterministic output, stable hashes, exclude_self and quorum, the documented keys."""

from __future__ import annotations

import copy
import json

import pytest

from pilots.ranking import RankingInputError, canonical_json, run, sha256, validate


def sample() -> dict:
    """Four cities, four challenges, three criteria; Liège may not score its own challenge."""
    return {
        "alternatives": ["parking-gent", "air-liège", "bikes-brugge", "water-leuven"],
        "criteria": [
            {"id": "impact", "weight": 3, "direction": "benefit", "scale": [0, 10]},
            {"id": "feasibility", "weight": 2, "direction": "benefit", "scale": [1, 5]},
            {"id": "cost", "weight": 1, "direction": "cost", "scale": [0, 100]},
        ],
        "ballots": [
            {
                "voter": "gent",
                "scores": {
                    "air-liège": {"impact": 8, "feasibility": 4, "cost": 30},
                    "bikes-brugge": {"impact": 6, "feasibility": 5, "cost": 10},
                    "water-leuven": {"impact": 7, "feasibility": 2},
                },
            },
            {
                "voter": "liège",
                "scores": {
                    "air-liège": {"impact": 10, "feasibility": 5, "cost": 0},
                    "parking-gent": {"impact": 5, "feasibility": 3, "cost": 60},
                    "bikes-brugge": {"impact": 7, "feasibility": 4, "cost": 20},
                },
            },
            {
                "voter": "brugge",
                "scores": {
                    "air-liège": {"impact": 7, "feasibility": 3, "cost": 40},
                    "parking-gent": {"impact": 6, "feasibility": 4, "cost": 50},
                    "water-leuven": {"impact": 9, "feasibility": 3, "cost": 70},
                },
            },
        ],
        "method": "wsm",
        "normalization": "scale",
        "select": 2,
        "sensitivity": {"samples": 500, "seed": 7, "perturbation": 0.2},
        "exclude_self": {"air-liège": "liège", "parking-gent": "gent", "bikes-brugge": "brugge"},
        "quorum": 2,
    }


SAMPLE_SHA256 = "cd93405ef4839ee4280e1361405158e87450672c310d19698b8d543d31d2cc71"


def test_validate_accepts_the_sample():
    assert validate(sample()) is None


def test_run_twice_gives_byte_identical_canonical_output():
    first, second = canonical_json(run(sample())), canonical_json(run(copy.deepcopy(sample())))
    assert first == second
    assert first.encode("utf-8") == second.encode("utf-8")


def test_the_input_hash_is_stable_and_ignores_key_order():
    doc = sample()
    reordered = {key: doc[key] for key in reversed(list(doc))}
    assert sha256(doc) == sha256(reordered) == run(doc)["input_sha256"]
    assert sha256(doc) == SAMPLE_SHA256
    changed = sample()
    changed["ballots"][0]["scores"]["air-liège"]["impact"] = 7
    assert sha256(changed) != sha256(doc)


def test_canonical_json_is_sorted_compact_utf8():
    text = canonical_json({"b": [1, 2.5], "a": "Liège", "c": {"z": None, "y": True}})
    assert text == '{"a":"Liège","b":[1,2.5],"c":{"y":true,"z":null}}'
    with pytest.raises(RankingInputError, match="canonical JSON"):
        canonical_json({"x": float("nan")})


def test_output_has_the_documented_keys_and_survives_a_json_round_trip():
    out = run(sample())
    for key in ("method", "ranking", "selected", "ties", "agreement", "sensitivity", "input_sha256", "ineligible", "aggregate"):
        assert key in out
    for key in ("leave_one_out", "weight_intervals", "contributions", "weights", "excluded", "warnings", "version"):
        assert key in out
    assert json.loads(canonical_json(out)) == out
    assert out["ranking"][0].keys() == {"alternative", "score", "rank", "voters"}
    assert set(out["agreement"]) == {"topsis", "borda", "copeland", "schulze"}
    assert set(out["sensitivity"]) == {"samples", "seed", "perturbation", "uniform", "perturbed"}
    assert set(out["sensitivity"]["uniform"]) == {"rank_acceptability", "selection_probability"}


def test_floats_are_rounded_to_twelve_significant_digits():
    def floats(value):
        if isinstance(value, float):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from floats(item)
        elif isinstance(value, list):
            for item in value:
                yield from floats(item)

    for number in floats(run(sample())):
        assert number == float(f"{number:.12g}")


def test_exclude_self_and_quorum_through_the_contract():
    out = run(sample())
    # Liège's 10/5/0 for its own challenge is ignored: air-liège keeps gent and brugge (2 voters).
    assert out["aggregate"]["air-liège"]["criteria"]["impact"] == {"mean": 7.5, "count": 2, "normalised": 0.75, "imputed": False}
    # bikes-brugge: brugge excluded, so gent and liège; water-leuven: gent and brugge; parking-gent: liège and brugge.
    assert {a: v["voters"] for a, v in out["aggregate"].items()} == {
        "air-liège": 2,
        "bikes-brugge": 2,
        "parking-gent": 2,
        "water-leuven": 2,
    }
    assert {e["alternative"]: e["cells"] for e in out["excluded"]} == {"air-liège": 3, "bikes-brugge": 0, "parking-gent": 0}

    stricter = sample()
    stricter["quorum"] = 3
    out = run(stricter)
    assert out["ranking"] == [] and out["selected"] == []
    assert [i["alternative"] for i in out["ineligible"]] == ["air-liège", "bikes-brugge", "parking-gent", "water-leuven"]

    without_exclusion = sample()
    del without_exclusion["exclude_self"]
    without_exclusion["quorum"] = 3
    assert [r["alternative"] for r in run(without_exclusion)["ranking"]] == ["air-liège"]


def test_the_sample_ranking():
    out = run(sample())
    assert [(r["alternative"], r["score"]) for r in out["ranking"]] == [
        ("bikes-brugge", 0.758333333333),
        ("air-liège", 0.691666666667),
        ("water-leuven", 0.575),
        ("parking-gent", 0.558333333333),
    ]
    # Without one voter, the quorum of 2 leaves fewer alternatives: the selection changes every time.
    assert {x["voter"]: x["selected"] for x in out["leave_one_out"]} == {
        "brugge": ["bikes-brugge"],
        "gent": ["parking-gent"],
        "liège": ["air-liège", "water-leuven"],
    }
    assert out["weight_intervals"]["impact"] == {"weight": 0.5, "low": 0.0, "high": 0.775, "method": "exact"}
    assert out["selected"] == [r["alternative"] for r in out["ranking"][:2]]
    assert [r["rank"] for r in out["ranking"]] == [1, 2, 3, 4]
    first = out["ranking"][0]
    assert first["score"] == pytest.approx(sum(out["contributions"][first["alternative"]].values()))
    assert out["method"] == "wsm" and out["normalization"] == "scale"
    assert len(out["leave_one_out"]) == 3
    assert out["weights"] == pytest.approx({"impact": 0.5, "feasibility": 1 / 3, "cost": 1 / 6})


@pytest.mark.parametrize("method", ["wsm", "topsis", "borda", "copeland", "schulze"])
def test_every_method_runs_through_the_contract(method):
    doc = sample()
    doc["method"] = method
    doc.pop("normalization")
    out = run(doc)
    assert out["method"] == method
    assert canonical_json(out) == canonical_json(run(doc))
    assert ("pairwise" in out) == (method in {"borda", "copeland", "schulze"})


def test_sensitivity_can_be_turned_off_or_left_to_defaults():
    doc = sample()
    doc["sensitivity"] = None
    assert run(doc)["sensitivity"] is None
    doc["sensitivity"] = {"samples": 0}
    assert run(doc)["sensitivity"]["uniform"] is None
    del doc["sensitivity"]
    defaults = run(doc)["sensitivity"]
    assert (defaults["samples"], defaults["seed"], defaults["perturbation"]) == (10_000, 1, None)


def test_optional_keys_may_be_null():
    doc = sample()
    doc.update(method=None, normalization=None, select=None, quorum=None, exclude_self=None)
    out = run(doc)
    assert (out["method"], out["normalization"], out["select"], out["quorum"]) == ("wsm", "scale", 1, 1)
