"""Benchmarks of voting rounds (pilots.services.voting and its pages).

* ``ballot-save-50x6``: one city's voter saves the full ballot grid (50 challenges × 6 criteria = 300 scores)
  through the real page (POST /rounds/<id>/ballots/<city>). The facts hold the SQL statements of a 1-cell save
  and of the 300-cell save, through the page and in the service alone: the issue asks for them to be equal.
* ``results-page``: the published results of a round in which 14 cities submitted ballots on 20 challenges ×
  5 criteria (10,000 SMAA samples), for a signed-in city voter. The facts hold the SQL statements per page view
  and the time of closing the round (freezing the snapshot and computing the full result), measured once.

Each benchmark builds its own cities, accounts, challenges and round (slugs and e-mail addresses start with
``vote-``) for a year that has no challenges yet, so it does not depend on the shared synthetic programme.
Cities created elsewhere that are active when voting opens still get a (draft, unsubmitted) ballot.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from bench.harness import Context, benchmark
from bench.synthetic import user_row
from pilots.extensions import db
from pilots.models import (
    Ballot,
    Challenge,
    ChallengeStatus,
    City,
    CityKind,
    CityRole,
    Membership,
    Round,
    RoundPhase,
    Score,
    User,
    utcnow,
)
from pilots.services import voting

PASSWORD = "bench-password"  # noqa: S105 (synthetic accounts on a throwaway database)
BALLOT_CHALLENGES, BALLOT_CRITERIA = 50, 6
RESULT_CITIES, RESULT_CHALLENGES, RESULT_SAMPLES = 14, 20, 10_000


@contextmanager
def count_statements(context: Context) -> Iterator[list[str]]:
    """Collect the SQL statements the engine runs inside the block (an executemany counts once)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, execution_context, executemany):
        statements.append(statement)

    with context.app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def _free_year() -> int:
    """A year without any challenge, so the round's ballot holds exactly the challenges made here."""
    used = set(db.session.scalars(select(Challenge.year).distinct()))
    for year in range(utcnow().year + 2, 2016, -1):
        if year not in used:
            return year
    raise RuntimeError("every allowed year already has challenges")


def _cities(prefix: str, count: int) -> list[int]:
    now = utcnow()
    db.session.execute(
        insert(City),
        [
            {
                "name": f"Stemstad {prefix} {i:02d}",
                "slug": f"vote-{prefix}-{i:02d}",
                "nis_code": None,
                "province": "Antwerpen",
                "kind": CityKind.CENTRUMSTAD,
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(count)
        ],
    )
    slugs = [f"vote-{prefix}-{i:02d}" for i in range(count)]
    ids = dict(db.session.execute(select(City.slug, City.id).where(City.slug.in_(slugs))).all())
    return [ids[slug] for slug in slugs]


def _voters(prefix: str, city_ids: list[int]) -> list[int]:
    """One voter account per city (one password hash for all: hashing is slow on purpose)."""
    now = utcnow()
    password_hash = generate_password_hash(PASSWORD)
    emails = [f"vote-{prefix}-{i:02d}@bench.local" for i in range(len(city_ids))]
    db.session.execute(
        insert(User),
        [user_row(email, f"Stemmer {prefix} {i:02d}", password_hash, now) for i, email in enumerate(emails)],
    )
    ids = dict(db.session.execute(select(User.email, User.id).where(User.email.in_(emails))).all())
    user_ids = [ids[email] for email in emails]
    db.session.execute(
        insert(Membership),
        [
            {"user_id": user_id, "city_id": city_id, "role": CityRole.VOTER, "created_at": now}
            for user_id, city_id in zip(user_ids, city_ids, strict=True)
        ],
    )
    return user_ids


def _eligible_challenges(prefix: str, year: int, proposers: list[int], count: int) -> list[int]:
    """Challenges already screened eligible, inserted in bulk; challenge i is proposed by proposers[i % n]."""
    now = utcnow()
    themes = ["TRAN", "ENVI", "ENER", "ECON", "SOCI"]
    db.session.execute(
        insert(Challenge),
        [
            {
                "title": f"Uitdaging {prefix} {i:03d}",
                "summary": f"Samenvatting van uitdaging {i}.",
                "description": "",
                "theme": themes[i % len(themes)],
                "expected_impact": "",
                "year": year,
                "status": ChallengeStatus.ELIGIBLE,
                "city_id": proposers[i % len(proposers)],
                "screening_reason": "",
                "screened_at": now,
                "submitted_at": now,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(count)
        ],
    )
    db.session.commit()
    return list(db.session.scalars(select(Challenge.id).where(Challenge.year == year).order_by(Challenge.id)))


def _open_round(title: str, year: int, extra_criterion: bool = False, **options) -> int:
    """A round with the 5 suggested criteria (plus one if asked), moved to voting: the ballot is frozen."""
    round_ = voting.create_round(None, voting.RoundData(title=title, year=year, **options))
    if extra_criterion:
        voting.add_criterion(
            None,
            round_.id,
            voting.CriterionData(key="openness", name_nl="Openheid", name_en="Openness", weight=2.0),
        )
    voting.advance(None, round_.id, RoundPhase.DRAFT)
    voting.advance(None, round_.id, RoundPhase.PROPOSALS_OPEN)
    return round_.id


def _signed_in(context: Context, email: str):
    client = context.app.test_client()
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def _ballot_version(context: Context, round_id: int, city_id: int) -> int:
    with context.app.app_context():
        return db.session.scalar(select(Ballot.version).where(Ballot.round_id == round_id, Ballot.city_id == city_id))


@benchmark("ballot-save-50x6", "a voter saves a full ballot (50 challenges × 6 criteria = 300 scores) through the page")
def ballot_save(context: Context):
    with context.app.app_context():
        year = _free_year()
        proposer, voter_city = _cities("ballot", 2)
        (voter,) = _voters("ballot", [voter_city])
        _eligible_challenges("ballot", year, [proposer], BALLOT_CHALLENGES)
        round_id = _open_round("Bench: ballot", year, extra_criterion=True, quorum=1)
        round_ = db.session.get(Round, round_id)
        challenge_ids = [e.challenge_id for e in round_.entries]
        criterion_ids = [c.id for c in round_.criteria]
        voter_slug = db.session.get(City, voter_city).slug
        email = db.session.get(User, voter).email
    assert (len(challenge_ids), len(criterion_ids)) == (BALLOT_CHALLENGES, BALLOT_CRITERIA)
    url = f"/rounds/{round_id}/ballots/{voter_slug}"
    grid = {
        f"score-{challenge_id}-{criterion_id}": str((i + 2 * j) % 5 + 1)
        for i, challenge_id in enumerate(challenge_ids)
        for j, criterion_id in enumerate(criterion_ids)
    }
    one_cell = dict(list(grid.items())[:1])
    client = _signed_in(context, email)
    state = {"version": _ballot_version(context, round_id, voter_city)}

    def save(cells: dict[str, str]) -> None:
        response = client.post(url, data={**cells, "version": str(state["version"]), "action": "save"})
        assert response.status_code == 302, response.status_code
        state["version"] += 1

    with count_statements(context) as small:
        save(one_cell)
    with count_statements(context) as large:
        save(grid)

    def service_save(cells: dict[str, str]) -> list[str]:
        ballot_input = voting.BallotInput(
            {tuple(int(part) for part in name.split("-")[1:]): value for name, value in cells.items()}, {}
        )
        with context.app.app_context():
            actor = db.session.get(User, voter)
            actor.memberships  # noqa: B018 (loaded before counting, as the request's user would be)
            with count_statements(context) as statements:
                voting.save_ballot(actor, round_id, voter_city, ballot_input, state["version"])
        state["version"] += 1
        return statements

    service_small, service_large = service_save(one_cell), service_save(grid)
    with context.app.app_context():
        saved = db.session.scalar(
            select(sa.func.count(Score.id)).join(Ballot).where(Ballot.round_id == round_id, Ballot.city_id == voter_city)
        )
    assert saved == len(grid), saved
    context.facts_by_bench["ballot-save-50x6"] = {
        "cells": len(grid),
        "statements_1_cell": len(small),
        "statements_300_cells": len(large),
        "service_statements_1_cell": len(service_small),
        "service_statements_300_cells": len(service_large),
    }
    return lambda: save(grid)


@benchmark("results-page", "the published results of 14 cities' ballots on 20 challenges × 5 criteria (10,000 samples)")
def results_page(context: Context):
    rng = random.Random(2017)
    with context.app.app_context():
        year = _free_year()
        city_ids = _cities("results", RESULT_CITIES)
        user_ids = _voters("results", city_ids)
        _eligible_challenges("results", year, city_ids, RESULT_CHALLENGES)
        round_id = _open_round("Bench: results", year, quorum=3, sensitivity_samples=RESULT_SAMPLES)
        round_ = db.session.get(Round, round_id)
        entries = [(e.challenge_id, e.challenge.city_id) for e in round_.entries]
        criterion_ids = [c.id for c in round_.criteria]
        for user_id, city_id in zip(user_ids, city_ids, strict=True):
            cells = {
                (challenge_id, criterion_id): str(rng.randint(1, 5))
                for challenge_id, proposer in entries
                if proposer != city_id
                for criterion_id in criterion_ids
                if rng.random() > 0.05  # about 5% of cells left blank
            }
            version = db.session.scalar(select(Ballot.version).where(Ballot.round_id == round_id, Ballot.city_id == city_id))
            voting.save_ballot(
                db.session.get(User, user_id), round_id, city_id, voting.BallotInput(cells, {}), version, submit=True
            )
        ballots = len(db.session.get(Round, round_id).ballots)
        started = time.perf_counter()
        voting.advance(None, round_id, RoundPhase.VOTING_OPEN)
        close_ms = (time.perf_counter() - started) * 1000
        voting.advance(None, round_id, RoundPhase.CLOSED)
        email = db.session.get(User, user_ids[0]).email
    assert (len(entries), len(criterion_ids)) == (RESULT_CHALLENGES, 5)
    client = _signed_in(context, email)
    url = f"/rounds/{round_id}/results"

    def view() -> None:
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    with count_statements(context) as statements:
        view()
    context.facts_by_bench["results-page"] = {
        "submitted_ballots": RESULT_CITIES,
        "ballots_in_round": ballots,
        "alternatives": RESULT_CHALLENGES,
        "criteria": len(criterion_ids),
        "samples": RESULT_SAMPLES,
        "statements_per_view": len(statements),
        "close_ms": round(close_ms, 1),
    }
    return view
