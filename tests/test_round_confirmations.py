"""Every irreversible step of a round (open voting, close, publish, confirm the selection) goes through a page that
says what it freezes, with counts, and a form that takes the step."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pilots.models import AuditEvent, Pilot, Round, RoundPhase, User
from pilots.services import voting
from tests.conftest import count_queries
from tests.voting_world import fill_ballots, signed_in


def _phase(in_app, round_id) -> RoundPhase:
    with in_app() as session:
        return session.get(Round, round_id).phase


def _page(client, round_id, step):
    response = client.get(f"/rounds/{round_id}/confirm/{step}")
    assert response.status_code == 200, response.text
    return re.sub(r"\s+", " ", response.text)


class TestConfirmationPages:
    def test_the_round_page_links_to_the_confirmation(self, client, make_round):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        page = client.get(f"/rounds/{round_id}").text
        assert f'href="/rounds/{round_id}/confirm/voting_open"' in page
        assert f'action="/rounds/{round_id}/advance"' not in page  # no button that moves the phase at once

    def test_opening_voting_says_what_goes_on_the_ballot_and_what_freezes(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        page = _page(client, round_id, "voting_open")
        assert "3 eligible challenges of 2026 go on the ballot." in page
        assert "3 active cities each get a ballot." in page
        assert "The criteria and weights will be frozen: 5 criteria" in page
        assert "This step cannot be undone." in page
        assert 'name="csrf_token"' in page and 'name="expected_phase" value="proposals_open"' in page
        assert _phase(in_app, round_id) is RoundPhase.PROPOSALS_OPEN  # looking changes nothing
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "proposals_open"}, follow_redirects=True)
        assert "The round moved to the next phase." in response.text
        assert _phase(in_app, round_id) is RoundPhase.VOTING_OPEN

    def test_closing_counts_the_submitted_ballots(self, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            fill_ballots(session, world, round_id, cities=("gent", "leuven"))
        signed_in(client, "steering@example.org")
        page = _page(client, round_id, "closed")
        assert "2 of 3 ballots submitted." in page
        assert "1 city that has not submitted can no longer vote." in page
        assert "3 challenges on the ballot." in page
        # Gent and Leuven each score the two challenges of the other cities on the five criteria.
        assert "20 scores in the submitted ballots are frozen in a snapshot" in page
        assert _phase(in_app, round_id) is RoundPhase.VOTING_OPEN

    def test_publishing_and_confirming_the_selection(self, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.CLOSED)
        signed_in(client, "steering@example.org")
        page = _page(client, round_id, "published")
        assert "3 of 3 ballots submitted." in page and "The ranking of 3 challenges" in page
        client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "closed"})
        assert _phase(in_app, round_id) is RoundPhase.PUBLISHED
        detail = client.get(f"/rounds/{round_id}").text
        assert f'href="/rounds/{round_id}/confirm/selection"' in detail
        page = _page(client, round_id, "selection")
        assert "3 challenges on the ballot." in page and "The ranking selects 1 challenge." in page
        assert f'action="/rounds/{round_id}/confirm"' in page
        # The computed selection, pre-checked (each checkbox is described by its challenge's pledges).
        assert re.search(rf'<input aria-describedby="pledges-[0-9]+" checked [^>]*value="{world["gent_challenge"]}"', page)
        with in_app() as session:
            assert session.scalar(select(func.count(Pilot.id))) == 0
        response = client.post(
            f"/rounds/{round_id}/confirm", data={"selected": str(world["gent_challenge"]), "justification": ""}
        )
        assert response.status_code == 302
        with in_app() as session:
            assert session.scalar(select(func.count(Pilot.id))) == 1
        # Confirmed: the page is no longer offered.
        response = client.get(f"/rounds/{round_id}/confirm/selection", follow_redirects=True)
        assert "This step is not possible in the round" in response.text

    def test_the_counts_take_a_fixed_number_of_queries(self, app, client, make_round, world, in_app):
        round_id = make_round(RoundPhase.VOTING_OPEN)
        with in_app() as session:
            fill_ballots(session, world, round_id)
            round_ = session.get(Round, round_id)
            with count_queries(app) as queries:
                summary = voting.step_summary(round_, "closed")
            assert (summary.ballots, summary.submitted, summary.on_ballot, summary.criteria) == (3, 3, 3, 5)
            assert len(queries) == 1

    def test_a_page_for_another_phase_sends_back_to_the_round(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.DRAFT)
        signed_in(client, "steering@example.org")
        response = client.get(f"/rounds/{round_id}/confirm/closed")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{round_id}")
        assert client.get(f"/rounds/{round_id}/confirm/bogus").status_code == 404
        assert _phase(in_app, round_id) is RoundPhase.DRAFT


class TestRefusals:
    @pytest.mark.parametrize("email", ["gent@example.org", "gent-staff@example.org"])
    def test_only_the_committee(self, client, make_round, in_app, email):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, email)
        assert client.get(f"/rounds/{round_id}/confirm/voting_open").status_code == 403
        assert client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "proposals_open"}).status_code == 403
        assert _phase(in_app, round_id) is RoundPhase.PROPOSALS_OPEN

    def test_anonymous_visitors_sign_in_first(self, client, make_round):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        response = client.get(f"/rounds/{round_id}/confirm/voting_open")
        assert response.status_code == 302 and "/login" in response.headers["Location"]

    def test_the_step_needs_the_form_and_its_token(self, client, make_round, in_app):
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": "proposals_open"}, csrf=False)
        assert response.status_code in (302, 400)
        assert _phase(in_app, round_id) is RoundPhase.PROPOSALS_OPEN

    def test_a_stale_confirmation_changes_nothing(self, client, make_round, world, in_app):
        """The page was opened, then someone else opened voting: the old form is refused with a message."""
        round_id = make_round(RoundPhase.PROPOSALS_OPEN)
        signed_in(client, "steering@example.org")
        page = _page(client, round_id, "voting_open")
        expected = re.search(r'name="expected_phase" value="([a-z_]+)"', page).group(1)
        with in_app() as session:
            voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.PROPOSALS_OPEN)
            events = session.scalar(select(func.count(AuditEvent.id)))
        response = client.post(f"/rounds/{round_id}/advance", data={"expected_phase": expected}, follow_redirects=True)
        assert "The round has moved on in the meantime. Reload the page." in response.text
        assert _phase(in_app, round_id) is RoundPhase.VOTING_OPEN  # not closed by the old form
        with in_app() as session:
            assert session.scalar(select(func.count(AuditEvent.id))) == events
