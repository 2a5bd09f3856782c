"""Concurrency on the production shape (gunicorn, 4 workers, PostgreSQL): all 14 cities submitting their ballots
at the same instant lose nothing, and two voters of one city saving the same ballot version at once end with
exactly one winner, the other told the ballot was saved in the meantime.

Each voter is a real HTTP session that signed in through the login form; the threads are released together by a
barrier; the outcome is read from PostgreSQL directly, not through the app.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.proof.faults_support import (
    STALE_MESSAGES,
    Browser,
    alerts,
    ballot_path,
    open_ballot,
    parse_ballot,
    wait_for,
)
from tests.proof.server import Gunicorn, proof_database_url

LIMITS = {"LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute", "LOGIN_LIMIT_PER_IP": "1000 per minute"}
SECOND_VOTER = ("oostende-2@demo.local", "second-voter-password")
RACE_CITY = "oostende"


@pytest.fixture(scope="module")
def server(artifacts) -> Iterator[Gunicorn]:
    """gunicorn with 4 workers (two per core, as the README advises) on the seeded demo, plus a second voter
    for Oostende created with the real `create-user` command."""
    server = Gunicorn(database_url=proof_database_url(), log_dir=artifacts / "logs", workers=4, env_overrides=LIMITS)
    server.prepare(seed=True)
    email, password = SECOND_VOTER
    server.flask(
        "create-user", "--email", email, "--name", "Tweede stemmer Oostende", "--city", RACE_CITY, "--role", "voter",
        "--password", password,
    )  # fmt: skip
    with server:
        yield server


def _grid(rng: random.Random, cells: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    return {cell: rng.randint(1, 5) for cell in cells}


def test_fourteen_cities_submit_at_the_same_instant(server, db, artifacts):
    round_id = db.open_round()
    cities = [slug for (slug,) in db.rows("SELECT slug FROM cities WHERE active ORDER BY slug")]
    assert len(cities) == 14
    before = {row.slug: row for row in db.rows("SELECT id, slug FROM cities")}

    # Every city's voter signs in and opens its ballot (reopening it if the demo had submitted it already).
    browsers = {slug: Browser(server.base, timeout=30) for slug in cities}
    forms = {}
    for slug in cities:
        browsers[slug].login(f"{slug}@demo.local")
        forms[slug] = open_ballot(browsers[slug], round_id, slug)
    versions = {slug: db.ballot(round_id, slug).version for slug in cities}
    assert {slug: forms[slug].version for slug in cities} == versions
    mark = db.last_audit_id()

    rng = random.Random(14)
    posted = {slug: _grid(rng, forms[slug].cells) for slug in cities}
    notes = {slug: {forms[slug].notes[0]: f"proof {slug} {rng.random()}"} for slug in cities}
    assert all(posted.values()), "every city has challenges of other cities to score"

    barrier = threading.Barrier(len(cities))
    released: dict[str, float] = {}

    def vote(slug: str):
        data = forms[slug].data(posted[slug], notes[slug], action="submit")
        barrier.wait(timeout=60)
        released[slug] = time.monotonic()
        response = browsers[slug].post(ballot_path(round_id, slug), data)
        return response.status_code, response.headers.get("location"), time.monotonic() - released[slug]

    with ThreadPoolExecutor(max_workers=len(cities)) as pool:
        outcome = dict(zip(cities, pool.map(vote, cities), strict=True))
    spread = max(released.values()) - min(released.values())
    # The submits really ran at once: at the moment the last one was sent, others were still waiting for an answer.
    last_sent = max(released.values())
    overlapping = [slug for slug in cities if released[slug] + outcome[slug][2] > last_sent]
    assert len(overlapping) >= 2, "the submits did not overlap"
    for browser in browsers.values():
        browser.close()

    statuses = {slug: status for slug, (status, _, _) in outcome.items()}
    assert not [s for s in statuses.values() if s >= 500], f"server errors: {statuses}"
    assert statuses == dict.fromkeys(cities, 302), statuses
    assert all(location.endswith(ballot_path(round_id, slug)) for slug, (_, location, _) in outcome.items())

    # One ballot per city, each submitted once, holding exactly what its voter posted.
    ballots = db.rows("SELECT id, city_id, status, version FROM ballots WHERE round_id = :r", r=round_id)
    assert len(ballots) == 14
    assert sorted(b.city_id for b in ballots) == sorted(before[slug].id for slug in cities)
    for slug in cities:
        ballot = db.ballot(round_id, slug)
        assert ballot.status == "submitted", slug
        assert ballot.version == versions[slug] + 1, slug
        assert db.scores(ballot.id) == {cell: float(value) for cell, value in posted[slug].items()}, f"scores of {slug}"
        assert db.notes(ballot.id) == notes[slug], f"note of {slug}"
    stored = db.scalar("SELECT count(*) FROM scores s JOIN ballots b ON b.id = s.ballot_id WHERE b.round_id = :r", r=round_id)
    assert stored == sum(len(grid) for grid in posted.values())

    events = db.audit_events(mark, "ballot.")
    assert [e.action for e in events] == ["ballot.submitted"] * 14
    by_city = {e.details["city_id"]: e.details["scores"] for e in events}
    assert by_city == {before[slug].id: len(posted[slug]) for slug in cities}

    figures = {
        "barrier_release_spread_ms": round(spread * 1000, 1),
        "slowest_submit_ms": round(max(t for _, _, t in outcome.values()) * 1000, 1),
        "scores_stored": stored,
        "in_flight_when_the_last_was_sent": len(overlapping),
    }
    (artifacts / "concurrency-14-cities.json").write_text(json.dumps(figures, indent=2))
    print("14 simultaneous submits:", figures)


def _two_voters(server, db, round_id):
    first, second = Browser(server.base, timeout=30), Browser(server.base, timeout=30)
    first.login(f"{RACE_CITY}@demo.local")
    second.login(*SECOND_VOTER)
    return first, second


def _race(db, first, second, round_id, rng, hold=None, before=None):
    """Both voters open the ballot at the same version and save different grids at once; returns both
    outcomes and the last audit event before the saves. ``before`` (optional) runs once both have the form; ``hold`` (optional) is called once both
    requests are on their way and returns when they may finish."""
    form_first = open_ballot(first, round_id, RACE_CITY)
    form_second = parse_ballot(second.get(ballot_path(round_id, RACE_CITY)).text)
    assert form_first.version == form_second.version, "both voters opened the same version"
    assert form_first.cells == form_second.cells
    grids = {
        "first": _grid(rng, form_first.cells),
        "second": {cell: 6 - value for cell, value in _grid(rng, form_first.cells).items()},
    }
    notes = {
        "first": {form_first.notes[0]: f"first voter {rng.random()}"},
        "second": {form_first.notes[0]: f"second voter {rng.random()}"},
    }
    mark = db.last_audit_id()
    if before is not None:
        before()
    barrier = threading.Barrier(2 if hold is None else 3)

    def save(who: str, browser: Browser, form):
        data = form.data(grids[who], notes[who])
        barrier.wait(timeout=30)
        response = browser.post(ballot_path(round_id, RACE_CITY), data)
        return who, response.status_code, response.text

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(save, "first", first, form_first), pool.submit(save, "second", second, form_second)]
        if hold is not None:
            barrier.wait(timeout=30)
            hold()
        results = {who: (status, text) for who, status, text in (f.result() for f in futures)}
    return mark, form_first.version, grids, notes, results


def _check_one_winner(db, round_id, version, grids, notes, results, mark):
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [302, 400], {who: status for who, (status, _) in results.items()}
    winner = next(who for who, (status, _) in results.items() if status == 302)
    loser = next(who for who in results if who != winner)
    refusal = results[loser][1]
    assert any(message in alerts(refusal) for message in STALE_MESSAGES), f"the loser is told: {alerts(refusal)}"
    # The loser's form comes back with what they typed, for them to reconsider.
    for (challenge, criterion), value in grids[loser].items():
        assert re.search(rf'name="score-{challenge}-{criterion}"[^>]*value="{value}"', refusal), (challenge, criterion)
    ballot = db.ballot(round_id, RACE_CITY)
    assert ballot.version == version + 1
    assert db.scores(ballot.id) == {cell: float(value) for cell, value in grids[winner].items()}, "the winner's scores, unmixed"
    assert db.notes(ballot.id) == notes[winner]
    assert [e.action for e in db.audit_events(mark, "ballot.")] == ["ballot.saved"]
    return winner


def test_two_voters_of_one_city_save_the_same_version_while_both_are_inside_the_transaction(server, db):
    """Deterministic interleaving: a lock held by the test on the audit log keeps the first save from committing
    until both requests have passed the version check and are waiting inside PostgreSQL; then it is released."""
    round_id = db.open_round()
    first, second = _two_voters(server, db, round_id)
    rng = random.Random(2)
    holder = db.engine.connect()
    transaction = holder.begin()
    waited = {}

    def lock():
        holder.execute(sa.text("LOCK TABLE audit_events IN SHARE MODE"))

    def hold():
        try:
            start = time.monotonic()
            wait_for(
                lambda: len([b for b in db.app_backends() if b.wait_event_type == "Lock"]) >= 2,
                timeout=20,
                what="both saves waiting inside the database",
            )
            waited["ms"] = round((time.monotonic() - start) * 1000)
        finally:
            transaction.rollback()
            holder.close()

    try:
        mark, version, grids, notes, results = _race(db, first, second, round_id, rng, hold=hold, before=lock)
    finally:
        if not holder.closed:
            transaction.rollback()
            holder.close()
    winner = _check_one_winner(db, round_id, version, grids, notes, results, mark)
    print(f"held race: {winner} won; both inside the transaction after {waited.get('ms')} ms")
    first.close()
    second.close()


def test_two_voters_of_one_city_racing_freely(server, db):
    """The same race without any help, released by a barrier, three times over."""
    round_id = db.open_round()
    first, second = _two_voters(server, db, round_id)
    rng = random.Random(3)
    winners = []
    for _ in range(3):
        mark, version, grids, notes, results = _race(db, first, second, round_id, rng)
        winners.append(_check_one_winner(db, round_id, version, grids, notes, results, mark))
    print("free races won by", winners)
    first.close()
    second.close()


def test_a_ballot_submitted_while_the_round_closes_is_counted_or_refused(server, db):
    """The committee closes the round while a city submits its ballot, both inside their transactions at once
    (held by a lock on the audit log until both wait in the database). Either the submit lands before the close
    and is in the frozen snapshot, or it is refused because voting closed: never a submitted ballot the result
    left out. This closes the demo round, so it runs last."""
    round_id, city = db.open_round(), "vgc"
    steering, voter = Browser(server.base, timeout=30), Browser(server.base, timeout=30)
    steering.login("steering@demo.local")
    voter.login(f"{city}@demo.local")
    form = open_ballot(voter, round_id, city)
    close = {"csrf_token": steering.csrf(f"/rounds/{round_id}"), "expected_phase": "voting_open"}
    submit = form.data(_grid(random.Random(5), form.cells), action="submit")
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(sa.text("LOCK TABLE audit_events IN SHARE MODE"))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            closing = pool.submit(steering.post, f"/rounds/{round_id}/advance", close)
            submitting = pool.submit(voter.post, ballot_path(round_id, city), submit)
            wait_for(
                lambda: len([b for b in db.app_backends() if b.wait_event_type == "Lock"]) >= 2,
                timeout=20,
                what="the close and the submit waiting inside the database",
            )
            transaction.rollback()
            closed, submitted = closing.result(timeout=30), submitting.result(timeout=30)
    finally:
        if transaction.is_active:
            transaction.rollback()
        holder.close()
    assert closed.status_code == 302 and submitted.status_code in (302, 400), (closed.status_code, submitted.status_code)
    assert db.scalar("SELECT phase FROM rounds WHERE id = :r", r=round_id) == "closed"
    snapshot = json.loads(db.scalar("SELECT document FROM round_snapshots WHERE round_id = :r", r=round_id))
    in_result = {ballot["voter"] for ballot in snapshot["ballots"]}
    submitted_cities = {
        slug
        for (slug,) in db.rows(
            "SELECT c.slug FROM ballots b JOIN cities c ON c.id = b.city_id WHERE b.round_id = :r AND b.status = 'submitted'",
            r=round_id,
        )
    }
    assert in_result == submitted_cities, "the frozen snapshot holds exactly the submitted ballots"
    if submitted.status_code == 400:
        assert "Voting is not open in this round." in alerts(
            submitted.text
        ) or "De stemming is niet open in deze ronde." in alerts(submitted.text), alerts(submitted.text)
    print(f"close vs submit: submit answered {submitted.status_code}; {city} in the result: {city in in_result}")
    steering.close()
    voter.close()
