"""An optional Delphi pass (issue 15): closing the first pass shows every city the anonymised spread of the scores
next to its own and lets it revise, with a reason for each changed score; the snapshot holds both passes, the
ranking uses the second (pilots/services/delphi.py)."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from flask import render_template
from flask_babel import force_locale
from sqlalchemy import select

from pilots import ranking
from pilots.models import AuditEvent, Ballot, BallotStatus, Round, RoundPhase, Score, User
from pilots.services import delphi, voting
from pilots.services.errors import ServiceError
from tests.conftest import count_queries
from tests.voting_world import signed_in

#: Three more cities, so that a cell can have five scores besides a city's own (the least that shows a spread).
CITIES4 = ("gent", "leuven", "kortrijk", "brugge", "mechelen", "aalst")
#: The first pass on the extra "reach" criterion (scale 0–100), per city: median 39, quartiles 26.5 and 54.5.
REACH = {"gent": 11, "leuven": 23, "kortrijk": 37, "brugge": 59, "mechelen": 41, "aalst": 70}


@pytest.fixture
def world4(world, make_user, in_app):
    for slug in ("brugge", "mechelen", "aalst"):
        world[slug] = make_user(f"{slug}@example.org", city=slug, locale="en")
        with in_app() as session:
            world[f"{slug}_city"] = session.scalar(select(User).where(User.id == world[slug])).memberships[0].city_id
    return world


def _delphi_round(make_round, in_app, world, **options) -> int:
    """A Delphi round in its first pass with the criterion "reach" (0–100) added before voting."""
    round_id = make_round(
        RoundPhase.PROPOSALS_OPEN,
        delphi=True,
        allow_self_scoring=True,
        voting_deadline=date(2026, 5, 1),
        revision_deadline=date(2026, 5, 15),
        **options,
    )
    with in_app() as session:
        steering = session.get(User, world["steering"])
        voting.add_criterion(steering, round_id, voting.CriterionData("reach", "Bereik", "Reach", scale_min=0, scale_max=100))
        voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
    return round_id


def _cells(round_, reach: int, other: int = 3) -> dict[tuple[int, int], str]:
    return {
        (entry.challenge_id, criterion.id): str(reach if criterion.key == "reach" else other)
        for entry in round_.entries
        for criterion in round_.criteria
    }


def _submit_all(in_app, world, round_id, cities=CITIES4) -> None:
    with in_app() as session:
        round_ = session.get(Round, round_id)
        for slug in cities:
            ballot = voting.get_ballot(round_, world[f"{slug}_city"])
            voting.save_ballot(
                session.get(User, world[slug]),
                round_id,
                world[f"{slug}_city"],
                voting.BallotInput(_cells(round_, REACH[slug]), {}),
                ballot.version,
                submit=True,
            )


def _reach_cell(in_app, round_id, world) -> tuple[int, int]:
    with in_app() as session:
        round_ = session.get(Round, round_id)
        return world["leuven_challenge"], next(c.id for c in round_.criteria if c.key == "reach")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _close_first_pass(client, round_id) -> None:
    response = client.post(
        f"/rounds/{round_id}/advance", data={"expected_phase": "voting_open", "expected_pass": "1"}, follow_redirects=True
    )
    assert "The first pass is closed: the cities see the spread and may revise their scores." in response.text


class TestTheWholeFlow:
    def test_two_passes_through_the_pages(self, client, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4)
        _submit_all(in_app, world4, round_id)
        challenge_id, reach_id = _reach_cell(in_app, round_id, world4)

        # The round page's step and the committee's confirmation say this closes the first pass, until the revision
        # deadline.
        signed_in(client, "steering@example.org")
        round_page = _text(client.get(f"/rounds/{round_id}").text)
        assert f'href="/rounds/{round_id}/confirm/closed">Close the first pass and show the spread</a>' in round_page
        assert "The second pass is running." not in round_page
        page = _text(client.get(f"/rounds/{round_id}/confirm/closed").text)
        assert "Close the first pass and show the spread" in page
        assert "may revise until May 15, 2026" in page and "Yes, close the first pass" in page
        assert 'name="expected_pass" value="1"' in page
        _close_first_pass(client, round_id)
        round_page = _text(client.get(f"/rounds/{round_id}").text)
        assert "The second pass is running." in round_page
        assert f'href="/rounds/{round_id}/confirm/closed">Close voting and compute the result</a>' in round_page
        with in_app() as session:
            round_ = session.get(Round, round_id)
            assert round_.phase is RoundPhase.VOTING_OPEN and round_.delphi_pass == 2 and round_.snapshot is None
            assert all(b.status is BallotStatus.SUBMITTED for b in round_.ballots)  # not revising keeps the scores
            assert session.scalar(select(AuditEvent).where(AuditEvent.action == "round.revision_opened")) is not None
            firsts = session.scalars(select(Score.first_value).where(Score.criterion_id == reach_id)).all()
            assert sorted(set(firsts)) == sorted(REACH.values())
        # A second click on the same page does not close the round.
        response = client.post(
            f"/rounds/{round_id}/advance", data={"expected_phase": "voting_open", "expected_pass": "1"}, follow_redirects=True
        )
        assert "The round has moved on in the meantime." in response.text
        assert "This closes the second pass" in _text(client.get(f"/rounds/{round_id}/confirm/closed").text)
        client.logout()

        # Gent sees the group's spread and its own first-pass score, never another city's.
        signed_in(client, "gent@example.org")
        page = _text(client.get(f"/rounds/{round_id}/ballots/gent").text)
        assert "Second pass: revise after seeing the spread" in page
        spread = re.search(rf'data-testid="spread-{challenge_id}-{reach_id}">(.*?)</div>', page).group(1)
        assert "median 39, middle half 26.5 to 54.5." in spread and "Gent in the first pass: 11" in spread
        for other in ("23", "37", "59"):
            assert other not in spread and f'value="{other}"' not in page and f": {other}<" not in page

        # Reopen, change one score without a reason: refused next to that cell, what was typed is kept.
        with in_app() as session:
            ballot = voting.get_ballot(session.get(Round, round_id), world4["gent_city"])
            version = ballot.version
        client.post(f"/rounds/{round_id}/ballots/gent/reopen", data={"version": str(version)})
        with in_app() as session:
            round_ = session.get(Round, round_id)
            form = {f"score-{a}-{b}": v for (a, b), v in _cells(round_, 11).items()}
            version = voting.get_ballot(round_, world4["gent_city"]).version
        form.update({f"score-{challenge_id}-{reach_id}": "28", "version": str(version), "action": "submit"})
        response = client.post(f"/rounds/{round_id}/ballots/gent", data=form)
        assert response.status_code == 400
        page = _text(response.text)
        assert f'id="reason-err-{challenge_id}-{reach_id}">Say in a few words why your city changed this score.' in page
        assert page.count("Say in a few words why your city changed this score.") == 1  # unchanged cells need none
        assert f'name="score-{challenge_id}-{reach_id}" id="score-{challenge_id}-{reach_id}" value="28"' in page
        # Removing a score of the first pass is refused too.
        blank = {**form, f"score-{challenge_id}-{reach_id}": ""}
        response = client.post(f"/rounds/{round_id}/ballots/gent", data=blank)
        assert response.status_code == 400 and "can be changed, not removed" in response.text
        # With a reason it is submitted; the reason is kept and shown to the city.
        form[f"reason-{challenge_id}-{reach_id}"] = "  Closer to the  others after the discussion. "
        assert client.post(f"/rounds/{round_id}/ballots/gent", data=form).status_code == 302
        with in_app() as session:
            score = session.scalar(
                select(Score)
                .join(Ballot)
                .where(Ballot.city_id == world4["gent_city"], Score.challenge_id == challenge_id, Score.criterion_id == reach_id)
            )
            assert (score.value, score.first_value, score.revision_reason) == (
                28,
                11,
                "Closer to the others after the discussion.",
            )
            unchanged = session.scalars(select(Score).join(Ballot).where(Ballot.city_id == world4["gent_city"])).all()
            assert sum(1 for s in unchanged if s.revision_reason) == 1
        page = _text(client.get(f"/rounds/{round_id}/ballots/gent").text)
        assert "Reason for the change: Closer to the others after the discussion." in page
        client.logout()

        # The committee closes the second pass: both passes in the snapshot, ranked with the second.
        signed_in(client, "steering@example.org")
        assert client.get(f"/rounds/{round_id}/ballots/gent").status_code == 403  # nothing before publication
        client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "voting_open", "expected_pass": "2"})
        with in_app() as session:
            round_ = session.get(Round, round_id)
            assert round_.phase is RoundPhase.CLOSED
            doc = json.loads(round_.snapshot.document)
            first, second = doc["passes"]
            assert doc["ballots"] == second
            assert [b["voter"] for b in first] == sorted(CITIES4) == [b["voter"] for b in second]
            gent_first = next(b for b in first if b["voter"] == "gent")["scores"][str(challenge_id)]["reach"]
            gent_second = next(b for b in second if b["voter"] == "gent")["scores"][str(challenge_id)]["reach"]
            assert (gent_first, gent_second) == (11, 28)
            assert ranking.canonical_json(ranking.run(json.loads(round_.snapshot.document))) == round_.snapshot.result
            result = voting.result_of(round_)
            assert result["delphi"]["passes"] == 2 and result["delphi"]["narrowing"] > 0
            assert result["aggregate"][str(challenge_id)]["criteria"]["reach"]["mean"] == pytest.approx(
                (28 + 23 + 37 + 59 + 41 + 70) / 6
            )
        # After publication the committee reads the reason where it may see the city's scores, and the results say
        # how the spread narrowed.
        client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "closed"})
        page = _text(client.get(f"/rounds/{round_id}/ballots/gent").text)
        assert "Reason for the change: Closer to the others after the discussion." in page
        results = _text(client.get(f"/rounds/{round_id}/results").text)
        assert "How the spread narrowed in the second pass" in results and "The cities came closer" in results

    def test_a_confidential_round_keeps_the_reasons_from_the_committee(self, client, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4, ballots_confidential=True)
        _submit_all(in_app, world4, round_id)
        with in_app() as session:
            steering = session.get(User, world4["steering"])
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN, 1)
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN, 2)
            voting.advance(steering, round_id, RoundPhase.CLOSED)
        signed_in(client, "steering@example.org")
        assert client.get(f"/rounds/{round_id}/ballots/gent").status_code == 403


class TestTheRules:
    def test_fewer_than_five_other_scores_show_no_spread(self, client, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4)
        # Brugge does not submit in the first pass: each cell has 4 scores, 3 of them besides Gent's own.
        _submit_all(in_app, world4, round_id, cities=("gent", "leuven", "kortrijk", "mechelen"))
        with in_app() as session:
            voting.advance(session.get(User, world4["steering"]), round_id, RoundPhase.VOTING_OPEN, 1)
            round_ = session.get(Round, round_id)
            assert delphi.spread(round_, world4["gent_city"]) == {}  # 4 scores, only 3 besides Gent's
            # Brugge did not score in the first pass: 4 scores of other cities are still too few (it could solve
            # the median and quartiles for them).
            assert delphi.spread(round_, world4["brugge_city"]) == {}
        signed_in(client, "gent@example.org")
        page = _text(client.get(f"/rounds/{round_id}/ballots/gent").text)
        assert not re.search(r"median [0-9]", page) and "First pass: too few scores to show the spread." in page
        for other in ("23", "37"):
            assert f": {other}<" not in page and f'value="{other}"' not in page
        client.logout()
        # Brugge may still submit in the second pass, without reasons (it has nothing to revise).
        signed_in(client, "brugge@example.org")
        page = _text(client.get(f"/rounds/{round_id}/ballots/brugge").text)
        assert "did not submit in the first pass: it may still submit" in page and 'name="reason-' not in page
        with in_app() as session:
            round_ = session.get(Round, round_id)
            form = {f"score-{a}-{b}": v for (a, b), v in _cells(round_, 59).items()}
            form.update(version=str(voting.get_ballot(round_, world4["brugge_city"]).version), action="submit")
        assert client.post(f"/rounds/{round_id}/ballots/brugge", data=form).status_code == 302
        with in_app() as session:
            steering = session.get(User, world4["steering"])
            voting.advance(steering, round_id, RoundPhase.VOTING_OPEN, 2)
            doc = json.loads(session.get(Round, round_id).snapshot.document)
            assert [b["voter"] for b in doc["passes"][0]] == ["gent", "kortrijk", "leuven", "mechelen"]
            assert [b["voter"] for b in doc["ballots"]] == ["brugge", "gent", "kortrijk", "leuven", "mechelen"]

    def test_the_spread_takes_one_query(self, app, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4)
        _submit_all(in_app, world4, round_id)
        with in_app() as session:
            voting.advance(session.get(User, world4["steering"]), round_id, RoundPhase.VOTING_OPEN, 1)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            round_.delphi, round_.delphi_pass, round_.phase  # noqa: B018 - loaded before counting
            with count_queries(app) as statements:
                shown = delphi.spread(round_, world4["gent_city"])
            assert len(statements) == 1
            assert len(shown) == 3 * 6  # every challenge on every criterion: 3 scores besides Gent's in each

    def test_an_unchanged_score_needs_no_reason_and_a_long_reason_is_refused(self, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4)
        _submit_all(in_app, world4, round_id)
        challenge_id, reach_id = _reach_cell(in_app, round_id, world4)
        with in_app() as session:
            voting.advance(session.get(User, world4["steering"]), round_id, RoundPhase.VOTING_OPEN, 1)
            gent = session.get(User, world4["gent"])
            round_ = session.get(Round, round_id)
            ballot = voting.reopen_ballot(
                gent, round_id, world4["gent_city"], voting.get_ballot(round_, world4["gent_city"]).version
            )
            cells = _cells(round_, 11)
            voting.save_ballot(gent, round_id, world4["gent_city"], voting.BallotInput(cells, {}), ballot.version, submit=True)
            ballot = voting.reopen_ballot(
                gent, round_id, world4["gent_city"], voting.get_ballot(round_, world4["gent_city"]).version
            )
            cells[(challenge_id, reach_id)] = "12"
            with pytest.raises(voting.BallotErrors) as refused:
                voting.save_ballot(
                    gent,
                    round_id,
                    world4["gent_city"],
                    voting.BallotInput(cells, {}, {(challenge_id, reach_id): "x" * 301}),
                    ballot.version,
                )
            assert list(refused.value.reasons) == [(challenge_id, reach_id)] and not refused.value.cells
            # A draft may be saved before the reason is written; submitting needs it.
            ballot = voting.save_ballot(gent, round_id, world4["gent_city"], voting.BallotInput(cells, {}), ballot.version)
            assert ballot.status is BallotStatus.DRAFT
            with pytest.raises(voting.BallotErrors) as refused:
                voting.save_ballot(
                    gent, round_id, world4["gent_city"], voting.BallotInput(cells, {}), ballot.version, submit=True
                )
            assert list(refused.value.reasons) == [(challenge_id, reach_id)]


class TestPermissions:
    def test_only_the_citys_voters_revise(self, client, make_round, world4, in_app):
        round_id = _delphi_round(make_round, in_app, world4)
        _submit_all(in_app, world4, round_id)
        with in_app() as session:
            voting.advance(session.get(User, world4["steering"]), round_id, RoundPhase.VOTING_OPEN, 1)
            version = voting.get_ballot(session.get(Round, round_id), world4["gent_city"]).version
            with pytest.raises(ServiceError):
                voting.reopen_ballot(session.get(User, world4["leuven"]), round_id, world4["gent_city"], version)
            with pytest.raises(ServiceError):
                voting.reopen_ballot(session.get(User, world4["steering"]), round_id, world4["gent_city"], version)
        for email in ("leuven@example.org", "steering@example.org"):
            signed_in(client, email)
            assert client.get(f"/rounds/{round_id}/ballots/gent").status_code == 403
            assert client.post(f"/rounds/{round_id}/ballots/gent/reopen", data={"version": str(version)}).status_code == 403
            assert client.post(f"/rounds/{round_id}/ballots/gent", data={"version": str(version)}).status_code == 403
            client.logout()
        with in_app() as session:
            assert voting.get_ballot(session.get(Round, round_id), world4["gent_city"]).status is BallotStatus.SUBMITTED


class TestSettings:
    def test_the_round_form_and_its_freeze(self, client, make_round, world, in_app):
        signed_in(client, "steering@example.org")
        form = {
            "title": "Delphi 2026",
            "year": "2026",
            "pilots_to_select": "1",
            "method": "wsm",
            "normalization": "scale",
            "sensitivity_samples": "500",
            "perturbation": "0.2",
            "seed": "7",
            "weight_source": "committee",
            "tie_break": "default",
            "effort_unit": "person_months",
            "delphi": "y",
            "voting_deadline": "2026-05-01",
            "revision_deadline": "2026-04-20",
        }
        response = client.post("/rounds/new", data=form)
        assert response.status_code == 400
        assert "The revision deadline cannot be before the voting deadline." in response.text
        assert 'value="2026-04-20"' in response.text
        response = client.post("/rounds/new", data={**form, "revision_deadline": "2026-05-15"})
        assert response.status_code == 302
        with in_app() as session:
            round_ = session.scalar(select(Round).where(Round.title == "Delphi 2026"))
            assert round_.delphi and round_.revision_deadline == date(2026, 5, 15) and round_.delphi_pass == 1
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            data = voting.RoundData(title=round_.title, year=2026, pilots_to_select=1, sensitivity_samples=300, delphi=True)
            with pytest.raises(ServiceError) as refused:
                voting.update_round(session.get(User, world["steering"]), round_id, data, round_.version)
            assert refused.value.field == "delphi"

    def test_a_round_without_delphi_closes_at_once(self, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        with in_app() as session:
            round_ = session.get(Round, round_id)
            assert round_.delphi_pass == 1
            doc = json.loads(round_.snapshot.document)
            assert "passes" not in doc and voting.result_of(round_)["delphi"] is None
        signed_in(client, "gent@example.org")
        assert "Second pass" not in client.get(f"/rounds/{round_id}/ballots/gent").text


def test_the_results_partial_says_how_the_spread_narrowed(app, make_round, world4, in_app):
    round_id = _delphi_round(make_round, in_app, world4)
    _submit_all(in_app, world4, round_id)
    with in_app() as session:
        steering = session.get(User, world4["steering"])
        voting.advance(steering, round_id, RoundPhase.VOTING_OPEN, 1)
        voting.advance(steering, round_id, RoundPhase.VOTING_OPEN, 2)
        round_ = session.get(Round, round_id)
        result = voting.result_of(round_)
        with app.test_request_context(), force_locale("en"):
            html = _text(
                render_template(
                    "results/_delphi.html", delphi=result["delphi"], round=round_, criteria={c.key: c for c in round_.criteria}
                )
            )
    assert 'id="delphi-heading"' in html and "The cities scored twice" in html
    assert "did not change" in html  # nobody revised: the spread stayed the same
    assert "Reach" in html and "Feasibility" in html
