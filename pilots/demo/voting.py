"""Demo voting: a round for every past year with full ballots of all 14 cities (2017 selects parking),
and the current year's round open for voting, some cities already done."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from sqlalchemy import select

from pilots.extensions import db
from pilots.models import Challenge, ChallengeStatus, City, Direction, Round, RoundPhase
from pilots.services import accounts, challenges, voting

#: The challenge each past round ended up selecting (title fragments): the demo scores favour them.
FAVOURITES = (
    "parkeergarages",
    "Fietstellingen",
    "Afvalophaling",
    "Energieverbruik",
    "Deelmobiliteit",
    "GIPOD",
    "Werven",
    "Laadpalen",
    "Geluidsoverlast",
    "Verkeersveiligheid",
)


def _score(rng: random.Random, challenge: Challenge, direction: Direction) -> str:
    favourite = any(fragment.lower() in challenge.title.lower() for fragment in FAVOURITES)
    base = 4.2 if favourite else 2.9
    value = min(5, max(1, round(rng.gauss(base, 0.8))))
    return str(6 - value if direction is Direction.COST else value)


def _fill(round_: Round, rng: random.Random, cities: list[City], submit: bool) -> None:
    for city in cities:
        voter = accounts.find_user_by_email(f"{city.slug}@demo.local")
        if voter is None:
            continue
        ballot = voting.get_ballot(round_, city.id)
        excluded = voting.excluded_cells(round_, ballot)
        cells = {
            (entry.challenge_id, criterion.id): _score(rng, entry.challenge, criterion.direction)
            for entry in round_.entries
            if entry.challenge_id not in excluded
            for criterion in round_.criteria
            if rng.random() > 0.04  # now and then a city abstains on a cell
        }
        if not cells:
            continue  # only its own challenge on the ballot: nothing for this city to score
        voting.save_ballot(voter, round_.id, city.id, voting.BallotInput(cells, {}), ballot.version, submit=submit)


def seed_voting() -> int:
    steering = accounts.find_user_by_email("steering@demo.local")
    if steering is None:
        return 0
    existing = set(db.session.scalars(select(Round.year)))
    cities = list(db.session.scalars(select(City).where(City.active.is_(True)).order_by(City.name)))
    current_year = datetime.now(UTC).year
    created = 0
    years = sorted(set(db.session.scalars(select(Challenge.year))))
    for year in years:
        if year in existing:
            continue
        if year == current_year:
            # Screen this year's submitted challenges, so that voting can open on them, each with an estimated effort
            # in person-months (what the round's capacity, if the committee sets one, is counted in).
            efforts = random.Random(f"efforts-{year}")  # noqa: S311 - reproducible demo data, not security
            for challenge in db.session.scalars(
                select(Challenge).where(Challenge.year == year, Challenge.status == ChallengeStatus.SUBMITTED)
            ).all():
                effort = efforts.choice((2.0, 3.0, 4.5, 6.0, 8.0, 12.0))
                challenges.screen(steering, challenge.id, True, "Past binnen het programma.", effort)
        eligible = db.session.scalars(
            select(Challenge).where(Challenge.year == year, Challenge.status == ChallengeStatus.ELIGIBLE)
        ).all()
        if not eligible:
            continue
        round_ = voting.create_round(
            steering,
            voting.RoundData(
                title=f"Datapilots {year}",
                year=year,
                pilots_to_select=1 if year == 2017 or len(eligible) < 3 else 2,
                sensitivity_samples=2_000,
                seed=year,
            ),
        )
        rng = random.Random(year)  # noqa: S311 - reproducible demo scores, not security
        voting.advance(steering, round_.id, RoundPhase.DRAFT)
        voting.advance(steering, round_.id, RoundPhase.PROPOSALS_OPEN)
        round_ = voting.get_round(round_.id)
        if year == current_year:
            _fill(round_, rng, cities[: len(cities) // 2], submit=True)  # half the cities are done
            _fill(round_, rng, cities[len(cities) // 2 : len(cities) // 2 + 2], submit=False)  # two are busy
        else:
            _fill(round_, rng, cities, submit=True)
            voting.advance(steering, round_.id, RoundPhase.VOTING_OPEN)
            voting.advance(steering, round_.id, RoundPhase.CLOSED)
            round_ = voting.get_round(round_.id)
            selected = [int(a) for a in (voting.result_of(round_) or {}).get("selected", [])]
            voting.confirm_selection(steering, round_.id, selected, "")
        created += 1
    return created
