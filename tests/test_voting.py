"""Voting rounds: setting up criteria and weights, moving phases, ballots, the snapshot and `flask rank`."""

from __future__ import annotations

import json
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from pilots import ranking
from pilots.models import (
    AuditEvent,
    Ballot,
    BallotEntry,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    City,
    Criterion,
    Round,
    RoundPhase,
    Score,
    User,
)
from pilots.services import voting
from pilots.services.errors import ServiceError, StaleEdit
from tests.conftest import count_queries
from tests.voting_world import CITIES, ROUND_FORM, signed_in


def _round(in_app, round_id) -> Round:
    with in_app() as session:
        round_ = session.get(Round, round_id)
        session.expunge(round_)
        return round_


class TestSetUp:
    def test_steering_creates_a_round_with_suggested_criteria(self, client, world, in_app):
        signed_in(client, "steering@example.org")
        response = client.post("/rounds/new", data=ROUND_FORM)
        assert response.status_code == 302
        round_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with in_app() as session:
            keys = session.scalars(select(Criterion.key).where(Criterion.round_id == round_id).order_by(Criterion.position)).all()
            assert keys == ["impact", "feasibility", "data", "relevance", "cost"]
        page = client.get(f"/rounds/{round_id}").text
        assert "Impact for citizens" in page and "20.0%" in page and "Cost: higher is worse" in page

    @pytest.mark.parametrize("email", ["gent@example.org", "gent-staff@example.org"])
    def test_cities_cannot_manage_rounds(self, client, world, email, in_app):
        signed_in(client, email)
        assert client.get("/rounds/new").status_code == 403
        assert client.post("/rounds/new", data=ROUND_FORM).status_code == 403
        assert client.get("/rounds").status_code == 200  # but they see the rounds

    def test_anonymous_visitors_sign_in_first(self, client, world):
        assert "/login" in client.get("/rounds").headers["Location"]

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("year", "2010", "Number must be between 2017 and 2100."),
            ("pilots_to_select", "0", "between 1 and 5"),
            ("perturbation", "0", "between 0.01 and 0.99"),
            ("perturbation", "1", "between 0.01 and 0.99"),
            ("title", "", "This field is required."),
            ("method", "dice", "Not a valid choice"),
        ],
    )
    def test_bad_input(self, client, world, in_app, field, value, message):
        signed_in(client, "steering@example.org")
        response = client.post("/rounds/new", data={**ROUND_FORM, field: value})
        assert response.status_code == 400
        assert message in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(Round.id))) == 0

    def test_criteria_add_edit_remove(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.DRAFT)
        signed_in(client, "steering@example.org")
        data = {
            "key": "privacy",
            "name_nl": "Privacy",
            "name_en": "Privacy",
            "weight": "2",
            "direction": "cost",
            "scale_min": "0",
            "scale_max": "10",
            "integer_scale": "y",
        }
        assert client.post(f"/rounds/{round_id}/criteria/new", data=data).status_code == 302
        duplicate = client.post(f"/rounds/{round_id}/criteria/new", data=data)
        assert duplicate.status_code == 400 and "Another criterion of this round has this key." in duplicate.text
        bad_scale = client.post(
            f"/rounds/{round_id}/criteria/new", data={**data, "key": "other", "scale_min": "5", "scale_max": "5"}
        )
        assert "The top of the scale must be above its bottom." in bad_scale.text
        with in_app() as session:
            criterion = session.scalar(select(Criterion).where(Criterion.key == "privacy"))
            criterion_id, version = criterion.id, criterion.round.version
        assert (
            client.post(
                f"/rounds/{round_id}/criteria/{criterion_id}", data={**data, "weight": "3", "version": str(version)}
            ).status_code
            == 302
        )
        stale = client.post(f"/rounds/{round_id}/criteria/{criterion_id}", data={**data, "weight": "4", "version": str(version)})
        assert stale.status_code == 400 and "Somebody else saved this in the meantime" in stale.text
        client.post(f"/rounds/{round_id}/criteria/{criterion_id}/delete")
        with in_app() as session:
            assert session.get(Criterion, criterion_id) is None

    def test_weights_from_pairwise_comparisons(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.DRAFT)
        with in_app() as session:
            criteria = session.scalars(select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position)).all()
            ids = [c.id for c in criteria]
            version = session.get(Round, round_id).version
        signed_in(client, "steering@example.org")
        # Impact is moderately more important than everything else; the rest equal: consistent.
        form = {f"pair-{a}-{b}": ("3" if a == ids[0] else "1") for i, a in enumerate(ids) for b in ids[i + 1 :]}
        response = client.post(f"/rounds/{round_id}/weights", data={**form, "version": str(version)}, follow_redirects=True)
        assert "Weights derived from the comparisons (consistency ratio 0.00)." in response.text
        with in_app() as session:
            weights = session.scalars(
                select(Criterion.weight).where(Criterion.round_id == round_id).order_by(Criterion.position)
            ).all()
        assert weights[0] == pytest.approx(3 / 7, abs=1e-5) and weights[1] == pytest.approx(1 / 7, abs=1e-5)
        # Contradictory comparisons: a warning, not an error.
        with in_app() as session:
            version = session.get(Round, round_id).version
        contradictory = {
            **form,
            f"pair-{ids[1]}-{ids[2]}": "9",
            f"pair-{ids[2]}-{ids[3]}": "9",
            f"pair-{ids[1]}-{ids[3]}": "0.111111",
        }
        response = client.post(
            f"/rounds/{round_id}/weights", data={**contradictory, "version": str(version)}, follow_redirects=True
        )
        assert "inconsistent" in response.text and "above 0.10" in response.text
        missing = client.post(f"/rounds/{round_id}/weights", data={"version": str(version + 1)})
        assert missing.status_code == 400 and "Choose a comparison for" in missing.text


class TestPhases:
    def test_voting_freezes_the_ballot_and_the_challenges(self, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            entries = session.scalars(select(BallotEntry.challenge_id).where(BallotEntry.round_id == round_id)).all()
            assert sorted(entries) == sorted(world[f"{slug}_challenge"] for slug in CITIES)
            assert session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == round_id)) == 3
        signed_in(client, "gent@example.org")
        edit = client.post(
            f"/challenges/{world['gent_challenge']}/edit",
            data={"title": "Later", "summary": "S", "theme": "TRAN", "year": "2026", "version": "1"},
        )
        assert edit.status_code == 400 and "Voting has opened on this challenge" in edit.text

    def test_voting_needs_enough_eligible_challenges(self, make_round, world, in_app):
        round_id = make_round(
            RoundPhase.PROPOSALS_OPEN,
        )
        with in_app() as session:
            round_ = session.get(Round, round_id)
            round_.pilots_to_select = 5
            session.commit()
            with force_locale("en"), pytest.raises(ServiceError, match="at least 5 eligible challenges"):
                voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.PROPOSALS_OPEN)

    def test_a_stale_phase_button_does_nothing(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "draft"}, follow_redirects=True)
        assert "The round has moved on in the meantime." in response.text
        assert _round(in_app, round_id).phase is RoundPhase.PROPOSALS_OPEN
        assert client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "bogus"}).status_code == 400

    def test_closing_needs_a_submitted_ballot(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session, pytest.raises(ServiceError, match="Nog geen enkele stad heeft haar stembrief ingediend"):
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)

    def test_closing_freezes_a_snapshot_that_flask_rank_recomputes(self, make_round, world, in_app, runner, tmp_path):
        round_id = make_round(RoundPhase.CLOSED)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            snapshot = round_.snapshot
            document, stored_result, digest = json.loads(snapshot.document), snapshot.result, snapshot.sha256
            assert digest == ranking.sha256(document)
            assert document["exclude_self"][str(world["gent_challenge"])] == "gent"
            assert json.loads(stored_result)["selected"] == [str(world["gent_challenge"])]
            assert session.scalar(select(AuditEvent).where(AuditEvent.action == "round.closed")).details["sha256"] == digest
        path = tmp_path / "snapshot.json"
        path.write_text(json.dumps(document, indent=2))  # any formatting: the canonical form is what counts
        result = runner.invoke(args=["rank", str(path)])
        assert result.exit_code == 0
        assert result.output.strip() == stored_result

    def test_rank_command_refuses_bad_input(self, runner, tmp_path):
        bad = tmp_path / "bad.json"
        bad.write_text(
            json.dumps(
                {
                    "alternatives": ["a"],
                    "criteria": [{"id": "c", "weight": 1, "direction": "benefit", "scale": [1, 5]}],
                    "ballots": [{"voter": "gent", "scores": {"a": {"c": 9}}}],
                }
            )
        )
        result = runner.invoke(args=["rank", str(bad)])
        assert result.exit_code == 2
        assert "error:" in result.output
        broken = tmp_path / "broken.json"
        broken.write_text("{not json")
        assert runner.invoke(args=["rank", str(broken)]).exit_code == 2


class TestBallots:
    def _form(self, client, round_id, city):
        page = client.get(f"/rounds/{round_id}/ballots/{city}")
        assert page.status_code == 200
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
        cells = re.findall(r'name="(score-\d+-\d+)"', page.text)
        return version, cells, page.text

    def test_save_draft_submit_and_reopen(self, client, make_round, world, in_app):
        round_id = make_round()
        signed_in(client, "gent@example.org")
        version, cells, page = self._form(client, round_id, "gent")
        assert "own" in page  # Gent's own challenge is not scored
        assert len(cells) == 2 * 5
        data = {name: "3" for name in cells} | {
            "version": version,
            "action": "save",
            f"note-{world['leuven_challenge']}": "Sterk",
        }
        assert client.post(f"/rounds/{round_id}/ballots/gent", data=data).status_code == 302
        version, _, page = self._form(client, round_id, "gent")
        assert page.count('value="3"') == 10 and "Sterk" in page
        response = client.post(
            f"/rounds/{round_id}/ballots/gent", data={**data, "version": version, "action": "submit"}, follow_redirects=True
        )
        assert "Ballot submitted." in response.text
        version, cells, page = self._form(client, round_id, "gent")
        assert cells == []  # a submitted ballot is read-only
        refused = client.post(f"/rounds/{round_id}/ballots/gent", data={**data, "version": version})
        assert refused.status_code == 400 and "Reopen it to change it" in refused.text
        client.post(f"/rounds/{round_id}/ballots/gent/reopen", data={"version": version})
        with in_app() as session:
            ballot = session.scalar(select(Ballot).where(Ballot.round_id == round_id, Ballot.city_id == world["gent_city"]))
            assert ballot.status is BallotStatus.DRAFT

    @pytest.mark.parametrize(
        "value,message",
        [
            ("7", "Enter a number from 1 to 5."),
            ("abc", "Enter a number from 1 to 5."),
            ("3.5", "Enter a whole number."),
            ("nan", "Enter a number from 1 to 5."),
        ],
    )
    def test_bad_scores_keep_the_work_and_save_nothing(self, client, make_round, in_app, value, message):
        round_id = make_round()
        signed_in(client, "gent@example.org")
        version, cells, _ = self._form(client, round_id, "gent")
        data = {name: "4" for name in cells} | {cells[3]: value, "version": version, "action": "save"}
        response = client.post(f"/rounds/{round_id}/ballots/gent", data=data)
        assert response.status_code == 400
        assert message in response.text
        assert response.text.count('value="4"') == len(cells) - 1  # the rest of the work is still in the form
        assert f'value="{value}"' in response.text
        assert 'aria-invalid="true"' in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(Score.id))) == 0

    def test_own_challenge_cannot_be_scored(self, client, make_round, world, in_app):
        round_id = make_round()
        signed_in(client, "gent@example.org")
        version, _, _ = self._form(client, round_id, "gent")
        with in_app() as session:
            criterion = session.scalar(select(Criterion.id).where(Criterion.round_id == round_id))
        forged = {f"score-{world['gent_challenge']}-{criterion}": "5", "version": version, "action": "save"}
        response = client.post(f"/rounds/{round_id}/ballots/gent", data=forged)
        assert response.status_code == 400 and "may not score its own challenge" in response.text

    def test_self_scoring_when_the_round_allows_it(self, client, make_round):
        round_id = make_round(allow_self_scoring=True)
        signed_in(client, "gent@example.org")
        _, cells, _ = self._form(client, round_id, "gent")
        assert len(cells) == 3 * 5

    def test_who_may_see_and_fill_in_a_ballot(self, client, make_round, in_app):
        round_id = make_round()
        signed_in(client, "gent-staff@example.org")  # staff, not a voter: may look, not vote
        version, cells, _ = self._form(client, round_id, "gent")
        assert cells == []
        assert client.post(f"/rounds/{round_id}/ballots/gent", data={"version": version, "action": "save"}).status_code == 403
        client.logout()
        signed_in(client, "leuven@example.org")
        assert client.get(f"/rounds/{round_id}/ballots/gent").status_code == 403
        assert client.post(f"/rounds/{round_id}/ballots/gent", data={"version": "1", "action": "save"}).status_code == 403
        client.logout()
        signed_in(client, "steering@example.org")  # the committee sees who submitted, not the scores
        assert client.get(f"/rounds/{round_id}/ballots/gent").status_code == 403
        assert "not submitted yet" in client.get(f"/rounds/{round_id}").text
        assert client.get(f"/rounds/{round_id}/ballots/atlantis").status_code == 404
        assert client.post(f"/rounds/{round_id}/ballots/atlantis", data={"version": "1"}).status_code == 403  # nobody's voter

    def test_two_voters_of_one_city_at_once(self, client, app, make_round, world, make_user, in_app):
        round_id = make_round()
        make_user("gent-second@example.org", city="gent", locale="en")
        signed_in(client, "gent@example.org")
        version, cells, _ = self._form(client, round_id, "gent")
        other = app.test_client()
        signed_in(other, "gent-second@example.org")
        assert (
            other.post(f"/rounds/{round_id}/ballots/gent", data={cells[0]: "5", "version": version, "action": "save"}).status_code
            == 302
        )
        response = client.post(f"/rounds/{round_id}/ballots/gent", data={cells[0]: "1", "version": version, "action": "save"})
        assert response.status_code == 400
        assert "Somebody else saved this in the meantime" in response.text
        with in_app() as session:
            assert session.scalar(select(Score.value)) == 5  # the first save stands, nothing merged silently

    def test_stale_version_in_the_service(self, make_round, world, in_app):
        round_id = make_round()
        with in_app() as session, pytest.raises(StaleEdit):
            voting.save_ballot(session.get(User, world["gent"]), round_id, world["gent_city"], voting.BallotInput({}, {}), 99)

    def test_no_voting_after_closing(self, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "gent@example.org")
        with in_app() as session:
            version = session.scalar(
                select(Ballot.version).where(Ballot.round_id == round_id, Ballot.city_id == world["gent_city"])
            )
        response = client.post(f"/rounds/{round_id}/ballots/gent/reopen", data={"version": str(version)}, follow_redirects=True)
        assert "Voting is not open in this round." in response.text

    def test_saving_a_ballot_takes_a_constant_number_of_statements(self, app, client, make_round):
        round_id = make_round()
        signed_in(client, "gent@example.org")
        version, cells, _ = self._form(client, round_id, "gent")
        with count_queries(app) as small:
            response = client.post(f"/rounds/{round_id}/ballots/gent", data={cells[0]: "3", "version": version, "action": "save"})
        assert response.status_code == 302
        version, cells, _ = self._form(client, round_id, "gent")
        with count_queries(app) as large:
            response = client.post(
                f"/rounds/{round_id}/ballots/gent", data={**{n: "3" for n in cells}, "version": version, "action": "save"}
            )
        assert response.status_code == 302
        assert len(cells) == 10
        assert len(large) == len(small), [q.split()[0] for q in large]


class TestVisibilityAfterPublication:
    def test_ballots_become_visible_unless_confidential(self, client, make_round, world):
        public = make_round(RoundPhase.PUBLISHED)
        secret = make_round(RoundPhase.PUBLISHED, ballots_confidential=True)
        signed_in(client, "leuven@example.org")
        assert client.get(f"/rounds/{public}/ballots/gent").status_code == 200
        assert client.get(f"/rounds/{secret}/ballots/gent").status_code == 403


class TestConfirmation:
    def test_override_needs_a_justification_and_creates_pilots(self, make_round, world, in_app):
        from pilots.models import Pilot

        round_id = make_round(RoundPhase.PUBLISHED)
        with in_app() as session:
            steering = session.get(User, world["steering"])
            with force_locale("en"), pytest.raises(ServiceError, match="justification"):
                voting.confirm_selection(steering, round_id, [world["leuven_challenge"]], "te kort")
            pilots = voting.confirm_selection(
                steering, round_id, [world["leuven_challenge"]], "Leuven heeft de data al klaar; Gent volgt volgend jaar."
            )
            assert [p.challenge_id for p in pilots] == [world["leuven_challenge"]]
            statuses = dict(session.execute(select(Challenge.id, Challenge.status)).all())
            assert statuses[world["leuven_challenge"]] is ChallengeStatus.SELECTED
            assert statuses[world["gent_challenge"]] is ChallengeStatus.NOT_SELECTED
            assert session.scalar(select(func.count(Pilot.id))) == 1
            with force_locale("en"), pytest.raises(ServiceError, match="already confirmed"):
                voting.confirm_selection(steering, round_id, [world["gent_challenge"]], "")

    def test_confirmation_waits_for_publication(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        with in_app() as session, pytest.raises(ServiceError, match="Publiceer de resultaten"):
            voting.confirm_selection(session.get(User, world["steering"]), round_id, [world["gent_challenge"]], "")


def test_unknown_round(client, world):
    signed_in(client, "gent@example.org")
    assert client.get("/rounds/999").status_code == 404


def test_cities_count(in_app, world):
    with in_app() as session:
        assert session.scalar(select(func.count(City.id))) == 3


@pytest.mark.parametrize(
    ("phase", "editable"),
    [(RoundPhase.DRAFT, True), (RoundPhase.PROPOSALS_OPEN, True), (RoundPhase.VOTING_OPEN, False), (RoundPhase.CLOSED, False)],
)
def test_criteria_are_editable_until_voting_opens_and_only_by_the_committee(make_round, in_app, world, client, phase, editable):
    round_id = make_round(phase)
    with in_app() as session:
        round_ = session.get(Round, round_id)
        assert voting.criteria_editable(round_) is editable
        assert voting.can_edit_criteria(session.get(User, world["steering"]), round_) is editable
        assert voting.can_edit_criteria(session.get(User, world["gent"]), round_) is False
    signed_in(client, "steering@example.org")
    page = client.get(f"/rounds/{round_id}").text
    assert (f'href="/rounds/{round_id}/criteria/new"' in page) is editable
    assert (f'href="/rounds/{round_id}/weights"' in page) is editable
