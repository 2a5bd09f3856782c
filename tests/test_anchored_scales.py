"""Anchored scales: a criterion says what its lowest and highest scores mean, and the ballot shows it."""

from __future__ import annotations

import json
import re

from sqlalchemy import select

from pilots.models import Criterion, Round, RoundPhase, User
from pilots.services import voting
from tests.voting_world import signed_in

CRITERION = {
    "key": "privacy",
    "name_nl": "Privacy",
    "name_en": "Privacy",
    "weight": "1",
    "direction": "benefit",
    "scale_min": "1",
    "scale_max": "5",
    "integer_scale": "y",
    "anchor_low_nl": "Persoonsgegevens op straat",
    "anchor_low_en": "Personal data exposed",
    "anchor_high_nl": "Geen persoonsgegevens nodig",
    "anchor_high_en": "No personal data needed",
}


def header_of(page: str, name: str) -> str:
    """The text of the ballot's column header for one criterion, tags stripped."""
    match = re.search(r'<th scope="col" id="crit-\d+">' + re.escape(name) + r"(.*?)</th>", page, re.S)
    assert match, f"no column for {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_the_ballot_shows_what_the_ends_of_each_scale_mean(client, world, make_round, in_app):
    round_id = make_round(RoundPhase.PROPOSALS_OPEN)
    signed_in(client, "steering@example.org")
    assert client.post(f"/rounds/{round_id}/criteria/new", data=CRITERION).status_code == 302
    with in_app() as session:
        voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.PROPOSALS_OPEN)
    client.logout()
    signed_in(client, "gent@example.org")
    page = client.get(f"/rounds/{round_id}/ballots/gent").text
    assert header_of(page, "Privacy") == "1–5 1: Personal data exposed 5: No personal data needed"
    # The suggested criteria come with anchors of their own.
    assert header_of(page, "Feasibility") == "1–5 1: Not achievable within a year 5: Certainly done within the year"
    assert client.post("/language", data={"language": "nl"}).status_code == 302
    dutch = client.get(f"/rounds/{round_id}/ballots/gent").text
    assert header_of(dutch, "Privacy") == "1–5 1: Persoonsgegevens op straat 5: Geen persoonsgegevens nodig"


def test_an_anchor_that_is_too_long_is_refused_next_to_its_field_and_the_form_keeps_the_text(client, make_round, in_app):
    round_id = make_round(RoundPhase.DRAFT)
    signed_in(client, "steering@example.org")
    response = client.post(f"/rounds/{round_id}/criteria/new", data={**CRITERION, "anchor_high_en": "x" * 201})
    assert response.status_code == 400
    assert "Field cannot be longer than 200 characters." in response.text
    assert 'value="Personal data exposed"' in response.text
    with in_app() as session:
        assert session.scalar(select(Criterion).where(Criterion.key == "privacy")) is None


def test_anchors_are_not_part_of_the_ranking_input(client, make_round, in_app):
    """The snapshot (and so every published result) is the same with or without anchors."""
    round_id = make_round(RoundPhase.CLOSED)
    with in_app() as session:
        document = json.loads(session.get(Round, round_id).snapshot.document)
    assert all(set(c) == {"id", "weight", "direction", "scale"} for c in document["criteria"])
