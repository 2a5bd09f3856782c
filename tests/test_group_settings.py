"""A round's group-decision settings (issue 15): whose weights count, the tie-break rule, effort and capacity;
what they freeze, what the snapshot (contract version 2) carries, and what the API keeps private."""

from __future__ import annotations

import json

import pytest
from flask_babel import force_locale

from pilots import ranking
from pilots.models import AuditEvent, Challenge, EffortUnit, Round, RoundPhase, TieBreak, User, WeightSource
from pilots.services import voting
from pilots.services.errors import ServiceError
from tests.voting_world import ROUND_FORM, fill_ballots, signed_in


def _form(**changes) -> dict[str, str]:
    return {**ROUND_FORM, "weight_source": "committee", "tie_break": "default", "effort_unit": "person_months", **changes}


def _set_efforts(in_app, world, efforts: dict[str, float | None]) -> None:
    with in_app() as session:
        for slug, effort in efforts.items():
            session.get(Challenge, world[f"{slug}_challenge"]).effort = effort
        session.commit()


def _give_weights(session, round_: Round) -> None:
    """Each city's own weights, different per city, straight into its ballot (the ballot pages are tested elsewhere)."""
    keys = [c.key for c in round_.criteria]
    for position, ballot in enumerate(sorted(round_.ballots, key=lambda b: b.city.slug)):
        ballot.weights = {key: float(1 + (i + position) % 3) for i, key in enumerate(keys)}
    session.commit()


class TestTheRoundForm:
    def test_the_committee_sets_the_group_rules_and_the_round_page_states_them(self, client, world, in_app):
        signed_in(client, "steering@example.org")
        response = client.post(
            "/rounds/new",
            data=_form(weight_source="cities", tie_break="first_criterion_then_draw", effort_unit="relative", capacity="4.5"),
        )
        assert response.status_code == 302
        round_id = int(response.headers["Location"].rsplit("/", 1)[1])
        with in_app() as session:
            round_ = session.get(Round, round_id)
            assert (round_.weight_source, round_.tie_break, round_.effort_unit, round_.capacity) == (
                WeightSource.CITIES,
                TieBreak.FIRST_CRITERION_THEN_DRAW,
                EffortUnit.RELATIVE,
                4.5,
            )
        page = client.get(f"/rounds/{round_id}").text
        assert "Tie-break rule: Higher mean on the first criterion, then a draw with the round's seed." in page
        assert "Weights: The cities' weights: each city weighs the criteria on its ballot." in page
        assert "Capacity: 4.5 (Relative size (e.g. 1 small to 5 large))" in page
        assert client.post("/language", data={"language": "nl"}).status_code == 302
        page = client.get(f"/rounds/{round_id}").text
        assert "Capaciteit: 4,5" in page
        assert "Regel bij gelijke stand: Hoogste gemiddelde op het eerste criterium" in page

    def test_without_a_capacity_the_round_page_says_the_top_is_selected(self, client, make_round):
        round_id = make_round(RoundPhase.DRAFT)
        signed_in(client, "gent@example.org")
        page = client.get(f"/rounds/{round_id}").text
        assert "No capacity: the top of the ranking is selected." in page
        assert "Tie-break rule: Higher aggregate score, then the challenge proposed first." in page

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("capacity", "-1", "Number must be between 0 and 1000000."),
            ("capacity", "veel", "Not a valid float value."),
            ("tie_break", "lowest_id", "Not a valid choice."),
            ("weight_source", "mayor", "Not a valid choice."),
        ],
    )
    def test_bad_settings_are_refused_next_to_the_field_and_kept(self, client, world, in_app, field, value, message):
        signed_in(client, "steering@example.org")
        response = client.post("/rounds/new", data=_form(title="Mijn ronde", **{field: value}))
        assert response.status_code == 400
        assert message in response.text
        assert 'value="Mijn ronde"' in response.text
        with in_app() as session:
            assert session.query(Round).count() == 0

    def test_the_service_refuses_what_the_form_would_not_send(self, world, in_app):
        with in_app() as session:
            steering = session.get(User, world["steering"])
            for data, field in [
                (voting.RoundData("R", 2026, capacity=float("nan")), "capacity"),
                (voting.RoundData("R", 2026, capacity=-0.5), "capacity"),
                (voting.RoundData("R", 2026, tie_break="lowest_id"), "tie_break"),
                (voting.RoundData("R", 2026, weight_source="mayor"), "weight_source"),
                (voting.RoundData("R", 2026, effort_unit="euro"), "effort_unit"),
            ]:
                with pytest.raises(ServiceError) as error:
                    voting.create_round(steering, data)
                assert error.value.field == field


class TestWhatFreezes:
    @pytest.mark.parametrize(
        "change",
        [
            {"tie_break": TieBreak.FIRST_CRITERION_THEN_DRAW},
            {"weight_source": WeightSource.CITIES},
            {"effort_unit": EffortUnit.RELATIVE},
        ],
    )
    def test_the_rules_of_the_vote_are_fixed_when_voting_opens(self, make_round, world, in_app, change):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            data = voting.RoundData(title=round_.title, year=2026, pilots_to_select=1, sensitivity_samples=300, **change)
            with force_locale("en"), pytest.raises(ServiceError, match="no longer be changed"):
                voting.update_round(session.get(User, world["steering"]), round_id, data, round_.version)

    def test_the_capacity_may_change_until_the_round_closes_and_is_audited(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            steering = session.get(User, world["steering"])
            round_ = session.get(Round, round_id)
            data = voting.RoundData(title=round_.title, year=2026, pilots_to_select=1, sensitivity_samples=300, capacity=3.0)
            voting.update_round(steering, round_id, data, round_.version)
            event = session.query(AuditEvent).filter_by(action="round.updated", object_id=str(round_id)).one()
            assert event.details["changes"]["capacity"] == {"from": None, "to": 3.0}
        round_id = make_round(RoundPhase.CLOSED)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            data = voting.RoundData(title=round_.title, year=2026, pilots_to_select=1, sensitivity_samples=300, capacity=3.0)
            with force_locale("en"), pytest.raises(ServiceError, match="no longer be changed"):
                voting.update_round(session.get(User, world["steering"]), round_id, data, round_.version)


class TestTheSnapshot:
    def test_a_new_round_closes_on_a_version_2_document_with_its_tie_break_rule(self, make_round, in_app):
        round_id = make_round(RoundPhase.CLOSED, tie_break=TieBreak.FIRST_CRITERION_THEN_DRAW, seed=11)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            document = json.loads(round_.snapshot.document)
            result = voting.result_of(round_)
        assert document["version"] == 2
        assert document["tie_break"] == {"rule": "first_criterion_then_draw", "seed": 11}
        assert "voter_weights" not in document and "capacity" not in document
        assert result["tie_break"] == {"rule": "first_criterion_then_draw", "seed": 11}
        assert result["consensus"]["cells"] and result["capacity"] is None
        assert ranking.canonical_json(ranking.run(document)) == round_.snapshot.result  # it recomputes exactly

    def test_closing_with_a_capacity_needs_every_effort_and_names_the_missing_ones(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=5.0)
        _set_efforts(in_app, world, {"gent": 4.0, "leuven": None, "kortrijk": 2.5})
        with in_app() as session:
            fill_ballots(session, world, round_id)
            with force_locale("en"), pytest.raises(ServiceError, match="missing for: Uitdaging van Leuven") as error:
                voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)
            assert "Gent" not in str(error.value.message)
            assert session.get(Round, round_id).phase is RoundPhase.VOTING_OPEN

    def test_with_every_effort_the_engine_selects_the_best_set_that_fits(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN, capacity=3.0, effort_unit=EffortUnit.PERSON_MONTHS)
        # Gent's challenge ranks first but does not fit the capacity: capacity, not rank, decides.
        _set_efforts(in_app, world, {"gent": 4.0, "leuven": 3.0, "kortrijk": 2.5})
        with in_app() as session:
            fill_ballots(session, world, round_id)
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)
            round_ = session.get(Round, round_id)
            document = json.loads(round_.snapshot.document)
            result = voting.result_of(round_)
        assert document["capacity"] == 3.0
        assert document["effort"] == {
            str(world["gent_challenge"]): 4.0,
            str(world["leuven_challenge"]): 3.0,
            str(world["kortrijk_challenge"]): 2.5,
        }
        assert result["capacity"]["by_rank"] == [str(world["gent_challenge"])]
        assert result["capacity"]["capacity_decided"] is True
        assert result["selected"] == result["capacity"]["selected"] != [str(world["gent_challenge"])]
        assert result["capacity"]["total_effort"] <= 3.0

    def test_a_cities_round_cannot_close_without_any_citys_weights(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            _give_weights(session, round_)
            fill_ballots(session, world, round_id)
            for ballot in round_.ballots:  # as if every weight had been lost since: the close still refuses
                ballot.weights = None
            session.commit()
            document = voting.snapshot_document(round_)
            assert document["weight_aggregation"] == "geometric_mean" and document["voter_weights"] == {}
            with force_locale("en"), pytest.raises(ServiceError, match="no submitted ballot gives weights"):
                voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)


class TestAConfidentialRoundOfTheCitiesWeights:
    def test_needs_three_cities_weights_before_it_closes(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES, ballots_confidential=True)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            _give_weights(session, round_)
            fill_ballots(session, world, round_id, cities=("gent", "leuven"))  # two cities: each could read the other
            steering = session.get(User, world["steering"])
            with force_locale("en"):
                with pytest.raises(ServiceError) as refused:
                    voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
                assert "only 2 of the submitted ballots give weights" in str(refused.value.message)
            assert session.get(Round, round_id).phase is RoundPhase.VOTING_OPEN
            fill_ballots(session, world, round_id, cities=("kortrijk",))
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
            assert session.get(Round, round_id).phase is RoundPhase.CLOSED

    def test_a_public_round_closes_with_two(self, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES)
        with in_app() as session:
            _give_weights(session, session.get(Round, round_id))
            fill_ballots(session, world, round_id, cities=("gent", "leuven"))
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)
            assert session.get(Round, round_id).phase is RoundPhase.CLOSED


class TestWhatTheApiShows:
    def _publish_with_city_weights(self, make_round, world, in_app, confidential: bool) -> int:
        round_id = make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES, ballots_confidential=confidential)
        with in_app() as session:
            _give_weights(session, session.get(Round, round_id))
            fill_ballots(session, world, round_id)
            steering = session.get(User, world["steering"])
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
            voting.advance(steering, round_id, RoundPhase.CLOSED)
        return round_id

    def test_a_public_round_shows_each_citys_weights_and_dissent(self, client, make_round, world, in_app):
        round_id = self._publish_with_city_weights(make_round, world, in_app, confidential=False)
        result = client.get(f"/api/v1/rounds/{round_id}").get_json()["result"]
        assert sorted(result["city_weights"]) == ["gent", "kortrijk", "leuven"]
        assert sorted(result["distance"]) == ["gent", "kortrijk", "leuven"]
        assert result["weight_aggregation"] == "geometric_mean"

    def test_a_confidential_round_keeps_each_citys_weights_and_dissent_private(self, client, make_round, world, in_app):
        round_id = self._publish_with_city_weights(make_round, world, in_app, confidential=True)
        result = client.get(f"/api/v1/rounds/{round_id}").get_json()["result"]
        assert result["city_weights"] is None and result["distance"] is None
        assert result["consensus"]["cities"] == []
        assert result["group_weights"] is not None and result["consensus"]["kendall_w"] is None  # aggregates stay
        # Each cell was scored by 2 cities: its spread would give one city's score to the other (and to everyone).
        cells = [cell for row in result["consensus"]["cells"].values() for cell in row.values()]
        assert cells and all(cell["n"] <= 2 and cell["median"] is None and cell["min"] is None for cell in cells)
        assert {row["voter"] for row in result["leave_one_out"]} == {"gent", "kortrijk", "leuven"}  # as in version 1


class TestWhatOfASpreadIsShared:
    CELL = {"n": 6, "min": 1.0, "max": 5.0, "median": 3.0, "q1": 2.0, "q3": 4.0, "iqr": 2.0, "std": 1.2}

    def test_a_reader_who_sees_every_citys_scores_sees_the_whole_cell(self):
        assert voting.shareable_cell(self.CELL, True) == self.CELL

    def test_otherwise_never_the_lowest_and_highest_score(self):
        shared = voting.shareable_cell(self.CELL, False)
        assert shared["min"] is None and shared["max"] is None
        assert (shared["n"], shared["median"], shared["iqr"]) == (6, 3.0, 2.0)

    @pytest.mark.parametrize("n", [1, 2, 3, 4])
    def test_and_nothing_of_a_cell_too_few_cities_scored(self, n):
        shared = voting.shareable_cell({**self.CELL, "n": n}, False)
        assert shared["n"] == n and all(shared[key] is None for key in voting.SPREAD_FIGURES)
