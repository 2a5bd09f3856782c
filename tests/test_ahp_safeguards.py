"""AHP safeguards: inconsistent pairwise comparisons are a preview that names the judgements to look at again, and
change the weights only when the committee confirms; the consistency ratio never shows as "-0.00"."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from sqlalchemy import select

from pilots.models import AuditEvent, Criterion, Round, RoundPhase
from pilots.ranking.ahp import ahp, inconsistent_judgements
from pilots.web import numbers
from tests.voting_world import signed_in

# --- the pure function -------------------------------------------------------------------------------------------


def test_a_consistent_matrix_has_no_inconsistent_judgements():
    matrix = [[1, 3, 9], [1 / 3, 1, 3], [1 / 9, 1 / 3, 1]]
    assert ahp(matrix).cr == pytest.approx(0, abs=1e-9)
    assert inconsistent_judgements(matrix) == []


def test_a_perfect_cycle_names_every_judgement_in_matrix_order():
    # 0 > 1, 1 > 2 and 2 > 0, each five times: the weights are equal and every judgement is log 5 off (a tie).
    matrix = np.array([[1, 5, 1 / 5], [1 / 5, 1, 5], [5, 1 / 5, 1]], dtype=float)
    found = inconsistent_judgements(matrix, top=3)
    assert [(item.i, item.j) for item in found] == [(0, 1), (0, 2), (1, 2)]
    weights = ahp(matrix).weights
    for item in found:
        assert item.implied == pytest.approx(weights[item.i] / weights[item.j])
        assert item.deviation == pytest.approx(abs(math.log(item.judgement / item.implied)))
        assert item.deviation == pytest.approx(math.log(5))


def test_one_wrong_judgement_is_named_first_and_the_list_is_cut_at_top():
    # Four criteria, consistent with weights 8:4:2:1, except a[0][3], which says 1/8 instead of 8.
    w = [8, 4, 2, 1]
    matrix = [[w[i] / w[j] for j in range(4)] for i in range(4)]
    matrix[0][3], matrix[3][0] = 1 / 8, 8
    found = inconsistent_judgements(matrix, top=2)
    assert len(found) == 2
    assert (found[0].i, found[0].j) == (0, 3)
    assert found[0].judgement == pytest.approx(1 / 8)
    # The deviation is symmetric in the log: judging 1/8 where 8 is implied counts as much as 8 where 1/8 is.
    flipped = [[1 / value for value in row] for row in matrix]
    assert inconsistent_judgements(flipped, top=1)[0].deviation == pytest.approx(found[0].deviation)


def test_weights_that_do_not_fit_are_refused():
    from pilots.ranking.errors import RankingInputError

    with pytest.raises(RankingInputError):
        inconsistent_judgements([[1, 2], [0.5, 1]], weights=[1.0])


def test_the_ratio_is_never_negative_and_never_written_minus_zero():
    # A consistent matrix can give lambda_max a hair below n with some BLAS builds: the engine clamps it.
    matrix = [[1, 2, 4, 8], [1 / 2, 1, 2, 4], [1 / 4, 1 / 2, 1, 2], [1 / 8, 1 / 4, 1 / 2, 1]]
    assert ahp(matrix).cr >= 0.0 and ahp(matrix).ci >= 0.0
    for locale, zero in (("en", "0.00"), ("nl", "0,00")):
        number = numbers.formatter(locale)
        assert number(-0.0, "0.00") == zero
        assert number(-1e-17, "0.00") == zero


# --- the weights page -------------------------------------------------------------------------------------------


def _setup(make_round, in_app):
    round_id = make_round(RoundPhase.DRAFT)
    with in_app() as session:
        criteria = session.scalars(select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position)).all()
        ids = [c.id for c in criteria]
        names = {c.id: c.name_en for c in criteria}
    consistent = {f"pair-{a}-{b}": ("3" if a == ids[0] else "1") for i, a in enumerate(ids) for b in ids[i + 1 :]}
    contradictory = {
        **consistent,
        f"pair-{ids[1]}-{ids[2]}": "9",
        f"pair-{ids[2]}-{ids[3]}": "9",
        f"pair-{ids[1]}-{ids[3]}": "0.111111",
    }
    return round_id, ids, names, consistent, contradictory


def _state(in_app, round_id):
    with in_app() as session:
        round_ = session.get(Round, round_id)
        weights = session.scalars(select(Criterion.weight).where(Criterion.round_id == round_id).order_by(Criterion.position))
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "round.weights_from_ahp", AuditEvent.object_id == str(round_id))
        ).all()
        return round_.version, list(weights), [e.details for e in events], round_.ahp_judgements


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


class TestWeightsPage:
    def test_inconsistent_comparisons_are_a_preview_that_names_the_judgements(self, client, make_round, in_app):
        round_id, ids, names, _consistent, contradictory = _setup(make_round, in_app)
        version, weights, events, judgements = _state(in_app, round_id)
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/weights", data={**contradictory, "version": str(version)})
        assert response.status_code == 200
        page = _text(response)
        assert "Preview: these comparisons are inconsistent" in page
        assert "The weights have not been changed." in page
        assert "above 0.10" in page and "-0.00" not in page
        # The three judgements of the contradictory cycle, named with what was chosen and what the weights imply.
        listed = re.findall(r"<li>([^<]+) compared with ([^<]+?): you chose ([^,]+), the weights imply ([^.<]+)\.</li>", page)
        assert len(listed) == 3
        cycle = {names[ids[1]], names[ids[2]], names[ids[3]]}
        assert {a for a, _b, _c, _i in listed} | {b for _a, b, _c, _i in listed} <= cycle
        assert {chosen for _a, _b, chosen, _i in listed} <= {"9", "1/9"}
        assert 'name="apply_anyway"' in page and 'name="previewed"' in page
        assert _state(in_app, round_id) == (version, weights, events, judgements)  # nothing changed

    def test_confirming_applies_the_weights_and_audits_it(self, client, make_round, in_app):
        round_id, ids, _names, _consistent, contradictory = _setup(make_round, in_app)
        version, weights, _events, _judgements = _state(in_app, round_id)
        signed_in(client, "steering@example.org")
        page = _text(client.post(f"/rounds/{round_id}/weights", data={**contradictory, "version": str(version)}))
        previewed = re.search(r'name="previewed" value="([^"]+)"', page).group(1)
        response = client.post(
            f"/rounds/{round_id}/weights",
            data={**contradictory, "version": str(version), "previewed": previewed, "apply_anyway": "1"},
            follow_redirects=True,
        )
        assert "Weights applied although the comparisons are inconsistent" in response.text
        new_version, new_weights, events, judgements = _state(in_app, round_id)
        assert new_version == version + 1 and new_weights != weights
        assert sum(new_weights) == pytest.approx(1, abs=1e-5)
        assert judgements[f"{ids[1]}:{ids[2]}"] == 9
        assert len(events) == 1
        assert events[0]["applied_despite_inconsistency"] is True
        assert events[0]["consistency_ratio"] > 0.10 and len(events[0]["most_inconsistent"]) == 3

    def test_apply_anyway_applies_only_the_comparisons_that_were_previewed(self, client, make_round, in_app):
        round_id, ids, _names, _consistent, contradictory = _setup(make_round, in_app)
        version, weights, events, judgements = _state(in_app, round_id)
        signed_in(client, "steering@example.org")
        page = _text(client.post(f"/rounds/{round_id}/weights", data={**contradictory, "version": str(version)}))
        previewed = re.search(r'name="previewed" value="([^"]+)"', page).group(1)
        changed = {**contradictory, f"pair-{ids[0]}-{ids[4]}": "9"}  # changed after the preview
        response = client.post(
            f"/rounds/{round_id}/weights",
            data={**changed, "version": str(version), "previewed": previewed, "apply_anyway": "1"},
        )
        assert response.status_code == 200 and "Preview: these comparisons are inconsistent" in response.text
        assert _state(in_app, round_id) == (version, weights, events, judgements)

    def test_consistent_comparisons_apply_at_once(self, client, make_round, in_app):
        round_id, _ids, _names, consistent, _contradictory = _setup(make_round, in_app)
        version, *_ = _state(in_app, round_id)
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/weights", data={**consistent, "version": str(version)}, follow_redirects=True)
        assert "Weights derived from the comparisons (consistency ratio 0.00)." in response.text
        assert "-0.00" not in response.text
        assert "Weights derived from pairwise comparisons; consistency ratio 0.00." in response.text
        new_version, weights, events, _judgements = _state(in_app, round_id)
        assert new_version == version + 1 and weights[0] == pytest.approx(3 / 7, abs=1e-5)
        assert len(events) == 1 and "applied_despite_inconsistency" not in events[0]
        page = client.get(f"/rounds/{round_id}/weights").text
        assert "Current consistency ratio: 0.00" in page and "-0.00" not in page

    def test_the_ratio_in_dutch(self, client, make_round, in_app, world):
        from pilots.models import User

        round_id, _ids, _names, consistent, _contradictory = _setup(make_round, in_app)
        version, *_ = _state(in_app, round_id)
        with in_app() as session:
            session.get(User, world["steering"]).locale = "nl"
            session.commit()
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/weights", data={**consistent, "version": str(version)}, follow_redirects=True)
        assert "0,00" in response.text and "-0,00" not in response.text and "-0.00" not in response.text

    def test_the_page_explains_saatys_scale(self, client, make_round, in_app):
        round_id, *_ = _setup(make_round, in_app)
        signed_in(client, "steering@example.org")
        page = _text(client.get(f"/rounds/{round_id}/weights"))
        assert "Saaty’s scale in plain words" in page
        for value in ("1", "3", "5", "7", "9"):
            assert f'<dt class="col-sm-1">{value}</dt>' in page
        assert "A and B matter equally." in page

    def test_the_round_form_explains_the_perturbation_and_the_seed(self, client, world):
        signed_in(client, "steering@example.org")
        page = _text(client.get("/rounds/new"))
        assert "every weight is drawn anew between 80 and 120 percent of its value" in page
        assert "It fixes the random draws of the robustness check" in page
