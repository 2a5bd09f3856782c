"""The engine's rules on small hand-made cases: aggregation, missing cells, exclude_self, quorum, ties,
the social-choice methods, agreement, leave-one-voter-out, weight intervals and rank acceptability."""

from __future__ import annotations

import time

import numpy as np
import pytest

from pilots.ranking import Ballot, Criterion, Options, Problem, SensitivityOptions, rank
from pilots.ranking.ordering import TieRule, order_rows
from pilots.ranking.robustness import acceptability, generators, perturbed_weights, uniform_weights

IMPACT = Criterion("impact", 2, "benefit", (0, 10))
COST = Criterion("cost", 1, "cost", (0, 4))
NO_SAMPLES = None


def problem(ballots: dict[str, dict[str, dict[str, float]]], criteria=(IMPACT, COST), alternatives=None) -> Problem:
    names = alternatives or sorted({a for scores in ballots.values() for a in scores})
    return Problem(tuple(names), tuple(criteria), tuple(Ballot(v, s) for v, s in ballots.items()))


def order(result) -> list[str]:
    return [r.alternative for r in result.ranking]


# --- aggregation ---------------------------------------------------------------------------------------


def test_means_counts_and_scale_normalisation():
    result = rank(
        problem({"gent": {"air": {"impact": 8, "cost": 1}}, "brugge": {"air": {"impact": 6, "cost": 3}}}),
        Options(sensitivity=NO_SAMPLES),
    )
    cells = result.to_dict()["aggregate"]["air"]["criteria"]
    assert cells["impact"] == {"mean": 7.0, "count": 2, "normalised": 0.7, "imputed": False}
    assert cells["cost"]["mean"] == 2.0
    assert cells["cost"]["normalised"] == pytest.approx(0.5)  # cost: 1 - (2 - 0) / 4
    assert result.ranking[0].score == pytest.approx(2 / 3 * 0.7 + 1 / 3 * 0.5)
    assert result.weights == pytest.approx({"cost": 1 / 3, "impact": 2 / 3})


def test_a_cell_nobody_scored_counts_as_the_neutral_midpoint():
    result = rank(problem({"gent": {"air": {"impact": 10}}}), Options(sensitivity=NO_SAMPLES))
    cell = result.to_dict()["aggregate"]["air"]["criteria"]["cost"]
    assert cell == {"mean": None, "count": 0, "normalised": 0.5, "imputed": True}
    assert result.ranking[0].score == pytest.approx(2 / 3 * 1.0 + 1 / 3 * 0.5)


def test_contributions_add_up_to_the_weighted_sum():
    result = rank(
        problem({"gent": {"air": {"impact": 8, "cost": 1}, "park": {"impact": 3, "cost": 4}}}), Options(sensitivity=NO_SAMPLES)
    )
    for entry in result.ranking:
        assert sum(result.contributions[entry.alternative].values()) == pytest.approx(entry.score)


# --- exclude_self and quorum ---------------------------------------------------------------------------

OWN_CHALLENGE = {
    "gent": {"gent-parking": {"impact": 10, "cost": 0}, "brugge-air": {"impact": 6, "cost": 2}},
    "brugge": {"gent-parking": {"impact": 5, "cost": 2}, "brugge-air": {"impact": 10, "cost": 0}},
    "leuven": {"gent-parking": {"impact": 6, "cost": 2}, "brugge-air": {"impact": 6, "cost": 2}},
}


def test_exclude_self_ignores_a_citys_scores_for_its_own_challenge():
    plain = rank(problem(OWN_CHALLENGE), Options(sensitivity=NO_SAMPLES))
    fair = rank(
        problem(OWN_CHALLENGE), Options(exclude_self={"gent-parking": "gent", "brugge-air": "brugge"}, sensitivity=NO_SAMPLES)
    )
    # Counting everyone: Gent's challenge has impact (10 + 5 + 6) / 3 = 7.0 against Brugge's 22 / 3, same cost.
    plain_impact = plain.to_dict()["aggregate"]["gent-parking"]["criteria"]["impact"]
    assert plain_impact == {"mean": 7.0, "count": 3, "normalised": 0.7, "imputed": False}
    assert plain.selected == ("brugge-air",)
    assert plain.ranking[1].score < plain.ranking[0].score
    aggregate = fair.to_dict()["aggregate"]
    assert aggregate["gent-parking"]["criteria"]["impact"] == {"mean": 5.5, "count": 2, "normalised": 0.55, "imputed": False}
    assert aggregate["brugge-air"]["voters"] == 2
    assert fair.selected == ("brugge-air",)  # 6 and 6 beat 5 and 6
    assert fair.to_dict()["excluded"] == [
        {"alternative": "brugge-air", "voter": "brugge", "cells": 2},
        {"alternative": "gent-parking", "voter": "gent", "cells": 2},
    ]


def test_exclude_self_for_a_city_without_a_ballot_is_harmless_and_noted():
    result = rank(problem(OWN_CHALLENGE), Options(exclude_self={"gent-parking": "antwerpen"}, sensitivity=NO_SAMPLES))
    assert any("'antwerpen' cast no ballot" in w for w in result.warnings)


def test_quorum_counts_voters_with_at_least_one_kept_score():
    ballots = {
        "gent": {"air": {"impact": 5}, "park": {"impact": 9}, "bikes": {"cost": 1}},
        "brugge": {"air": {"impact": 6}, "park": {"cost": 0}},
        "leuven": {"air": {"impact": 7}},
    }
    result = rank(problem(ballots), Options(quorum=2, sensitivity=NO_SAMPLES))
    assert order(result) == ["park", "air"]
    assert result.ineligible == (("bikes", 1),)
    assert result.to_dict()["aggregate"]["bikes"]["eligible"] is False
    # Excluding gent from park leaves it one voter: below the quorum.
    result = rank(problem(ballots), Options(quorum=2, exclude_self={"park": "gent"}, sensitivity=NO_SAMPLES))
    assert order(result) == ["air"]
    assert dict(result.ineligible) == {"bikes": 1, "park": 1}


def test_selecting_more_than_the_eligible_selects_all_and_warns():
    result = rank(problem({"gent": {"air": {"impact": 5}, "park": {"impact": 4}}}), Options(select=3, sensitivity=NO_SAMPLES))
    assert result.selected == ("air", "park")
    assert any("selecting 2, not 3" in w for w in result.warnings)


def test_nothing_eligible_gives_an_empty_ranking():
    result = rank(problem({"gent": {"air": {"impact": 5}}}), Options(quorum=2))
    assert result.ranking == () and result.selected == ()
    assert result.sensitivity is not None and result.sensitivity.uniform is None
    assert any("no alternative reaches the quorum" in w for w in result.warnings)
    assert result.leave_one_out[0].selected == ()


# --- ties ----------------------------------------------------------------------------------------------


def test_identical_alternatives_are_ordered_by_id_and_reported():
    ballots = {"gent": {"zebra": {"impact": 5, "cost": 2}, "apple": {"impact": 5, "cost": 2}, "mango": {"impact": 1}}}
    result = rank(problem(ballots), Options(sensitivity=NO_SAMPLES))
    assert order(result) == ["apple", "zebra", "mango"]
    (tie,) = result.ties
    assert tie.alternatives == ("apple", "zebra") and tie.ranks == (1, 2)
    assert [(b.between, b.step) for b in tie.broken_by] == [(("apple", "zebra"), "id")]
    assert tie.affects_selection


def test_a_tie_is_broken_by_more_voters_first():
    ballots = {
        "gent": {"zebra": {"impact": 5, "cost": 2}, "apple": {"impact": 5, "cost": 2}},
        "brugge": {"zebra": {"impact": 5, "cost": 2}},
    }
    result = rank(problem(ballots), Options(select=2, sensitivity=NO_SAMPLES))
    assert order(result) == ["zebra", "apple"]
    assert result.ties[0].broken_by[0].step == "voters"
    assert not result.ties[0].affects_selection  # both are selected whatever the order


def test_a_tie_is_then_broken_by_the_highest_weight_criterion():
    x, y = Criterion("x", 2, "benefit", (0, 1)), Criterion("y", 1, "benefit", (0, 1))
    ballots = {"gent": {"a": {"x": 0.5, "y": 1.0}, "b": {"x": 1.0, "y": 0.0}}}  # 2/3 each
    result = rank(problem(ballots, criteria=(x, y)), Options(sensitivity=NO_SAMPLES))
    assert order(result) == ["b", "a"]
    assert result.ties[0].broken_by[0].step == "criterion:x"


def test_float_noise_does_not_split_a_tie():
    x, y, z = (Criterion(c, 1, "benefit", (0, 1)) for c in "xyz")
    ballots = {"gent": {"a": {"x": 0.1, "y": 0.2, "z": 0.3}, "b": {"x": 0.3, "y": 0.2, "z": 0.1}}}
    result = rank(problem(ballots, criteria=(x, y, z)), Options(sensitivity=NO_SAMPLES))
    assert len(result.ties) == 1


# --- social-choice methods -----------------------------------------------------------------------------

ONE = (Criterion("score", 1, "benefit", (0, 10)),)


def test_borda_with_partial_rankings():
    # gent ranks a > b > c; brugge scored only a and c, c above a.
    ballots = {
        "gent": {"a": {"score": 9}, "b": {"score": 5}, "c": {"score": 1}},
        "brugge": {"a": {"score": 2}, "c": {"score": 8}},
    }
    result = rank(problem(ballots, criteria=ONE), Options(method="borda", sensitivity=NO_SAMPLES))
    assert {r.alternative: r.score for r in result.ranking} == {"a": 2.0, "b": 1.0, "c": 1.0}
    assert result.pairwise is not None and result.pairwise.tolist() == [[0, 1, 1], [0, 0, 1], [1, 0, 0]]


def test_borda_gives_half_a_point_for_an_individual_tie():
    ballots = {"gent": {"a": {"score": 5}, "b": {"score": 5}, "c": {"score": 1}}}
    result = rank(problem(ballots, criteria=ONE), Options(method="borda", sensitivity=NO_SAMPLES))
    assert {r.alternative: r.score for r in result.ranking} == {"a": 1.5, "b": 1.5, "c": 0.0}


def test_copeland_is_wins_minus_losses():
    # Condorcet cycle a > b > c > a among three voters, plus d beaten by everyone.
    rows = {"v1": "abcd", "v2": "bcad", "v3": "cabd"}
    ballots = {v: {alt: {"score": float(9 - i)} for i, alt in enumerate(ranking)} for v, ranking in rows.items()}
    result = rank(problem(ballots, criteria=ONE), Options(method="copeland", sensitivity=NO_SAMPLES))
    assert {r.alternative: r.score for r in result.ranking} == {"a": 1.0, "b": 1.0, "c": 1.0, "d": -3.0}
    assert order(result) == ["a", "b", "c", "d"]  # tie of three broken by id
    assert result.ties[0].alternatives == ("a", "b", "c")


def test_a_voter_who_left_a_criterion_out_counts_at_the_group_mean():
    criteria = (Criterion("x", 1, "benefit", (0, 10)), Criterion("y", 1, "benefit", (0, 10)))
    ballots = {
        "gent": {"a": {"x": 10}, "b": {"x": 6, "y": 6}},  # gent left a.y out; the group mean of a.y is 0
        "brugge": {"a": {"x": 10, "y": 0}, "b": {"x": 6, "y": 6}},
    }
    result = rank(problem(ballots, criteria=criteria), Options(method="borda", sensitivity=NO_SAMPLES))
    assert order(result) == ["b", "a"]
    assert result.ranking[0].score == 2.0  # both voters put b above a (a = 5, b = 6)


# --- agreement, leave-one-voter-out --------------------------------------------------------------------


def test_every_method_agrees_on_a_clear_winner():
    ballots = {
        v: {"best": {"impact": 9, "cost": 0}, "mid": {"impact": 5, "cost": 2}, "low": {"impact": 1, "cost": 4}} for v in "xyz"
    }
    result = rank(problem(ballots), Options(sensitivity=NO_SAMPLES))
    assert set(result.agreement) == {"topsis", "borda", "copeland", "schulze"}
    assert all(a.agrees and a.selected == ("best",) for a in result.agreement.values())
    assert result.agreement["topsis"].normalization == "vector"
    assert result.agreement["borda"].normalization is None


def test_leave_one_voter_out_finds_the_decisive_voter():
    ballots = {
        "gent": {"air": {"impact": 10}, "park": {"impact": 0}},
        "brugge": {"air": {"impact": 4}, "park": {"impact": 6}},
        "leuven": {"air": {"impact": 4}, "park": {"impact": 6}},
    }
    result = rank(problem(ballots), Options(sensitivity=NO_SAMPLES))
    assert result.selected == ("air",)
    assert {x.voter: (x.selected, x.changed) for x in result.leave_one_out} == {
        "brugge": (("air",), False),
        "gent": (("park",), True),
        "leuven": (("air",), False),
    }


# --- weight intervals ----------------------------------------------------------------------------------


def random_problem(seed: int, alternatives: int = 8, criteria: int = 4, voters: int = 3) -> Problem:
    rng = np.random.default_rng(seed)
    crits = tuple(
        Criterion(f"c{j}", float(rng.integers(1, 6)), "cost" if j == 1 else "benefit", (0, 10)) for j in range(criteria)
    )
    names = [f"alt{i}" for i in range(alternatives)]
    ballots = tuple(
        Ballot(f"city{v}", {a: {c.id: float(rng.integers(0, 11)) for c in crits} for a in names}) for v in range(voters)
    )
    return Problem(tuple(names), crits, ballots)


def with_weights(base: Problem, weights: dict[str, float]) -> Problem:
    criteria = tuple(Criterion(c.id, weights[c.id], c.direction, c.scale) for c in base.criteria)
    return Problem(base.alternatives, criteria, base.ballots)


@pytest.mark.parametrize("method", ["wsm", "topsis", "borda"])
@pytest.mark.parametrize("seed", [3, 7])
def test_weight_intervals_are_where_the_selection_changes(method, seed):
    base = random_problem(seed)
    options = Options(method=method, select=2, sensitivity=NO_SAMPLES)
    result = rank(base, options)
    expected = "exact" if method == "wsm" else "bisection"
    delta = 1e-6
    for criterion, interval in result.weight_intervals.items():
        assert interval.method == expected
        assert interval.low <= interval.weight <= interval.high

        def selected_at(t: float, criterion: str = criterion, interval=interval) -> set[str]:
            scale = (1 - t) / (1 - interval.weight)
            weights = {c: (t if c == criterion else w * scale) for c, w in result.weights.items()}
            return set(rank(with_weights(base, weights), options).selected)

        inside = [t for t in (interval.low + delta, interval.high - delta) if interval.low + delta < interval.high - delta]
        for t in inside:
            assert selected_at(t) == set(result.selected)
        if interval.low > 2 * delta:
            assert selected_at(interval.low - delta) != set(result.selected)
        if interval.high < 1 - 2 * delta:
            assert selected_at(interval.high + delta) != set(result.selected)


def test_one_criterion_has_the_trivial_interval():
    result = rank(
        problem({"gent": {"a": {"impact": 3}, "b": {"impact": 4}}}, criteria=(IMPACT,)), Options(sensitivity=NO_SAMPLES)
    )
    interval = result.weight_intervals["impact"]
    assert (interval.low, interval.weight, interval.high) == (1.0, 1.0, 1.0)


# --- rank acceptability --------------------------------------------------------------------------------


def test_rank_acceptability_tables_are_distributions():
    result = rank(random_problem(1), Options(select=2, sensitivity=SensitivityOptions(samples=2000, seed=5, perturbation=0.3)))
    sensitivity = result.sensitivity
    assert sensitivity is not None and sensitivity.uniform is not None and sensitivity.perturbed is not None
    for table in (sensitivity.uniform, sensitivity.perturbed):
        np.testing.assert_allclose(table.rank.sum(axis=0), 1)
        np.testing.assert_allclose(table.rank.sum(axis=1), 1)
        np.testing.assert_allclose(table.selected, table.rank[:, :2].sum(axis=1))
        assert table.selected.sum() == pytest.approx(2)
    assert sensitivity.alternatives == tuple(sorted(r.alternative for r in result.ranking))


def test_rank_acceptability_is_reproducible_from_its_seed():
    def tables(seed: int):
        sensitivity = rank(random_problem(2), Options(sensitivity=SensitivityOptions(samples=500, seed=seed))).sensitivity
        assert sensitivity is not None and sensitivity.uniform is not None
        return sensitivity.uniform.rank

    np.testing.assert_array_equal(tables(11), tables(11))
    assert not np.array_equal(tables(11), tables(12))


def test_a_dominant_alternative_is_first_under_every_weighting():
    ballots = {"gent": {"best": {"impact": 9, "cost": 0}, "mid": {"impact": 5, "cost": 2}, "low": {"impact": 5, "cost": 3}}}
    for method in ("wsm", "topsis", "borda", "copeland", "schulze"):
        result = rank(problem(ballots), Options(method=method, sensitivity=SensitivityOptions(samples=300, perturbation=0.5)))
        assert result.sensitivity is not None and result.sensitivity.uniform is not None
        best = result.sensitivity.alternatives.index("best")
        assert result.sensitivity.uniform.rank[best, 0] == 1.0
        assert result.sensitivity.uniform.selected[best] == 1.0


def test_small_perturbations_keep_a_comfortable_winner():
    ballots = {"gent": {"a": {"impact": 9, "cost": 1}, "b": {"impact": 3, "cost": 1}, "c": {"impact": 6, "cost": 0}}}
    result = rank(problem(ballots), Options(sensitivity=SensitivityOptions(samples=1000, perturbation=0.05)))
    assert result.sensitivity is not None and result.sensitivity.perturbed is not None
    assert result.sensitivity.perturbed.selected.tolist() == [1.0, 0.0, 0.0]
    assert result.sensitivity.uniform is not None and 0 < result.sensitivity.uniform.selected[2] < 1


def test_samples_are_uniform_on_the_simplex():
    uniform, perturbation = generators(0)
    weights = uniform_weights(uniform, 20_000, 3)
    np.testing.assert_allclose(weights.sum(axis=1), 1)
    np.testing.assert_allclose(weights.mean(axis=0), 1 / 3, atol=0.01)
    # On the 2-simplex the first coordinate has density 2(1 - x): P(x < 0.5) = 0.75.
    assert np.mean(weights[:, 0] < 0.5) == pytest.approx(0.75, abs=0.01)
    varied = perturbed_weights(perturbation, 1000, np.array([0.5, 0.3, 0.2]), 0.2)
    ratio = varied / np.array([0.5, 0.3, 0.2])
    assert (ratio.max(axis=1) / ratio.min(axis=1) <= 1.2 / 0.8 + 1e-12).all()


def test_smaa_of_ten_thousand_samples_on_two_hundred_alternatives_is_fast():
    rng = np.random.default_rng(0)
    matrix = rng.random((200, 8))
    weights = uniform_weights(generators(1)[0], 10_000, 8)
    rule = TieRule.build(np.full(200, 14), matrix, np.full(8, 1 / 8), tuple(f"c{j}" for j in range(8)))
    started = time.perf_counter()
    table = acceptability(lambda w: w @ matrix.T, weights, rule, 2)
    elapsed = time.perf_counter() - started
    np.testing.assert_allclose(table.rank.sum(axis=1), 1)
    assert elapsed < 5, elapsed  # about 0.1 s on the 2-core reference machine
    # And it is the same ranking as sorting each sample one by one.
    first, _ = order_rows((weights[:3] @ matrix.T), rule, weights[:3])
    assert first.tolist() == [list(np.argsort(-(w @ matrix.T))) for w in weights[:3]]


# --- the tie rule under other weights ------------------------------------------------------------------


def test_the_tie_rule_follows_the_weights_being_tried():
    """Borda ties a and b under every weighting (one voter each way); step 3 then picks the one better on
    the heavier criterion: a on x, b on y. So a is selected while x outweighs y, in half of all weightings."""
    x, y = Criterion("x", 2, "benefit", (0, 10)), Criterion("y", 1, "benefit", (0, 10))
    ballots = {
        "gent": {"a": {"x": 10, "y": 8}, "b": {"x": 0, "y": 0}},
        "brugge": {"a": {"x": 0, "y": 0}, "b": {"x": 8, "y": 10}},
    }
    result = rank(
        problem(ballots, criteria=(x, y)), Options(method="borda", sensitivity=SensitivityOptions(samples=4000, seed=2))
    )
    assert result.selected == ("a",)
    assert result.ties[0].broken_by[0].step == "criterion:x"
    interval = result.weight_intervals["x"]
    assert interval.low == pytest.approx(0.5, abs=1e-9) and interval.high == 1.0
    assert result.sensitivity is not None and result.sensitivity.uniform is not None
    assert result.sensitivity.uniform.selected[0] == pytest.approx(0.5, abs=0.03)


def test_exact_wsm_intervals_fall_back_to_bisection_when_a_tie_runs_along_the_line():
    x, y, z = (Criterion(c, 1, "benefit", (0, 1)) for c in "xyz")
    ballots = {"gent": {"a": {"x": 1, "y": 0.5, "z": 0}, "b": {"x": 1, "y": 0, "z": 0.5}, "c": {"x": 0, "y": 0, "z": 0}}}
    result = rank(problem(ballots, criteria=(x, y, z)), Options(sensitivity=NO_SAMPLES))
    assert result.selected == ("a",)  # tied with b; y and z weigh the same, so y (by id) decides
    along_x = result.weight_intervals["x"]
    assert along_x.method == "bisection" and (along_x.low, along_x.high) == (0.0, 1.0)
    along_y = result.weight_intervals["y"]
    assert along_y.method == "exact" and along_y.low == pytest.approx(1 / 3) and along_y.high == 1.0
