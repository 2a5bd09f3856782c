"""Regression (issue 11): ballots changed while the round closed, on SQLite.

SQLite ignores ``SELECT … FOR UPDATE / FOR SHARE``, and the phase was read before the write transaction started:
a voter could submit (or reopen) between the moment the close read the submitted ballots and the moment it
committed the snapshot, leaving a ballot submitted in the database after ``closed_at`` but missing from the
snapshot, a ballot counted in the snapshot but a draft in the database, and a ``ballot.submitted`` audit event
after ``round.closed``. Now every ballot change and every phase change takes the round's write lock before it
reads the phase (``voting.lock_round``), on SQLite as on PostgreSQL.

Each trial lets every city's voter submit and reopen its ballot as fast as it can, in threads of their own, while
the committee closes the round; then the snapshot, the ballots in the database and the audit log must agree.
Run on PostgreSQL with TEST_DATABASE_URL (CI runs both).
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import AuditEvent, Ballot, BallotStatus, Round, RoundPhase, Score, User
from pilots.services import voting
from pilots.services.errors import ServiceError
from tests.voting_world import CITIES, fill_ballots

TRIALS = 12
MOVES_PER_VOTER = 40  # bounded: a voter stops after this many submits and reopens, or once voting is closed


def _voter(app, user_id: int, round_id: int, city_id: int, cells, started: threading.Event, errors: list) -> None:
    """Submit and reopen the city's ballot until voting closes (or the moves run out)."""
    with app.app_context():
        try:
            for _ in range(MOVES_PER_VOTER):
                user = db.session.get(User, user_id)
                ballot = db.session.scalar(select(Ballot).where(Ballot.round_id == round_id, Ballot.city_id == city_id))
                status, version = ballot.status, ballot.version
                db.session.rollback()  # a fresh view for the next read, as a new request would have
                try:
                    if status is BallotStatus.SUBMITTED:
                        voting.reopen_ballot(user, round_id, city_id, version)
                    else:
                        voting.save_ballot(user, round_id, city_id, voting.BallotInput(cells, {}), version, submit=True)
                except ServiceError as error:
                    if "not open" in str(error.message):
                        return
                finally:
                    started.set()
                    db.session.rollback()
        except Exception as error:  # reported to the test, which fails on it
            errors.append(repr(error))


def _closer(app, steering_id: int, round_id: int, started: threading.Event, errors: list) -> None:
    with app.app_context():
        try:
            started.wait(timeout=30)
            for _ in range(200):
                try:
                    voting.advance(db.session.get(User, steering_id), round_id, RoundPhase.VOTING_OPEN)
                    return
                except ServiceError:  # every ballot happened to be reopened at that moment: try again
                    db.session.rollback()
            errors.append("the round never closed")
        except Exception as error:
            errors.append(repr(error))


def _cells(session, round_id: int, city_id: int) -> dict[tuple[int, int], str]:
    round_ = session.get(Round, round_id)
    return {
        (entry.challenge_id, criterion.id): "3"
        for entry in round_.entries
        if entry.challenge.city_id != city_id
        for criterion in round_.criteria
    }


@pytest.mark.parametrize("trial", range(TRIALS))
def test_the_snapshot_database_and_audit_log_agree_after_a_racing_close(app, make_round, world, in_app, trial):
    round_id = make_round()
    with in_app() as session:
        fill_ballots(session, world, round_id, submit=True)
        cells = {slug: _cells(session, round_id, world[f"{slug}_city"]) for slug in CITIES}
    started = threading.Event()
    errors: list[str] = []
    threads = [
        threading.Thread(target=_voter, args=(app, world[slug], round_id, world[f"{slug}_city"], cells[slug], started, errors))
        for slug in CITIES
    ]
    threads.append(threading.Thread(target=_closer, args=(app, world["steering"], round_id, started, errors)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    with in_app() as session:
        round_ = session.get(Round, round_id)
        assert round_.phase is RoundPhase.CLOSED
        document = json.loads(round_.snapshot.document)
        ballots = session.scalars(select(Ballot).where(Ballot.round_id == round_id)).all()
        slug_of = {b.id: b.city.slug for b in ballots}
        submitted = {slug_of[b.id] for b in ballots if b.status is BallotStatus.SUBMITTED}
        # The snapshot holds exactly the ballots that are submitted in the database, with the same scores.
        assert {b["voter"] for b in document["ballots"]} == submitted
        for ballot in document["ballots"]:
            stored = session.execute(
                select(Score.challenge_id, Score.criterion_id, Score.value)
                .join(Ballot, Ballot.id == Score.ballot_id)
                .where(Ballot.round_id == round_id, Ballot.id.in_([i for i, s in slug_of.items() if s == ballot["voter"]]))
            ).all()
            assert sum(len(v) for v in ballot["scores"].values()) == len(stored)
        # Nothing was submitted after the round closed, and the audit log says the same.
        for ballot in ballots:
            if ballot.submitted_at is not None:
                assert ballot.submitted_at <= round_.closed_at
        events = session.scalars(select(AuditEvent).where(AuditEvent.object_type == "round").order_by(AuditEvent.id)).all()
        closed = [e.id for e in events if e.action == "round.closed"]
        assert len(closed) == 1
        late = [e.action for e in events if e.id > closed[0] and e.action.startswith("ballot.")]
        assert late == []
        # The last ballot event of each city before the close matches its status.
        last: dict[int, str] = {}
        for event in events:
            if event.action in ("ballot.submitted", "ballot.reopened"):
                last[event.details["city_id"]] = event.action
        for ballot in ballots:
            expected = "ballot.submitted" if ballot.status is BallotStatus.SUBMITTED else "ballot.reopened"
            assert last.get(ballot.city_id, "ballot.submitted") == expected, slug_of[ballot.id]
