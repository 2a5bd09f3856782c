"""Contract version 2: version 1 unchanged byte for byte, the new keys, the new output blocks, the errors."""

from __future__ import annotations

import copy
import hashlib
import itertools

import numpy as np
import pytest
from scipy import stats

from bench.ranking import snapshot
from pilots.ranking import RankingInputError, canonical_json, run, validate
from pilots.ranking.aggregate import build_tensor
from pilots.ranking.capacity import choose
from pilots.ranking.consensus import cell_spreads, city_rankings, delphi_summary, kendall_w, spread
from pilots.ranking.contract import parse
from pilots.ranking.group import distance_from_group, geometric_mean_weights
from tests.ranking.test_contract import sample


def v1_documents() -> dict[str, dict]:
    """Every v1 document of tests/ranking/test_contract.py, the docs' example and a demo-sized round."""
    docs: dict[str, dict] = {"sample": sample()}
    for method in ("wsm", "topsis", "borda", "copeland", "schulze"):
        doc = sample()
        doc["method"] = method
        doc.pop("normalization")
        docs[f"method-{method}"] = doc
    doc = sample()
    doc["quorum"] = 3
    docs["quorum-3"] = doc
    doc = sample()
    del doc["exclude_self"]
    doc["quorum"] = 3
    docs["no-exclusion-quorum-3"] = doc
    doc = sample()
    doc["sensitivity"] = None
    docs["sensitivity-null"] = doc
    doc = sample()
    doc["sensitivity"] = {"samples": 0}
    docs["samples-0"] = doc
    doc = sample()
    doc.update(method=None, normalization=None, select=None, quorum=None, exclude_self=None)
    docs["nulls"] = doc
    docs["docs-example"] = {
        "alternatives": ["air-gent", "parking-brugge", "bikes-leuven"],
        "criteria": [
            {"id": "impact", "weight": 3, "direction": "benefit", "scale": [0, 10]},
            {"id": "cost", "weight": 1, "direction": "cost", "scale": [0, 5]},
        ],
        "ballots": [
            {"voter": "gent", "scores": {"parking-brugge": {"impact": 6, "cost": 2}, "bikes-leuven": {"impact": 8, "cost": 4}}},
            {"voter": "brugge", "scores": {"air-gent": {"impact": 9, "cost": 3}, "bikes-leuven": {"impact": 7}}},
            {"voter": "leuven", "scores": {"air-gent": {"impact": 7, "cost": 1}, "parking-brugge": {"impact": 5, "cost": 1}}},
        ],
        "method": "wsm",
        "select": 1,
        "sensitivity": {"samples": 1000, "seed": 1, "perturbation": 0.2},
        "exclude_self": {"air-gent": "gent", "parking-brugge": "brugge", "bikes-leuven": "leuven"},
        "quorum": 2,
    }
    docs["round-7x20"] = round_document(7, 20, 4, samples=500)
    docs["round-7x20-topsis"] = {**round_document(7, 20, 4, samples=300), "method": "topsis"}
    return docs


def round_document(voters: int, alternatives: int, criteria: int, samples: int = 1000, seed: int = 2017) -> dict:
    """A round like the demo's and the benchmark's (bench/ranking.py's snapshot): integer scores 0..10, about 5%
    of cells left out, each city proposing one challenge it may not score, a quorum of 3."""
    return snapshot(alternatives, voters=voters, criteria=criteria, seed=seed, samples=samples)


# SHA-256 of canonical_json(run(doc)) for each v1 document, computed with the code of git HEAD 51907fb,
# before version 2 existed: version 1 must keep giving exactly these bytes.
V1_OUTPUT_SHA256 = {
    "sample": "c46feaaab85c001d8bed3215a027924950d39777f1f767c820a9a93ca79a2470",
    "method-wsm": "057a658d21ccf359eced61ebf54802dcc87a5fd7c5ebf863dd2e2b2dd7162de8",
    "method-topsis": "039ecc21c6430a6f169d87e51fc13ab247d46343b9522e7bda92f8b4f452edaa",
    "method-borda": "f84f96b642e9477325d9d2e45e283821d361c4937f4d8b62984147fde5fa796a",
    "method-copeland": "10ad8aeb049fb5a251f8e028f93c05bdcb4b0eafcbe04c7a9ae85b32d5c7fcfb",
    "method-schulze": "a1c7b267d85693b2fb8c0d4b12bf929015a524ec14364ab82227ab1074a7b72a",
    "quorum-3": "d275c82e8c833f35baead0180863d83b8e879adda3ed27e8bef91e69ff51ca9c",
    "no-exclusion-quorum-3": "0f1e801b54bc2f08f3d51c08952bd9d9d6a62d3fb87b852db46c0a56004ad8f5",
    "sensitivity-null": "67290312218266715182495d0d3b3e13aa573c8e29573436c3f0389ff3166f33",
    "samples-0": "68bcf2f00b5b1e66338eb1166715cebb5fceb1f4ef651f6c5e36ae7035089c13",
    "nulls": "b75c206c3a43ec4e14d1ddaa1a60c26ca1f08a9d4a2dbd5cb7ecf218bf5e7a9d",
    "docs-example": "83dcc53dd2d683bd3f8a9bb7cbb44941ce985c26049a8fb4974ee40078ff726e",
    "round-7x20": "f254c03ce0c380e06b5633a4a32d8b1a64ceb52357d05faae61e8ce8ab946223",
    "round-7x20-topsis": "4d651113af49c7042ed9439d411779ac263b005ccb9f71e6475d915ad7f24da4",
}


def output_sha256(doc: dict) -> str:
    return hashlib.sha256(canonical_json(run(doc)).encode("utf-8")).hexdigest()


def full_round(cities: int = 4, alternatives: int = 5, seed: int = 3) -> dict:
    """A version-2 document where every city scores every alternative on both criteria (no exclude_self)."""
    rng = np.random.default_rng(seed)
    names = [f"alt-{i}" for i in range(alternatives)]
    return {
        "version": 2,
        "alternatives": names,
        "criteria": [
            {"id": "impact", "weight": 3, "direction": "benefit", "scale": [0, 10]},
            {"id": "cost", "weight": 1, "direction": "cost", "scale": [0, 10]},
        ],
        "ballots": [
            {
                "voter": f"city-{v}",
                "scores": {a: {"impact": int(rng.integers(0, 11)), "cost": int(rng.integers(0, 11))} for a in names},
            }
            for v in range(cities)
        ],
        "select": 2,
        "sensitivity": {"samples": 200, "seed": 1},
    }


# --- version 1 stays exactly as it was ---------------------------------------------------------------------


def test_the_v1_golden_set_covers_every_document():
    assert set(V1_OUTPUT_SHA256) == set(v1_documents())


@pytest.mark.parametrize("name", sorted(V1_OUTPUT_SHA256))
def test_version_1_output_is_byte_identical_to_before_version_2(name):
    assert output_sha256(v1_documents()[name]) == V1_OUTPUT_SHA256[name]


@pytest.mark.parametrize("name", ["sample", "method-schulze", "round-7x20"])
def test_an_explicit_version_1_gives_the_same_output_but_its_own_input_hash(name):
    doc = v1_documents()[name]
    plain, explicit = run(doc), run({**doc, "version": 1})
    assert explicit["input_sha256"] != plain["input_sha256"]
    assert {**explicit, "input_sha256": None} == {**plain, "input_sha256": None}
    assert explicit["version"] == 1


def test_version_1_refuses_the_version_2_keys():
    doc = sample()
    doc["capacity"] = 3
    with pytest.raises(RankingInputError, match=r"document: unknown key\(s\) \['capacity'\]"):
        run(doc)
    with pytest.raises(RankingInputError, match=r"document: unknown key\(s\) \['capacity'\]"):
        run({**doc, "version": 1})


@pytest.mark.parametrize("version", [0, 3, "2", True, None, 2.5])
def test_an_unknown_version_is_refused(version):
    with pytest.raises(RankingInputError, match="version: expected one of"):
        run({**sample(), "version": version})


# --- version 2 without new keys ranks like version 1 -------------------------------------------------------


@pytest.mark.parametrize("name", sorted(V1_OUTPUT_SHA256))
def test_version_2_without_new_keys_ranks_like_version_1(name):
    doc = v1_documents()[name]
    one, two = run(doc), run({**doc, "version": 2})
    for key in ("ranking", "selected", "ties", "agreement", "sensitivity", "leave_one_out", "weight_intervals", "weights"):
        assert two[key] == one[key], key
    assert two["version"] == 2
    assert two["tie_break"] == {"rule": "default"}
    assert two["weight_aggregation"] == "committee"
    for key in ("city_weights", "group_weights", "distance", "delphi", "capacity"):
        assert two[key] is None
    assert set(two["consensus"]) == {"cells", "kendall_w", "alternatives", "cities"}
    assert canonical_json(two) == canonical_json(run(copy.deepcopy({**doc, "version": 2})))


def test_the_consensus_cells_of_the_sample():
    out = run({**sample(), "version": 2})
    # air-liège's impact: gent 8, brugge 7 (liège's own score is excluded)
    assert out["consensus"]["cells"]["air-liège"]["impact"] == {
        "n": 2, "min": 7.0, "max": 8.0, "median": 7.5, "q1": 7.25, "q3": 7.75, "iqr": 0.5, "std": 0.5,
    }  # fmt: skip
    assert out["consensus"]["cells"]["parking-gent"]["impact"]["n"] == 2
    # nobody scored every alternative on every criterion: no W, no correlations
    assert out["consensus"]["kendall_w"] is None and out["consensus"]["alternatives"] == []
    assert [c["spearman"] for c in out["consensus"]["cities"]] == [None, None, None]
    assert [c["city"] for c in out["consensus"]["cities"]] == ["brugge", "gent", "liège"]


# --- consensus ---------------------------------------------------------------------------------------------


def test_kendall_w_and_spearman_match_scipy_on_a_full_round():
    doc = full_round(cities=5, alternatives=6)
    out = run(doc)
    problem, _ = parse({k: v for k, v in doc.items() if k != "version"})
    tensor = build_tensor(problem)
    names, ranks = city_rankings(tensor)
    assert list(names) == out["consensus"]["alternatives"] == sorted(doc["alternatives"])
    weights = np.array([0.25, 0.75])  # cost, impact (id order)
    for v, ballot in enumerate(sorted(doc["ballots"], key=lambda b: b["voter"])):
        own = [
            weights[0] * (10 - ballot["scores"][a]["cost"]) / 10 + weights[1] * ballot["scores"][a]["impact"] / 10 for a in names
        ]
        np.testing.assert_allclose(ranks[v], stats.rankdata(-np.round(own, 12)))
    m, n = ranks.shape
    sums = ranks.sum(axis=0)
    ties = sum(sum(t**3 - t for t in np.unique(row, return_counts=True)[1]) for row in ranks)
    expected = 12 * ((sums - sums.mean()) ** 2).sum() / (m**2 * (n**3 - n) - m * ties)
    assert out["consensus"]["kendall_w"] == pytest.approx(expected, abs=1e-11)
    group = [r["alternative"] for r in out["ranking"]]
    group_rank = [group.index(a) + 1 for a in names]
    cities = {c["city"]: c["spearman"] for c in out["consensus"]["cities"]}
    for v, city in enumerate(tensor.voters):
        assert cities[city] == pytest.approx(stats.spearmanr(ranks[v], group_rank).statistic, abs=1e-11)
    rhos = [c["spearman"] for c in out["consensus"]["cities"]]
    assert rhos == sorted(rhos)  # furthest from the group first


def test_kendall_w_textbook_cases():
    assert kendall_w([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]) == pytest.approx(1.0)
    assert kendall_w([[1, 2, 3, 4], [4, 3, 2, 1]]) == 0.0
    assert kendall_w([[1, 2, 3]]) is None
    assert kendall_w([[1], [1]]) is None
    assert kendall_w([[1.5, 1.5], [1.5, 1.5]]) is None  # everybody ties everything
    # with ties: 3 raters, 3 items; a tie in the first row
    ranks = [[1.5, 1.5, 3], [1, 2, 3], [1, 3, 2]]
    sums = np.array([3.5, 6.5, 8.0])
    assert kendall_w(ranks) == pytest.approx(12 * ((sums - 6) ** 2).sum() / (9 * 24 - 3 * 6))


def test_spread_of_nothing_and_of_one_score():
    assert spread([np.nan, np.nan])["n"] == 0 and spread([np.nan])["iqr"] is None
    assert spread([4.0]) == {"n": 1, "min": 4.0, "max": 4.0, "median": 4.0, "q1": 4.0, "q3": 4.0, "iqr": 0.0, "std": 0.0}


# --- city weights ------------------------------------------------------------------------------------------


def test_geometric_mean_weights_by_hand():
    weights = geometric_mean_weights({"a": {"x": 1, "y": 1}, "b": {"x": 3, "y": 1}}, ["x", "y"])
    x, y = np.sqrt(0.5 * 0.75), np.sqrt(0.5 * 0.25)
    assert weights == pytest.approx({"x": x / (x + y), "y": y / (x + y)})
    assert sum(weights.values()) == pytest.approx(1)
    # a zero is a veto
    assert geometric_mean_weights({"a": {"x": 0, "y": 1}, "b": {"x": 3, "y": 1}}, ["x", "y"]) == {"x": 0.0, "y": 1.0}


def test_distance_is_half_the_l1_distance():
    distance = distance_from_group({"a": {"x": 1, "y": 0}, "b": {"x": 1, "y": 1}}, {"x": 0.5, "y": 0.5})
    assert distance == {"a": 0.5, "b": 0.0}


def test_voter_weights_through_the_contract():
    doc = {**sample(), "version": 2}
    doc["voter_weights"] = {
        "gent": {"impact": 1, "feasibility": 1, "cost": 1},
        "liège": {"impact": 6, "feasibility": 1, "cost": 1},
        "brugge": {"impact": 2, "feasibility": 2, "cost": 4},
    }
    committee = run(doc)
    assert committee["weights"] == pytest.approx({"impact": 0.5, "feasibility": 1 / 3, "cost": 1 / 6})
    assert committee["city_weights"]["liège"] == pytest.approx({"impact": 0.75, "feasibility": 0.125, "cost": 0.125})
    group = geometric_mean_weights(doc["voter_weights"], ["impact", "feasibility", "cost"])
    assert committee["group_weights"] == pytest.approx(group)
    assert committee["distance"]["gent"] == pytest.approx((abs(1 / 3 - 0.5) + 0 + abs(1 / 3 - 1 / 6)) / 2)

    doc["weight_aggregation"] = "geometric_mean"
    aggregated = run(doc)
    assert aggregated["weights"] == pytest.approx(group)
    assert aggregated["weight_aggregation"] == "geometric_mean"
    assert aggregated["distance"]["gent"] == pytest.approx(distance_from_group(doc["voter_weights"], group)["gent"])
    scores = {r["alternative"]: r["score"] for r in aggregated["ranking"]}
    contributions = aggregated["contributions"]["air-liège"]
    assert scores["air-liège"] == pytest.approx(sum(contributions.values()))


# --- capacity ----------------------------------------------------------------------------------------------


def test_capacity_through_the_contract():
    doc = {**sample(), "version": 2}
    doc["effort"] = {"bikes-brugge": 8, "air-liège": 5, "water-leuven": 3, "parking-gent": 2.5}
    doc["capacity"] = 9
    out = run(doc)
    # by rank: bikes-brugge (0.758) and air-liège (0.692) cost 13 > 9; the best pair that fits is air + water (8)
    assert out["capacity"]["by_rank"] == ["bikes-brugge", "air-liège"]
    assert out["selected"] == out["capacity"]["selected"] == ["air-liège", "water-leuven"]
    assert out["capacity"]["total_effort"] == 8.0
    assert out["capacity"]["total_score"] == pytest.approx(0.691666666667 + 0.575)
    assert out["capacity"]["capacity_decided"] is True
    front = [(p["effort"], p["alternatives"]) for p in out["capacity"]["front"]]
    assert front[0] == (2.5, ["parking-gent"])
    assert front[-1] == (13.0, ["bikes-brugge", "air-liège"])
    assert [p["feasible"] for p in out["capacity"]["front"]] == [p["effort"] <= 9 for p in out["capacity"]["front"]]
    efforts = [p["effort"] for p in out["capacity"]["front"]]
    assert efforts == sorted(efforts) and [p["score"] for p in out["capacity"]["front"]] == sorted(
        p["score"] for p in out["capacity"]["front"]
    )

    doc["capacity"] = 100
    roomy = run(doc)
    assert roomy["selected"] == ["bikes-brugge", "air-liège"] and roomy["capacity"]["capacity_decided"] is False

    doc["capacity"] = 1
    tight = run(doc)
    assert tight["selected"] == [] and tight["capacity"]["selected"] == []
    assert any("smaller than every effort" in w for w in tight["warnings"])


def test_choose_refuses_bad_efforts_and_capacities():
    scores, order = {"a": 1.0, "b": 0.5}, ["a", "b"]
    with pytest.raises(RankingInputError, match=r"effort\['a'\]: an effort must be >= 0"):
        choose(scores, {"a": -1, "b": 1}, 3, 1, order)
    with pytest.raises(RankingInputError, match="capacity: must be >= 0"):
        choose(scores, {"a": 1, "b": 1}, -0.5, 1, order)
    with pytest.raises(RankingInputError, match=r"effort\['b'\]: at most 2 decimals"):
        choose(scores, {"a": 1, "b": 1.005}, 3, 1, order)
    with pytest.raises(RankingInputError, match=r"effort: missing for \['b'\]"):
        choose(scores, {"a": 1}, 3, 1, order)
    assert choose(scores, {"a": 1.25, "b": 0.75}, 2.0, 2, order).selected == ("a", "b")
    assert choose(scores, {"a": 1.25, "b": 0.76}, 2.0, 2, order).selected == ("a",)


def test_choose_prefers_better_ranks_among_equal_totals():
    # {a, d} and {b, c} both score 1.0 and cost 4 ({a, b} and {a, c} cost 5); a is ranked first, so {a, d} wins
    scores = {"a": 0.75, "b": 0.5, "c": 0.5, "d": 0.25}
    choice = choose(scores, {"a": 3, "b": 2, "c": 2, "d": 1}, 4, 2, ["a", "b", "c", "d"])
    assert choice.selected == ("a", "d")
    # a free alternative of score 0 is taken rather than left out
    assert choose({"a": 1.0, "z": 0.0}, {"a": 1, "z": 0}, 1, 2, ["a", "z"]).selected == ("a", "z")


def test_choose_is_exact_on_250_alternatives():
    rng = np.random.default_rng(5)
    names = [f"c{i:03d}" for i in range(250)]
    scores = {a: float(rng.random()) for a in names}
    efforts = {a: round(float(rng.uniform(1, 20)), 2) for a in names}
    order = sorted(names, key=lambda a: -scores[a])
    choice = choose(scores, efforts, 30, 3, order)  # its speed is measured in `make bench`, not here
    assert choice.total_effort <= 30 and len(choice.selected) <= 3
    # exact against brute force over the 40 best-scoring alternatives (any better set would use them: check all triples)
    best = max(
        (sum(scores[a] for a in s), s)
        for k in range(4)
        for s in itertools.combinations(order[:40], k)
        if sum(efforts[a] for a in s) <= 30
    )
    assert choice.total_score >= best[0] - 1e-9


# --- tie-break ---------------------------------------------------------------------------------------------


def tied_round() -> dict:
    """Four alternatives with the same weighted sum; b and c are also equal on the first criterion."""
    cells = {"a": {"x": 4, "y": 8}, "b": {"x": 6, "y": 4}, "c": {"x": 6, "y": 4}, "d": {"x": 8, "y": 0}}
    return {
        "version": 2,
        "alternatives": ["a", "b", "c", "d"],
        "criteria": [
            {"id": "x", "weight": 2, "direction": "benefit", "scale": [0, 10]},
            {"id": "y", "weight": 1, "direction": "benefit", "scale": [0, 10]},
        ],
        "ballots": [{"voter": "v", "scores": cells}],
        "select": 2,
        "sensitivity": None,
    }


def test_the_default_tie_break_is_the_engine_rule():
    doc = tied_round()
    doc["tie_break"] = {"rule": "default"}
    out = run(doc)
    assert [r["alternative"] for r in out["ranking"]] == ["d", "b", "c", "a"]
    v1 = run({k: v for k, v in doc.items() if k not in ("version", "tie_break")})
    assert out["ranking"] == v1["ranking"] and out["ties"] == v1["ties"]


def test_first_criterion_then_draw():
    doc = tied_round()
    orders = set()
    for seed in range(8):
        doc["tie_break"] = {"rule": "first_criterion_then_draw", "seed": seed}
        out = run(doc)
        order = [r["alternative"] for r in out["ranking"]]
        assert order[0] == "d" and order[3] == "a" and set(order[1:3]) == {"b", "c"}
        ids = sorted(doc["alternatives"])
        shuffled = [ids[j] for j in np.random.default_rng(seed).permutation(4)]
        assert order[1:3] == sorted(["b", "c"], key=shuffled.index)
        assert [r["rank"] for r in out["ranking"]] == [1, 2, 3, 4]
        assert out["selected"] == order[:2]
        assert [b["step"] for b in out["ties"][0]["broken_by"]] == ["criterion:x", "draw", "criterion:x"]
        assert out["tie_break"] == {"rule": "first_criterion_then_draw", "seed": seed}
        assert canonical_json(out) == canonical_json(run(copy.deepcopy(doc)))
        orders.add(tuple(order))
    assert len(orders) == 2  # the draw does decide between b and c


# --- Delphi ------------------------------------------------------------------------------------------------


def test_delphi_ranks_the_last_pass_and_reports_the_narrowing():
    doc = full_round(cities=4, alternatives=4)
    first = copy.deepcopy(doc["ballots"])
    second = copy.deepcopy(first)
    for ballot in second:  # everybody moves halfway to 5
        for cells in ballot["scores"].values():
            for criterion, value in cells.items():
                cells[criterion] = (value + 5) / 2
    del doc["ballots"]
    doc["passes"] = [first, second]
    out = run(doc)
    assert out["ranking"] == run({**doc, "passes": None, "ballots": second})["ranking"]
    delphi = out["delphi"]
    assert delphi["passes"] == 2 and delphi["cells"] == 8
    assert delphi["second"] == pytest.approx(delphi["first"] / 2)
    assert delphi["narrowing"] == pytest.approx(delphi["first"] / 2)
    assert delphi["narrowed_share"] == pytest.approx(0.5)
    assert set(delphi["criteria"]) == {"cost", "impact"}
    doc["ballots"] = second
    assert run(doc)["ranking"] == out["ranking"]


def test_delphi_summary_of_identical_passes():
    cells = {"a": {"x": spread([1.0, 3.0, 4.0]), "y": spread([np.nan])}}
    summary = delphi_summary(cells, cells, {"x": 10.0, "y": 1.0})
    assert summary["first"] == summary["second"] == pytest.approx(0.15)
    assert summary["narrowing"] == 0 and summary["narrowed_share"] == 0 and summary["cells"] == 1


# --- errors ------------------------------------------------------------------------------------------------


def v2(**changes) -> dict:
    doc = {**sample(), "version": 2}
    doc.update(changes)
    return doc


WEIGHTS = {"gent": {"impact": 1, "feasibility": 1, "cost": 1}}
ERRORS = {
    "unknown key": (v2(weights={}), r"document: unknown key\(s\) \['weights'\]"),
    "voter weights not an object": (v2(voter_weights=[1]), "voter_weights: expected an object"),
    "no city": (v2(voter_weights={}), "voter_weights: no city gave weights"),
    "negative weight": (v2(voter_weights={"gent": {"impact": -1, "feasibility": 1, "cost": 1}}), r"voter_weights\['gent'\]\['impact'\]: a weight must be >= 0"),
    "all zero": (v2(voter_weights={"gent": {"impact": 0, "feasibility": 0, "cost": 0}}), r"voter_weights\['gent'\]: every weight is 0"),
    "infinite weight": (v2(voter_weights={"gent": {"impact": float("inf"), "feasibility": 1, "cost": 1}}), r"voter_weights\['gent'\]\['impact'\]: expected a finite"),
    "boolean weight": (v2(voter_weights={"gent": {"impact": True, "feasibility": 1, "cost": 1}}), r"voter_weights\['gent'\]\['impact'\]: expected a number"),
    "missing criterion": (v2(voter_weights={"gent": {"impact": 1, "cost": 1}}), r"voter_weights\['gent'\]: missing weight\(s\) for \['feasibility'\]"),
    "unknown criterion": (v2(voter_weights={"gent": {"impact": 1, "feasibility": 1, "cost": 1, "fun": 2}}), r"voter_weights\['gent'\]: unknown criterion\(s\) \['fun'\]"),
    "unknown aggregation": (v2(weight_aggregation="mean"), "weight_aggregation: expected one of"),
    "geometric mean without weights": (v2(weight_aggregation="geometric_mean"), "weight_aggregation: geometric_mean needs voter_weights"),
    "vetoed criterion": (v2(weight_aggregation="geometric_mean", voter_weights={"gent": {"impact": 1, "feasibility": 0, "cost": 1}}), r"voter_weights: the geometric mean gives criterion\(s\) \['feasibility'\] weight 0 \(a weight of 0 from \['gent'\]\)"),
    "effort not an object": (v2(effort=[1]), "effort: expected an object"),
    "effort unknown alternative": (v2(effort={"nope": 1}), r"effort: unknown alternative\(s\) \['nope'\]"),
    "negative effort": (v2(effort={"air-liège": -2}), r"effort\['air-liège'\]: an effort must be >= 0"),
    "effort with 3 decimals": (v2(effort={"air-liège": 1.234}), r"effort\['air-liège'\]: at most 2 decimals"),
    "effort not a number": (v2(effort={"air-liège": "3"}), r"effort\['air-liège'\]: expected a number"),
    "negative capacity": (v2(capacity=-1, effort={}), "capacity: must be >= 0"),
    "capacity not a number": (v2(capacity="10"), "capacity: expected a number"),
    "capacity without effort": (v2(capacity=10), "capacity: needs effort"),
    "capacity with missing efforts": (v2(capacity=10, effort={"air-liège": 1}), r"effort: missing for \['parking-gent', 'bikes-brugge', 'water-leuven'\]"),
    "tie break not an object": (v2(tie_break="draw"), "tie_break: expected an object"),
    "tie break unknown rule": (v2(tie_break={"rule": "coin"}), "tie_break.rule: expected one of"),
    "tie break unknown key": (v2(tie_break={"rule": "default", "salt": 1}), r"tie_break: unknown key\(s\) \['salt'\]"),
    "tie break without seed": (v2(tie_break={"rule": "first_criterion_then_draw"}), "tie_break.seed: first_criterion_then_draw needs"),
    "tie break negative seed": (v2(tie_break={"rule": "first_criterion_then_draw", "seed": -1}), "tie_break.seed: must be at least 0"),
    "tie break seed for the default": (v2(tie_break={"rule": "default", "seed": 3}), "tie_break.seed: the default rule draws nothing"),
    "passes not a list": (v2(passes={}), "passes: expected a list"),
    "no pass": (v2(passes=[]), "passes: expected at least one"),
    "ballots differ from the last pass": (v2(passes=[[]]), r"ballots: must equal the last pass"),
    "bad ballot in a pass": (v2(ballots=None, passes=[[{"voter": "gent", "scores": {}, "city": 1}]]), r"passes\[0\]: ballots\[0\]: unknown key\(s\) \['city'\]"),
    "no ballots and no passes": ({k: v for k, v in v2().items() if k != "ballots"}, "missing key\\(s\\) \\['ballots'\\]"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(ERRORS))
def test_version_2_errors_name_the_key(case):
    doc, message = ERRORS[case]
    with pytest.raises(RankingInputError, match=message):
        run(doc)
    with pytest.raises(RankingInputError, match=message):
        validate(doc)


def test_validate_accepts_a_full_version_2_document():
    doc = v2(
        voter_weights=WEIGHTS,
        weight_aggregation="geometric_mean",
        effort={a: 1 for a in sample()["alternatives"]},
        capacity=2,
        tie_break={"rule": "first_criterion_then_draw", "seed": 4},
        passes=[sample()["ballots"], sample()["ballots"]],
    )
    assert validate(doc) is None
    out = run(doc)
    assert out["version"] == 2 and out["delphi"]["narrowing"] == 0 and len(out["selected"]) == 2


def test_the_vectorised_cell_spreads_equal_the_cell_by_cell_ones():
    doc = round_document(6, 12, 3)
    problem, options = parse({k: v for k, v in doc.items() if k != "version"})
    tensor = build_tensor(problem, options.exclude_self)
    cells = cell_spreads(tensor)
    for a, alternative in enumerate(tensor.alternatives):
        for c, criterion in enumerate(tensor.criterion_ids):
            expected = spread(tensor.raw[:, a, c])
            got = cells[alternative][criterion]
            assert got.keys() == expected.keys()
            for key, value in expected.items():
                assert got[key] == pytest.approx(value, abs=1e-12) if value is not None else got[key] is None
