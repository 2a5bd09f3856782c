"""Each city weighs the criteria (issue 15): in a round that ranks with the cities' weights, a city's voters give
their city's weights on its ballot, directly or by pairwise comparison; the ballot is submitted only with them; the
snapshot carries them and the result combines them with the geometric mean (docs/ranking.md, "Group weights")."""

from __future__ import annotations

import math
import re
from contextlib import contextmanager

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from pilots.models import AuditEvent, Ballot, BallotStatus, Criterion, Round, RoundPhase, User, WeightSource
from pilots.services import city_weights, voting
from pilots.services.errors import Forbidden, ServiceError, StaleEdit
from tests.conftest import count_queries
from tests.voting_world import CITIES, fill_ballots, signed_in


@pytest.fixture
def cities_round(make_round):
    """A round that ranks with the cities' weights, voting open, with the five suggested criteria."""
    return make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES)


@pytest.fixture
def english(app):
    """``with english():`` service messages (lazy texts) read in English, as on an English page."""

    @contextmanager
    def context():
        with app.test_request_context(), force_locale("en"):
            yield

    return context


def criteria(in_app, round_id) -> list[tuple[int, str, str]]:
    """(id, key, English name) of the round's criteria, in order."""
    with in_app() as session:
        found = session.scalars(select(Criterion).where(Criterion.round_id == round_id).order_by(Criterion.position)).all()
        return [(c.id, c.key, c.name_en) for c in found]


def state(in_app, round_id, city_id):
    """(version, weights, judgements, status) of a city's ballot."""
    with in_app() as session:
        ballot = session.scalar(select(Ballot).where(Ballot.round_id == round_id, Ballot.city_id == city_id))
        return ballot.version, ballot.weights, ballot.weight_judgements, ballot.status


def events(in_app, round_id) -> list[dict]:
    with in_app() as session:
        found = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "ballot.weights_saved", AuditEvent.object_id == str(round_id))
            .order_by(AuditEvent.id)
        )
        return [event.details for event in found]


def version_on(page: str) -> str:
    return re.search(r'name="version" value="(\d+)"', page).group(1)


def text(response) -> str:
    return re.sub(r"\s+", " ", response.text)


def direct(round_id, city="gent") -> str:
    return f"/rounds/{round_id}/ballots/{city}/weights"


def pairwise(round_id, city="gent") -> str:
    return f"/rounds/{round_id}/ballots/{city}/weights/pairwise"


def give(session, world, round_id, slug, weights: list[float]) -> Ballot:
    """The city's weights, one per criterion in order, through the service."""
    round_ = session.get(Round, round_id)
    ballot = voting.get_ballot(round_, world[f"{slug}_city"])
    values = {c.id: str(w) for c, w in zip(round_.criteria, weights, strict=True)}
    return city_weights.save_direct_weights(
        session.get(User, world[slug]), round_id, world[f"{slug}_city"], values, ballot.version
    )


# --- directly: a number per criterion --------------------------------------------------------------------------


class TestDirectWeights:
    def test_weights_in_any_unit_are_stored_as_shares_and_audited(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        signed_in(client, "gent@example.org")
        page = client.get(direct(cities_round))
        assert page.status_code == 200
        typed = ["4", "2", "1,5", "0.5", "2"]  # a decimal comma is fine too
        data = {
            "version": version_on(page.text),
            **{f"weight-{i}": value for (i, _k, _n), value in zip(found, typed, strict=True)},
        }
        response = client.post(direct(cities_round), data=data)
        assert response.status_code == 302 and response.headers["Location"] == f"/rounds/{cities_round}/ballots/gent"
        version, weights, judgements, status = state(in_app, cities_round, world["gent_city"])
        assert version == int(data["version"]) + 1 and status is BallotStatus.DRAFT and judgements is None
        assert math.fsum(weights.values()) == pytest.approx(1)
        assert weights == pytest.approx({"impact": 0.4, "feasibility": 0.2, "data": 0.15, "relevance": 0.05, "cost": 0.2})
        assert events(in_app, cities_round) == [
            {
                "city_id": world["gent_city"],
                "method": "direct",
                "criteria": 5,  # never the weights themselves: administrators read the audit log in every round
            }
        ]
        ballot = text(client.get(f"/rounds/{cities_round}/ballots/gent"))
        assert "Weights of Gent, as shares of the whole" in ballot
        assert 'Impact for citizens</th><td class="text-end">40.0%' in ballot.replace("> <", "><")
        assert "Given directly, one number per criterion." in ballot
        # The form shows them back as percentages, ready to change.
        assert 'value="40"' in client.get(direct(cities_round)).text

    def test_percentages_in_dutch(self, client, cities_round, world, in_app):
        with in_app() as session:
            give(session, world, cities_round, "gent", [1, 1, 1, 0.5, 0.5])
            session.get(User, world["gent"]).locale = "nl"
            session.commit()
        signed_in(client, "gent@example.org")
        page = client.get(f"/rounds/{cities_round}/ballots/gent").text
        assert "25,0%" in page and "12,5%" in page and "25.0%" not in page
        assert 'value="12,5"' in client.get(direct(cities_round)).text

    @pytest.mark.parametrize(
        ("values", "messages", "top"),
        [
            (
                ["0"] * 5,
                ["Give this criterion a weight above 0."] * 5,
                "Every weight is 0: give each criterion a weight above 0.",
            ),
            (["3", "-1", "1", "1", "1"], [None, "A weight cannot be negative.", None, None, None], None),
            (["3", "abc", "1", "1", "1"], [None, "Enter a number, such as 2 or 0.5.", None, None, None], None),
            (["3", "1", "", "1", "1"], [None, None, "Give this criterion a weight.", None, None], None),
            (["nan", "inf", "1e309", "1", "1"], ["Enter a number, such as 2 or 0.5."] * 3 + [None, None], None),
            (["3", "0", "1", "1", "1"], [None, "Give this criterion a weight above 0.", None, None, None], None),
            (
                ["1", "0.0000001", "1", "1", "1"],
                [None, "This weight is less than a millionth of the largest one: it would count for nothing.", None, None, None],
                None,
            ),
            (["1e13", "1", "1", "1", "1"], ["This number is too large: use a smaller unit.", None, None, None, None], None),
        ],
        ids=["all zero", "negative", "not a number", "empty", "not finite", "one zero", "far too small", "too large"],
    )
    def test_bad_weights_are_named_next_to_their_field_and_kept(self, client, cities_round, world, in_app, values, messages, top):
        found = criteria(in_app, cities_round)
        signed_in(client, "gent@example.org")
        before = state(in_app, cities_round, world["gent_city"])
        data = {"version": str(before[0]), **{f"weight-{i}": value for (i, _k, _n), value in zip(found, values, strict=True)}}
        response = client.post(direct(cities_round), data=data)
        assert response.status_code == 400
        page = response.text
        assert (top or "Some weights are not valid; nothing was saved. Correct the marked fields.") in page
        for (criterion_id, _key, _name), value, message in zip(found, values, messages, strict=True):
            field = re.search(rf'<input[^>]*id="weight-{criterion_id}"[^>]*>', page, re.S).group(0)
            assert f'value="{value}"' in field  # what was typed is still there
            if message:
                assert 'aria-invalid="true"' in field and f"weight-{criterion_id}-error" in field
                error = re.search(rf'<div class="invalid-feedback d-block" id="weight-{criterion_id}-error">([^<]*)</div>', page)
                assert error.group(1) == message
            else:
                assert "aria-invalid" not in field
        assert state(in_app, cities_round, world["gent_city"]) == before
        assert events(in_app, cities_round) == []

    def test_missing_fields_and_a_mangled_version(self, client, cities_round, world, in_app):
        signed_in(client, "gent@example.org")
        version = state(in_app, cities_round, world["gent_city"])[0]
        response = client.post(direct(cities_round), data={"version": str(version), "weight-x": "1"})
        assert response.status_code == 400 and response.text.count("Give this criterion a weight.") == 5
        response = client.post(direct(cities_round), data={"version": "not a number"})
        assert response.status_code == 400 and "Somebody else saved this in the meantime" in response.text
        assert state(in_app, cities_round, world["gent_city"])[0] == version


# --- by pairwise comparison ------------------------------------------------------------------------------------


def judgements(found, *, contradictory=False) -> dict[str, str]:
    """Impact moderately more important than every other criterion, the rest equal; or a cycle among three."""
    ids = [i for i, _k, _n in found]
    chosen = {f"pair-{a}-{b}": ("3" if a == ids[0] else "1") for n, a in enumerate(ids) for b in ids[n + 1 :]}
    if contradictory:
        chosen |= {f"pair-{ids[1]}-{ids[2]}": "9", f"pair-{ids[2]}-{ids[3]}": "9", f"pair-{ids[1]}-{ids[3]}": "0.111111"}
    return chosen


class TestPairwiseWeights:
    def test_consistent_comparisons_are_saved_at_once_with_their_ratio(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        signed_in(client, "gent@example.org")
        page = client.get(pairwise(cities_round)).text
        assert "Saaty’s scale in plain words" in page and page.count("<select") == 10
        response = client.post(
            pairwise(cities_round), data={**judgements(found), "version": version_on(page)}, follow_redirects=True
        )
        assert "Your city&#39;s weights are saved (consistency ratio 0.00)." in response.text
        assert "Weights derived from pairwise comparisons; consistency ratio 0.00." in response.text
        assert "-0.00" not in response.text
        _version, weights, stored, _status = state(in_app, cities_round, world["gent_city"])
        assert weights["impact"] == pytest.approx(3 / 7) and math.fsum(weights.values()) == pytest.approx(1)
        assert stored["impact:feasibility"] == 3 and stored["data:cost"] == 1 and len(stored) == 10
        assert events(in_app, cities_round)[0]["method"] == "pairwise"
        assert "consistency_ratio" not in events(in_app, cities_round)[0]
        # The page shows the comparisons as they were left, and the ratio.
        again = client.get(pairwise(cities_round)).text
        assert again.count('value="3" selected') == 4
        assert "Weights derived from pairwise comparisons; consistency ratio 0.00." in again and "-0.00" not in again

    def test_inconsistent_comparisons_are_a_preview_then_kept_when_confirmed(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        names = {i: n for i, _k, n in found}
        signed_in(client, "gent@example.org")
        before = state(in_app, cities_round, world["gent_city"])
        data = {**judgements(found, contradictory=True), "version": str(before[0])}
        response = client.post(pairwise(cities_round), data=data)
        assert response.status_code == 200
        page = text(response)
        assert "Preview: these comparisons are inconsistent" in page and "The weights have not been changed." in page
        assert "above 0.10" in page and "-0.00" not in page
        listed = re.findall(r"<li>([^<]+) compared with ([^<]+?): you chose ([^,]+), the weights imply ([^.<]+)\.</li>", page)
        assert len(listed) == 3
        cycle = {names[found[1][0]], names[found[2][0]], names[found[3][0]]}
        assert {a for a, *_ in listed} | {b for _a, b, *_ in listed} <= cycle
        assert state(in_app, cities_round, world["gent_city"]) == before  # nothing changed
        previewed = re.search(r'name="previewed" value="([^"]+)"', page).group(1)

        # "Apply anyway" with comparisons changed since the preview: a new preview, still nothing saved.
        changed = {**data, f"pair-{found[0][0]}-{found[4][0]}": "9", "previewed": previewed, "apply_anyway": "1"}
        assert "Preview: these comparisons are inconsistent" in client.post(pairwise(cities_round), data=changed).text
        assert state(in_app, cities_round, world["gent_city"]) == before

        confirmed = client.post(
            pairwise(cities_round), data={**data, "previewed": previewed, "apply_anyway": "1"}, follow_redirects=True
        )
        assert "saved although the comparisons are inconsistent" in confirmed.text
        version, weights, stored, _status = state(in_app, cities_round, world["gent_city"])
        assert version == before[0] + 1 and math.fsum(weights.values()) == pytest.approx(1)
        assert stored["feasibility:data"] == 9
        (event,) = events(in_app, cities_round)
        assert event["applied_despite_inconsistency"] is True
        assert set(event) == {"city_id", "method", "criteria", "applied_despite_inconsistency"}  # no judgement, no ratio
        assert "above 0.10: inconsistent" in confirmed.text

    def test_the_ratio_in_dutch(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        with in_app() as session:
            session.get(User, world["gent"]).locale = "nl"
            session.commit()
        signed_in(client, "gent@example.org")
        version = version_on(client.get(pairwise(cities_round)).text)
        response = client.post(pairwise(cities_round), data={**judgements(found), "version": version}, follow_redirects=True)
        assert "0,00" in response.text and "-0,00" not in response.text and "0.00" not in response.text
        assert "42,9%" in response.text

    def test_a_comparison_off_the_scale_or_missing(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        signed_in(client, "gent@example.org")
        before = state(in_app, cities_round, world["gent_city"])
        data = {**judgements(found), "version": str(before[0])}
        data[f"pair-{found[0][0]}-{found[1][0]}"] = "4"
        del data[f"pair-{found[3][0]}-{found[4][0]}"]
        response = client.post(pairwise(cities_round), data=data)
        assert response.status_code == 400
        assert "Choose a comparison for Impact for citizens and Feasibility." in response.text
        assert "Choose a comparison for Relevance for several cities and Cost." in response.text
        assert state(in_app, cities_round, world["gent_city"]) == before

    def test_the_service_refuses_values_off_saatys_scale(self, cities_round, world, in_app, english):
        with in_app() as session, english():
            round_ = session.get(Round, cities_round)
            ids = [c.id for c in round_.criteria]
            chosen = {f"{a}:{b}": 1.0 for n, a in enumerate(ids) for b in ids[n + 1 :]}
            version = voting.get_ballot(round_, world["gent_city"]).version
            voter = session.get(User, world["gent"])
            with pytest.raises(ServiceError, match="Saaty"):
                city_weights.save_pairwise_weights(
                    voter, cities_round, world["gent_city"], {**chosen, f"{ids[0]}:{ids[1]}": 10.0}, True, version
                )
            with pytest.raises(ServiceError, match="Compare every pair"):
                city_weights.save_pairwise_weights(voter, cities_round, world["gent_city"], {}, True, version)
            outcome = city_weights.save_pairwise_weights(voter, cities_round, world["gent_city"], chosen, False, version)
            assert outcome.applied and outcome.cr == pytest.approx(0, abs=1e-12) and outcome.cr >= 0


# --- submitting, the snapshot and the result --------------------------------------------------------------------


class TestSubmitting:
    def test_a_ballot_is_submitted_only_with_the_citys_weights(self, client, cities_round, world, in_app):
        signed_in(client, "gent@example.org")
        page = client.get(f"/rounds/{cities_round}/ballots/gent").text
        assert "Your city has not given its weights yet: the ballot can only be submitted with them." in page
        cells = re.findall(r'name="(score-\d+-\d+)"', page)
        data = {**{name: "3" for name in cells}, "version": version_on(page), "action": "submit"}
        refused = client.post(f"/rounds/{cities_round}/ballots/gent", data=data)
        assert refused.status_code == 400
        assert "Give your city&#39;s weights before submitting." in refused.text
        assert f'href="/rounds/{cities_round}/ballots/gent/weights"' in refused.text  # the way to the weights
        assert refused.text.count('value="3"') == len(cells)  # the scores typed are kept
        assert state(in_app, cities_round, world["gent_city"])[3] is BallotStatus.DRAFT

        with in_app() as session:
            give(session, world, cities_round, "gent", [2, 1, 1, 1, 1])
        page = client.get(f"/rounds/{cities_round}/ballots/gent").text
        data["version"] = version_on(page)
        accepted = client.post(f"/rounds/{cities_round}/ballots/gent", data=data, follow_redirects=True)
        assert "Ballot submitted." in accepted.text
        assert state(in_app, cities_round, world["gent_city"])[3] is BallotStatus.SUBMITTED

    def test_the_service_rule(self, cities_round, world, in_app, english):
        with in_app() as session, english(), pytest.raises(ServiceError, match=r"Give your city's weights before submitting\."):
            fill_ballots(session, world, cities_round, cities=("leuven",))

    def test_a_committee_round_asks_no_weights(self, client, make_round, world, in_app, english):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        signed_in(client, "gent@example.org")
        assert "Weights of Gent" not in client.get(f"/rounds/{round_id}/ballots/gent").text
        page = client.get(direct(round_id))
        assert page.status_code == 200 and "This round ranks with the steering committee&#39;s weights" in page.text
        assert "<form method" not in page.text.split("<main", 1)[1].split("</main>")[0]
        with in_app() as session:
            fill_ballots(session, world, round_id, cities=("gent",))  # submitted without weights
            ballot = voting.get_ballot(session.get(Round, round_id), world["leuven_city"])
            with english(), pytest.raises(ServiceError, match="steering committee"):
                city_weights.save_direct_weights(
                    session.get(User, world["leuven"]), round_id, world["leuven_city"], {}, ballot.version
                )
        assert client.post(direct(round_id), data={"version": "1"}).status_code == 400

    def test_the_snapshot_and_the_result_carry_the_cities_weights(self, cities_round, world, in_app):
        given = {"gent": [4, 2, 2, 1, 1], "leuven": [1, 1, 1, 1, 1], "kortrijk": [1, 3, 1, 3, 2]}
        with in_app() as session:
            for slug, weights in given.items():
                give(session, world, cities_round, slug, weights)
            fill_ballots(session, world, cities_round)
            round_ = session.get(Round, cities_round)
            document = voting.snapshot_document(round_)
            keys = [c.key for c in round_.criteria]
            assert document["weight_aggregation"] == "geometric_mean"
            assert set(document["voter_weights"]) == set(given)
            for slug, weights in given.items():
                assert document["voter_weights"][slug] == pytest.approx(
                    {k: w / sum(weights) for k, w in zip(keys, weights, strict=True)}
                )
            voting.advance(session.get(User, world["steering"]), cities_round, RoundPhase.VOTING_OPEN)
            result = voting.result_of(session.get(Round, cities_round))
        shares = {slug: [w / sum(weights) for w in weights] for slug, weights in given.items()}
        means = [math.prod(shares[slug][n] for slug in given) ** (1 / len(given)) for n in range(len(keys))]
        group = {key: mean / sum(means) for key, mean in zip(keys, means, strict=True)}
        assert result["weight_aggregation"] == "geometric_mean"
        assert result["group_weights"] == pytest.approx(group)
        assert result["weights"] == pytest.approx(group)  # ranked with the group weights
        assert set(result["city_weights"]) == set(given) and result["city_weights"]["gent"]["impact"] == pytest.approx(0.4)
        for slug in given:
            half_l1 = sum(abs(s - group[k]) for s, k in zip(shares[slug], keys, strict=True)) / 2
            assert result["distance"][slug] == pytest.approx(half_l1)


# --- who may, and when ----------------------------------------------------------------------------------------


class TestPermissions:
    def test_only_the_citys_voters_give_its_weights(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        data = {"version": "1", **{f"weight-{i}": "1" for i, _k, _n in found}}
        pairs = {**judgements(found), "version": "1"}
        before = state(in_app, cities_round, world["gent_city"])
        # Another city's voter: neither sees Gent's weights nor sets them.
        signed_in(client, "leuven@example.org")
        assert client.get(direct(cities_round)).status_code == 403
        assert client.get(pairwise(cities_round)).status_code == 403
        assert client.post(direct(cities_round), data=data).status_code == 403
        assert client.post(pairwise(cities_round), data=pairs).status_code == 403
        client.logout()
        # Gent's staff who do not vote: see them, cannot change them.
        signed_in(client, "gent-staff@example.org")
        page = client.get(direct(cities_round))
        assert page.status_code == 200 and "Only your city&#39;s voters fill in its ballot." in page.text
        assert 'name="weight-' not in page.text
        assert client.post(direct(cities_round), data=data).status_code == 403
        assert client.post(pairwise(cities_round), data=pairs).status_code == 403
        client.logout()
        # The committee: neither (it sees who submitted, not a city's scores or weights).
        signed_in(client, "steering@example.org")
        assert client.get(direct(cities_round)).status_code == 403
        assert client.post(direct(cities_round), data=data).status_code == 403
        assert client.post(pairwise(cities_round), data=pairs).status_code == 403
        client.logout()
        # Visitors sign in first.
        for response in (client.get(direct(cities_round)), client.post(direct(cities_round), data=data)):
            assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert state(in_app, cities_round, world["gent_city"]) == before
        assert client.get(direct(cities_round, "atlantis")).status_code == 302  # (signed out: sign in first)

    def test_the_service_refuses_another_citys_voter(self, cities_round, world, in_app):
        with in_app() as session, pytest.raises(Forbidden):
            city_weights.save_direct_weights(session.get(User, world["leuven"]), cities_round, world["gent_city"], {}, None)

    def test_the_predicates(self, cities_round, world, in_app):
        with in_app() as session:
            round_ = session.get(Round, cities_round)
            gent = world["gent_city"]
            assert city_weights.asks_city_weights(round_)
            assert city_weights.can_edit_city_weights(session.get(User, world["gent"]), round_, gent)
            assert not city_weights.can_edit_city_weights(session.get(User, world["leuven"]), round_, gent)
            assert not city_weights.can_edit_city_weights(session.get(User, world["gent_staff"]), round_, gent)
            assert not city_weights.can_edit_city_weights(session.get(User, world["steering"]), round_, gent)
            assert not city_weights.can_edit_city_weights(None, round_, gent)
            assert city_weights.can_see_city_weights(session.get(User, world["gent_staff"]), round_, gent)
            assert not city_weights.can_see_city_weights(session.get(User, world["steering"]), round_, gent)

    def test_weights_are_frozen_once_submitted_and_once_voting_closes(self, client, cities_round, world, in_app):
        found = criteria(in_app, cities_round)
        with in_app() as session:
            for slug in CITIES:
                give(session, world, cities_round, slug, [1, 2, 3, 4, 5])
            fill_ballots(session, world, cities_round, cities=("gent",))
        signed_in(client, "gent@example.org")
        before = state(in_app, cities_round, world["gent_city"])
        data = {"version": str(before[0]), **{f"weight-{i}": "1" for i, _k, _n in found}}
        refused = client.post(direct(cities_round), data=data)
        assert refused.status_code == 400 and "This ballot is submitted. Reopen it to change it." in refused.text
        refused = client.post(pairwise(cities_round), data={**judgements(found), "version": str(before[0])})
        assert refused.status_code == 400 and "This ballot is submitted. Reopen it to change it." in refused.text
        page = client.get(direct(cities_round)).text
        assert 'name="weight-' not in page and "6.7%" in page  # read-only, the weights still shown
        ballot = client.get(f"/rounds/{cities_round}/ballots/gent").text
        assert "Change your city’s weights" not in ballot and "Weights of Gent, as shares of the whole" in ballot
        assert state(in_app, cities_round, world["gent_city"]) == before
        # Reopened, they change again.
        client.post(f"/rounds/{cities_round}/ballots/gent/reopen", data={"version": str(before[0])})
        version = state(in_app, cities_round, world["gent_city"])[0]
        assert client.post(direct(cities_round), data={**data, "version": str(version)}).status_code == 302
        with in_app() as session:
            fill_ballots(session, world, cities_round)
            voting.advance(session.get(User, world["steering"]), cities_round, RoundPhase.VOTING_OPEN)
        closed = state(in_app, cities_round, world["gent_city"])
        refused = client.post(direct(cities_round), data={**data, "version": str(closed[0])})
        assert refused.status_code == 400 and "Voting is closed: the weights are frozen." in refused.text
        assert "Voting is closed: the weights are frozen." in client.get(pairwise(cities_round)).text
        assert state(in_app, cities_round, world["gent_city"]) == closed

    def test_after_publication_others_see_the_weights_unless_confidential(self, client, make_round, world, in_app):
        rounds = {}
        for confidential in (False, True):
            round_id = make_round(RoundPhase.VOTING_OPEN, weight_source=WeightSource.CITIES, ballots_confidential=confidential)
            with in_app() as session:
                for slug in CITIES:
                    give(session, world, round_id, slug, [1, 1, 1, 1, 2])
                fill_ballots(session, world, round_id)
                steering = session.get(User, world["steering"])
                voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
                voting.advance(steering, round_id, RoundPhase.CLOSED)
            rounds[confidential] = round_id
        signed_in(client, "leuven@example.org")
        page = client.get(direct(rounds[False]))
        assert page.status_code == 200 and "33.3%" in page.text and 'name="weight-' not in page.text
        assert client.get(pairwise(rounds[False])).status_code == 200
        assert client.get(direct(rounds[True])).status_code == 403
        assert client.get(direct(rounds[True], "leuven")).status_code == 200  # its own, always


class TestConcurrentEdits:
    def test_two_voters_of_one_city_at_once(self, client, app, cities_round, world, make_user, in_app):
        found = criteria(in_app, cities_round)
        make_user("gent-second@example.org", city="gent", locale="en")
        signed_in(client, "gent@example.org")
        version = version_on(client.get(direct(cities_round)).text)
        other = app.test_client()
        signed_in(other, "gent-second@example.org")
        first = {"version": version, **{f"weight-{i}": "1" for i, _k, _n in found}}
        assert other.post(direct(cities_round), data=first).status_code == 302
        second = {"version": version, **{f"weight-{i}": str(n + 1) for n, (i, _k, _n) in enumerate(found)}}
        response = client.post(direct(cities_round), data=second)
        assert response.status_code == 400 and "Somebody else saved this in the meantime" in response.text
        assert 'value="5"' in response.text  # what this voter typed is kept
        assert set(state(in_app, cities_round, world["gent_city"])[1].values()) == {0.2}  # the first save stands
        refused = client.post(pairwise(cities_round), data={**judgements(found), "version": version})
        assert refused.status_code == 400 and "Somebody else saved this in the meantime" in refused.text

    def test_a_weights_save_makes_an_open_ballot_page_stale(self, client, cities_round, world, in_app):
        """Scores and weights share the ballot's version: a ballot page opened before the weights changed is stale."""
        signed_in(client, "gent@example.org")
        page = client.get(f"/rounds/{cities_round}/ballots/gent").text
        with in_app() as session:
            give(session, world, cities_round, "gent", [1, 1, 1, 1, 1])
        cells = re.findall(r'name="(score-\d+-\d+)"', page)
        response = client.post(
            f"/rounds/{cities_round}/ballots/gent", data={cells[0]: "3", "version": version_on(page), "action": "save"}
        )
        assert response.status_code == 400 and "Somebody else saved this in the meantime" in response.text

    def test_stale_version_in_the_service(self, cities_round, world, in_app):
        with in_app() as session, pytest.raises(StaleEdit):
            city_weights.save_direct_weights(session.get(User, world["gent"]), cities_round, world["gent_city"], {}, 99)


class TestStatements:
    def _round_with(self, in_app, world, make_round, extra: int) -> int:
        round_id = make_round(RoundPhase.DRAFT, weight_source=WeightSource.CITIES)
        with in_app() as session:
            steering = session.get(User, world["steering"])
            for n in range(extra):
                voting.add_criterion(
                    steering, round_id, voting.CriterionData(key=f"extra{n}", name_nl=f"Extra {n}", name_en=f"Extra {n}")
                )
            voting.advance(steering, round_id, RoundPhase.DRAFT)
            voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
            round_ = session.get(Round, round_id)
            ids = [c.id for c in round_.criteria]
            chosen = {f"{a}:{b}": 3.0 if a == ids[0] else 1.0 for n, a in enumerate(ids) for b in ids[n + 1 :]}
            ballot = voting.get_ballot(round_, world["gent_city"])
            city_weights.save_pairwise_weights(
                session.get(User, world["gent"]), round_id, world["gent_city"], chosen, True, ballot.version
            )
        return round_id

    def test_the_weights_pages_take_a_constant_number_of_statements(self, app, client, make_round, world, in_app):
        small, large = self._round_with(in_app, world, make_round, 0), self._round_with(in_app, world, make_round, 4)
        signed_in(client, "gent@example.org")
        for url in (direct, pairwise, lambda round_id: f"/rounds/{round_id}/ballots/gent"):
            client.get(url(small))  # warm up (the session's user, caches)
            counts = []
            for round_id in (small, large):
                with count_queries(app) as statements:
                    assert client.get(url(round_id)).status_code == 200
                counts.append(len(statements))
            assert counts[0] == counts[1], url(small)
        with force_locale("en"):
            assert len(criteria(in_app, large)) == 9
