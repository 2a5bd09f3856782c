"""Regression (issue 7): a ballot save claims the ballot before it touches the scores.

Two voters of one city saving the same version at the same moment used to both pass the version check, both
delete and insert the scores, and on PostgreSQL the second then failed on the scores' unique constraint with the
generic "conflicts with data saved in the meantime" instead of being told somebody else saved the ballot. Now
the version-checked UPDATE of the ballot is the save's first write: the second save waits on the ballot row and
is refused as stale before it changes anything. The race itself, on gunicorn and PostgreSQL, is proven by
tests/proof/test_concurrency.py; this test keeps the order of the writes that makes it safe.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from pilots.models import Ballot, Round, RoundPhase, User
from pilots.services import voting
from pilots.services.errors import ServiceError
from tests.conftest import count_queries

WRITES = ("INSERT", "UPDATE", "DELETE")


def test_a_ballot_save_claims_the_ballot_before_touching_its_scores(app, make_round, world, in_app):
    round_id = make_round()
    with in_app() as session:
        round_ = session.get(Round, round_id)
        ballot = session.scalar(select(Ballot).where(Ballot.round_id == round_id, Ballot.city_id == world["gent_city"]))
        cells = {
            (entry.challenge_id, criterion.id): "3"
            for entry in round_.entries
            if entry.challenge_id != world["gent_challenge"]
            for criterion in round_.criteria
        }
        version = ballot.version
    with count_queries(app) as statements, in_app() as session:
        voting.save_ballot(session.get(User, world["gent"]), round_id, world["gent_city"], voting.BallotInput(cells, {}), version)
    writes = [" ".join(s.split()[:3]).upper() for s in statements if s.lstrip().upper().startswith(WRITES)]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # On SQLite the round's lock is a write that changes nothing (voting.lock_round), before anything else.
        assert writes[0].startswith("UPDATE ROUNDS"), writes
        writes = writes[1:]
    assert writes[0].startswith("UPDATE BALLOTS"), writes
    assert any(w.startswith("DELETE FROM SCORES") for w in writes) and any(w.startswith("INSERT INTO SCORES") for w in writes)


def test_ballot_changes_wait_while_the_round_changes_phase(app, make_round, world, in_app):
    """Regression (issue 7): a ballot submitted while the committee closed the round was marked submitted but
    left out of the frozen result. Ballot changes now lock the round's row for share and phase changes lock it
    for update, so the two take turns (the race itself: tests/proof/test_concurrency.py). SQLite has no row
    locks, so this runs on PostgreSQL (TEST_DATABASE_URL)."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("row locks exist on PostgreSQL only: set TEST_DATABASE_URL")
    round_id = make_round()
    with in_app() as session:
        version = session.scalar(select(Ballot.version).where(Ballot.round_id == round_id, Ballot.city_id == world["gent_city"]))
    with count_queries(app) as saving, in_app() as session:
        voting.save_ballot(session.get(User, world["gent"]), round_id, world["gent_city"], voting.BallotInput({}, {}), version)
    with count_queries(app) as reopening, in_app() as session:
        voting.reopen_ballot(session.get(User, world["gent"]), round_id, world["gent_city"], version + 1)
    # Nobody submitted: the close is refused, but only after taking the lock.
    with count_queries(app) as closing, in_app() as session, pytest.raises(ServiceError):
        voting.advance(session.get(User, world["steering"]), round_id, RoundPhase.VOTING_OPEN)

    def locks(statements):
        return [s.split("FOR", 1)[1].strip() for s in statements if "FROM rounds" in s and " FOR " in s]

    assert locks(saving) == ["SHARE"]
    assert locks(reopening) == ["SHARE"]
    assert locks(closing) == ["UPDATE"]
