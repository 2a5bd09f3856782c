"""The small world most voting tests share: three cities (Gent, Leuven, Kortrijk) with a voter each, a
non-voting Gent staff member, the steering committee, an eligible challenge per city for 2026, and a round
built up to any phase. The fixtures ``world`` and ``make_round`` are offered to every test by tests/conftest.py;
the helpers are imported where needed."""

from __future__ import annotations

import pytest

from pilots.models import CityRole, Round, RoundPhase, User
from pilots.services import challenges as challenge_service
from pilots.services import voting
from pilots.services.challenges import ChallengeData, DatasetData
from tests import factories

CITIES = ("gent", "leuven", "kortrijk")
ROUND_FORM = {
    "title": "Datapilots 2026",
    "year": "2026",
    "pilots_to_select": "1",
    "method": "wsm",
    "normalization": "scale",
    "sensitivity_samples": "500",
    "perturbation": "0.2",
    "seed": "7",
}


@pytest.fixture
def world(make_user, in_app):
    """Steering, a voter per city (plus a non-voting Gent staff member), an eligible challenge per city for 2026."""
    ids = {"steering": make_user("steering@example.org", is_steering=True, locale="en")}
    for slug in CITIES:
        ids[slug] = make_user(f"{slug}@example.org", city=slug, locale="en")
    ids["gent_staff"] = make_user("gent-staff@example.org", city="gent", role=CityRole.STAFF, locale="en")
    with in_app() as session:
        steering = session.get(User, ids["steering"])
        for slug in CITIES:
            author = session.get(User, ids[slug])
            city = factories.city(slug)
            ids[f"{slug}_city"] = city.id
            challenge = challenge_service.create_challenge(
                author, city.id, ChallengeData(f"Uitdaging van {city.name}", "Samenvatting.", "", "TRAN", "", 2026)
            )
            challenge_service.add_dataset(author, challenge.id, DatasetData(title="Data", holder_city_id=city.id))
            challenge_service.submit(author, challenge.id)
            challenge_service.screen(steering, challenge.id, True, "")
            ids[f"{slug}_challenge"] = challenge.id
    return ids


@pytest.fixture
def make_round(world, in_app):
    def make(phase: RoundPhase = RoundPhase.VOTING_OPEN, **options) -> int:
        with in_app() as session:
            steering = session.get(User, world["steering"])
            data = voting.RoundData(title="Datapilots 2026", year=2026, pilots_to_select=1, sensitivity_samples=300, **options)
            round_ = voting.create_round(steering, data)
            while round_.phase is not phase:
                if round_.phase is RoundPhase.VOTING_OPEN:
                    fill_ballots(session, world, round_.id)
                voting.advance(steering, round_.id, round_.phase)
            return round_.id

    return make


def fill_ballots(session, world, round_id, submit=True, cities=CITIES):
    """Every city scores the others' challenges: Gent's challenge highest."""
    round_ = session.get(Round, round_id)
    for slug in cities:
        ballot = voting.get_ballot(round_, world[f"{slug}_city"])
        cells = {}
        for entry in round_.entries:
            if entry.challenge.city_id == world[f"{slug}_city"]:
                continue
            for criterion in round_.criteria:
                high = entry.challenge_id == world["gent_challenge"]
                value = (5 if high else 2) if criterion.direction.value == "benefit" else (1 if high else 4)
                cells[(entry.challenge_id, criterion.id)] = str(value)
        voting.save_ballot(
            session.get(User, world[slug]),
            round_id,
            world[f"{slug}_city"],
            voting.BallotInput(cells, {}),
            ballot.version,
            submit=submit,
        )


def signed_in(client, email):
    assert client.login(email).status_code == 302
    return client
