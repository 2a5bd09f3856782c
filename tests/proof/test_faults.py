"""Faults on the production shape: PostgreSQL restarted under load, and a gunicorn worker killed in the middle of
a request. In both the app must recover by itself and the database must hold every acknowledged change and no
half-written one.

PostgreSQL is restarted on a private cluster made for this module (initdb into a temporary directory, its own
port, trust authentication), never the machine's shared server. Without the server binaries the restart proof
skips and says why, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import json
import os
import pwd
import random
import re
import shutil
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa

from tests.proof.faults_support import (
    STALE_MESSAGES,
    Browser,
    Database,
    PrivatePostgres,
    alerts,
    ballot_path,
    open_ballot,
    parse_ballot,
    postgres_bindir,
    process_owning_port,
    wait_for,
)
from tests.proof.server import Gunicorn, proof_database_url

LIMITS = {"LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute", "LOGIN_LIMIT_PER_IP": "1000 per minute"}
IN_CI = os.environ.get("CI") == "true"
TIMEOUT = 10  # seconds: a request that takes longer counts as a hang
SUCCESS = {200, 302}
ERROR_PAGE = ("Something went wrong", "Er liep iets mis")
ACCESS = re.compile(r"^<(\d+)> (\d{3}) (\S+) (\S+)$")


def _postgres_unavailable() -> str | None:
    if postgres_bindir() is None:
        return "no PostgreSQL server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or next to pg_config"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root, and runuser is missing to run PostgreSQL as the postgres user"
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root, and there is no postgres user to run PostgreSQL as"
    return None


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres | None]:
    """A private PostgreSQL cluster, or None when it cannot be made here (``_postgres_unavailable`` says why)."""
    reason = _postgres_unavailable()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI must prove the PostgreSQL restart: {reason}")
        yield None
        return
    postgres = PrivatePostgres(postgres_bindir())
    try:
        postgres.init()
        postgres.start()
        yield postgres
    finally:
        postgres.destroy()


@pytest.fixture(scope="module")
def server(artifacts, private_postgres) -> Iterator[Gunicorn]:
    """gunicorn (2 workers, access log with the worker's pid) on the seeded demo; on the private PostgreSQL when
    there is one (so that the restart cannot touch anyone else's data), else on the shared proof database."""
    url = proof_database_url()
    if private_postgres is not None:
        url = private_postgres.url(sa.make_url(url).database)
    access_log = artifacts / "logs" / "faults-access.log"
    access_log.parent.mkdir(parents=True, exist_ok=True)
    access_log.write_text("")
    server = Gunicorn(
        database_url=url,
        log_dir=artifacts / "logs",
        env_overrides=LIMITS,
        gunicorn_args=["--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s %(m)s %(U)s?%(q)s"],
    )
    server.prepare(seed=True)
    server.access_log = access_log
    with server:
        yield server


def _grid(rng: random.Random, cells) -> dict[tuple[int, int], int]:
    return {cell: rng.randint(1, 5) for cell in cells}


# --- PostgreSQL restarted under load ---------------------------------------------------------------------------


@dataclass
class Call:
    """One request of the load: when it ran, how it ended, and the change it carried (if any)."""

    kind: str
    start: float
    end: float
    status: int | None
    error: str | None = None
    body: str = ""
    token: str | None = None
    grid: dict | None = None


@dataclass
class Load:
    """One thread of traffic, round after round: a voter opens the ballot and saves a new draft (with the form
    it last saw when the page fails), a staff member comments on a challenge, and an anonymous visitor reads
    the challenge list and the health check. Every change carries a unique token."""

    base: str
    voter: Browser
    commenter: Browser
    round_id: int
    city: str
    challenge_id: int
    comment_csrf: str
    calls: list[Call] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    crashed: list[BaseException] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.reader = Browser(self.base, timeout=TIMEOUT)
        self.rng = random.Random(7)
        self.form = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _call(self, kind: str, send, token: str | None = None, grid: dict | None = None) -> httpx.Response | None:
        start = time.monotonic()
        try:
            response = send()
        except httpx.HTTPError as error:  # a timeout or a dropped connection: not a clean failure
            call = Call(kind, start, time.monotonic(), None, f"{type(error).__name__}: {error}", "", token, grid)
        else:
            body = response.text if response.status_code >= 400 else ""
            call = Call(kind, start, time.monotonic(), response.status_code, None, body, token, grid)
        with self.lock:
            self.calls.append(call)
        return response if call.error is None else None

    def _run(self) -> None:
        try:
            n = 0
            while not self.stopping.is_set():
                n += 1
                self._save(n)
                self._comment(n)
                self._call("list", lambda: self.reader.get("/challenges"))
                self._call("health", lambda: self.reader.get("/healthz"))
        except BaseException as error:  # surfaced by the test
            self.crashed.append(error)

    def _comment(self, n: int) -> None:
        token = f"load-comment-{n}"
        path = f"/challenges/{self.challenge_id}/comments"
        self._call("comment", lambda: self.commenter.post(path, {"csrf_token": self.comment_csrf, "body": token}), token)

    def _save(self, n: int) -> None:
        path = ballot_path(self.round_id, self.city)
        page = self._call("ballot page", lambda: self.voter.get(path))
        if page is not None and page.status_code == 200:
            self.form = parse_ballot(page.text)
        form = self.form
        grid = _grid(self.rng, form.cells)
        token = f"load-save-{n}"
        self._call("ballot save", lambda: self.voter.post(path, form.data(grid, {form.notes[0]: token})), token, grid)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=4 * TIMEOUT)
        assert not self.thread.is_alive(), "the load thread hangs"
        self.reader.close()

    def select(self, predicate) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if predicate(call)]

    def acknowledged_after(self, moment: float) -> tuple[int, int]:
        return (
            len(self.select(lambda c: c.kind == "ballot save" and c.status == 302 and c.start >= moment)),
            len(self.select(lambda c: c.kind == "comment" and c.status == 302 and c.start >= moment)),
        )


def _health(base: str) -> int | None:
    try:
        return httpx.get(base + "/healthz", timeout=TIMEOUT).status_code
    except httpx.HTTPError:
        return None


def _probes_after_restart(server: Gunicorn, workers: list[int], marker: str) -> list[tuple[int, int]]:
    """Requests in pairs (so that both workers answer) until every worker has served one after the restart;
    returns (worker pid, status) of each, from gunicorn's access log."""
    served: list[tuple[int, int]] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for attempt in range(30):
            paths = [f"/healthz?probe={marker}-{attempt}-a", f"/challenges?probe={marker}-{attempt}-b"]
            list(pool.map(lambda path: httpx.get(server.base + path, timeout=TIMEOUT), paths))
            served = [
                (int(m.group(1)), int(m.group(2)))
                for line in server.access_log.read_text().splitlines()
                if (m := ACCESS.match(line)) and f"probe={marker}-" in m.group(4)
            ]
            if {pid for pid, _ in served} >= set(workers):
                break
    return served


def test_postgres_restart_under_load(server, private_postgres, db, artifacts):
    if private_postgres is None:
        pytest.skip(f"cannot make a private PostgreSQL to restart: {_postgres_unavailable()}")
    round_id, city = db.open_round(), "oostende"
    challenge_id = db.scalar("SELECT id FROM challenges WHERE status = 'eligible' ORDER BY id LIMIT 1")
    voter, commenter = Browser(server.base, timeout=TIMEOUT), Browser(server.base, timeout=TIMEOUT)
    voter.login(f"{city}@demo.local")
    commenter.login("gent@demo.local")
    open_ballot(voter, round_id, city)
    ballot = db.ballot(round_id, city)
    mark = db.last_audit_id()
    workers = server.worker_pids()
    load = Load(server.base, voter, commenter, round_id, city, challenge_id, commenter.csrf(f"/challenges/{challenge_id}"))

    load.start()
    try:
        wait_for(lambda: min(load.acknowledged_after(0)) >= 3, 30, "the load to get going")
        # Catch a change in the middle of its transaction: a lock on the audit log holds the next save or
        # comment after it has written its rows and before it commits. PostgreSQL goes down under it.
        holder = db.engine.connect()
        holder.begin()
        holder.execute(sa.text("LOCK TABLE audit_events IN SHARE MODE"))
        stuck = wait_for(
            lambda: next(
                (b for b in db.app_backends() if b.wait_event_type == "Lock" and "audit_events" in (b.query or "")), None
            ),
            20,
            "a change waiting inside its transaction",
        )
        written = {row.relation for row in _written_relations(db, stuck.pid)}
        assert written & {"scores", "comments"}, written
        stop_requested = time.monotonic()
        private_postgres.stop("fast")  # every connection is ended, the held transaction too; new ones are refused
        down = time.monotonic()
        holder.invalidate()
        wait_for(
            lambda: len(load.select(lambda c: c.start >= down and c.kind in ("ballot save", "comment"))) >= 4,
            30,
            "the load to meet the outage",
        )
        private_postgres.start()
        up = time.monotonic()
        wait_for(lambda: _health(server.base) == 200, 30, "/healthz to answer 200 again")
        recovered = time.monotonic()
        wait_for(lambda: min(load.acknowledged_after(recovered)) >= 3, 30, "saves and comments to succeed again")
    finally:
        load.stop()
    assert not load.crashed, load.crashed
    calls = load.calls

    # Every request ended within the timeout with an HTTP answer: no hang, no dropped connection.
    broken = [c for c in calls if c.error is not None]
    assert not broken, broken[:5]
    # Before the stop and after recovery everything succeeds; in between a failure is a clean 5xx error page.
    assert all(c.status in SUCCESS for c in calls if c.end < stop_requested), "failures before the outage"
    assert all(c.status in SUCCESS for c in calls if c.start >= recovered), "failures after recovery"
    failed = [c for c in calls if c.status not in SUCCESS]
    assert failed, "the load never met the outage"
    for call in failed:
        if call.status == 400:  # a save sent on a form older than a save that committed unseen during the outage
            assert call.kind == "ballot save" and any(m in alerts(call.body) for m in STALE_MESSAGES), call.body[:500]
        elif call.kind == "health":
            assert call.status == 503 and '"database":"unavailable"' in call.body.replace(" ", "")
        else:
            assert call.status == 500 and any(text in call.body for text in ERROR_PAGE), (call.kind, call.body[:500])
    # The same gunicorn processes served throughout: the pool recovered by itself.
    assert server.process.poll() is None and server.worker_pids() == workers

    # The change caught inside its transaction failed, and left nothing.
    (interrupted,) = [c for c in calls if c.kind in ("ballot save", "comment") and c.start < stop_requested < c.end]
    assert interrupted.status == 500

    # Comments: every acknowledged one is stored once, the interrupted one not; none is stored without its
    # audit event, or the other way round.
    comments = [c for c in calls if c.kind == "comment"]
    stored = db.rows("SELECT id, body FROM comments WHERE challenge_id = :c AND body LIKE 'load-comment-%'", c=challenge_id)
    bodies = [body for _, body in stored]
    assert len(bodies) == len(set(bodies)), "a comment stored twice"
    assert {c.token for c in comments if c.status == 302} <= set(bodies) <= {c.token for c in comments}
    events = db.audit_events(mark, "challenge.commented")
    assert sorted(e.details["comment_id"] for e in events) == sorted(comment_id for comment_id, _ in stored)

    # The ballot: every save is whole. What is stored is exactly one posted save, not older than the last
    # acknowledged one, and the version moved once per stored save, each with its audit event.
    saves = [c for c in calls if c.kind == "ballot save"]
    after = db.ballot(round_id, city)
    notes = db.notes(after.id)
    assert len(notes) == 1
    (token,) = notes.values()
    tokens = [c.token for c in saves]
    assert token in tokens, token
    assert db.scores(after.id) == {cell: float(v) for cell, v in saves[tokens.index(token)].grid.items()}, "one save, unmixed"
    assert tokens.index(token) >= max(i for i, c in enumerate(saves) if c.status == 302)
    saved_events = db.audit_events(mark, "ballot.")
    assert {e.action for e in saved_events} == {"ballot.saved"}
    acknowledged_saves = sum(1 for c in saves if c.status == 302)
    assert acknowledged_saves <= len(saved_events) <= len(saves) - 1  # the interrupted one is not among them
    assert after.version - ballot.version == len(saved_events)
    assert interrupted.token not in set(bodies) | {token}
    # No transaction was left behind open by the outage.
    assert not [b for b in db.app_backends() if b.state and b.state.startswith("idle in transaction")]

    # A restart while the app is idle: each worker's pooled connection is dead, yet the very first request
    # every worker serves afterwards succeeds (pool_pre_ping), again without restarting gunicorn.
    wait_for(
        lambda: {process_owning_port(workers, b.client_port) for b in db.app_backends()} == set(workers),
        10,
        "every worker to hold a pooled connection",
    )
    private_postgres.restart("fast")
    probes = _probes_after_restart(server, workers, "idle-restart")
    assert {pid for pid, _ in probes} == set(workers), f"not every worker was probed: {probes}"
    assert [status for _, status in probes] == [200] * len(probes), probes

    by_status: dict[str, int] = {}
    for call in failed:
        by_status[f"{call.kind} {call.status}"] = by_status.get(f"{call.kind} {call.status}", 0) + 1
    figures = {
        "requests": len(calls),
        "interrupted_change": f"{interrupted.kind} (wrote {sorted(written)})",
        "pg_ctl_stop_s": round(down - stop_requested, 2),
        "database_down_s": round(up - stop_requested, 2),
        "healthz_200_after_start_s": round(recovered - up, 3),
        "failing_window_s": round(max(c.end for c in failed) - min(c.start for c in failed), 2),
        "failed_requests": len(failed),
        "failed_by_kind_and_status": by_status,
        "slowest_failed_request_ms": round(max(c.end - c.start for c in failed if c is not interrupted) * 1000, 1),
        "ballot_saves_posted_acknowledged_stored": [len(saves), acknowledged_saves, len(saved_events)],
        "comments_posted_acknowledged_stored": [len(comments), sum(c.status == 302 for c in comments), len(stored)],
        "idle_restart_probes": len(probes),
    }
    (artifacts / "faults-postgres-restart.json").write_text(json.dumps(figures, indent=2))
    print("PostgreSQL restart under load:", figures)
    voter.close()
    commenter.close()


def _written_relations(db: Database, pid: int) -> list:
    """The tables a backend's open transaction has written to (it holds a transaction id and write locks)."""
    return db.rows(
        "SELECT c.relname AS relation FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "JOIN pg_class c ON c.oid = l.relation AND c.relkind = 'r' "
        "WHERE l.pid = :pid AND l.mode = 'RowExclusiveLock' AND l.granted AND a.backend_xid IS NOT NULL",
        pid=pid,
    )


# --- a worker killed mid-request --------------------------------------------------------------------------------


def test_worker_killed_mid_request_leaves_the_database_consistent(server, db, artifacts):
    """A ballot save is held inside its transaction (scores already replaced, not committed) by a lock the test
    holds on the audit log; the worker serving it is found from its database connection and SIGKILLed."""
    round_id, city = db.open_round(), "roeselare"
    voter = Browser(server.base, timeout=30)
    voter.login(f"{city}@demo.local")
    form = open_ballot(voter, round_id, city)
    ballot = db.ballot(round_id, city)
    scores, notes = db.scores(ballot.id), db.notes(ballot.id)
    grid = _grid(random.Random(4), form.cells)
    data = form.data(grid, {form.notes[0]: "posted by the request whose worker is killed"})
    mark = db.last_audit_id()
    workers = server.worker_pids()

    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(sa.text("LOCK TABLE audit_events IN SHARE MODE"))
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            request = pool.submit(voter.post, ballot_path(round_id, city), data)
            backend = wait_for(
                lambda: next(
                    (b for b in db.app_backends() if b.wait_event_type == "Lock" and "audit_events" in (b.query or "")), None
                ),
                20,
                "the save to wait inside its transaction",
            )
            # That transaction has written already (it has a transaction id and holds write locks on the ballot
            # and its scores), but nobody else sees its changes.
            written = _written_relations(db, backend.pid)
            assert {"ballots", "scores"} <= {row.relation for row in written}, written
            assert db.scores(ballot.id) == scores
            victim = wait_for(
                lambda: process_owning_port(server.worker_pids(), backend.client_port), 5, "the worker owning that connection"
            )
            killed = time.monotonic()
            server.kill_worker(victim)
            with pytest.raises(httpx.HTTPError):  # the connection drops without an answer
                request.result(timeout=30)
    finally:
        transaction.rollback()
        holder.close()
    # The orphaned transaction ends (rolled back) once PostgreSQL notices its client is gone.
    wait_for(lambda: backend.pid not in {b.pid for b in db.app_backends()}, 20, "the orphaned backend to end")

    after = db.ballot(round_id, city)
    assert (after.status, after.version) == (ballot.status, ballot.version), "the ballot row is untouched"
    assert db.scores(ballot.id) == scores, "the scores are the old ones, entirely"
    assert db.notes(ballot.id) == notes
    assert db.audit_events(mark, "") == [], "no audit event of a change that did not happen"

    # gunicorn replaces the worker, and the app keeps serving: the same save, sent again, succeeds whole.
    respawned = wait_for(
        lambda: (pids := server.worker_pids()) and len(pids) == len(workers) and victim not in pids and pids,
        30,
        "gunicorn to start a new worker",
    )
    respawn_s = time.monotonic() - killed
    page = voter.get(ballot_path(round_id, city))
    assert page.status_code == 200 and parse_ballot(page.text).version == ballot.version
    retry = voter.post(ballot_path(round_id, city), data)
    assert retry.status_code == 302, retry.status_code
    assert db.scores(ballot.id) == {cell: float(v) for cell, v in grid.items()}
    assert db.ballot(round_id, city).version == ballot.version + 1
    assert [e.action for e in db.audit_events(mark, "")] == ["ballot.saved"]
    figures = {"killed_worker": victim, "new_workers": respawned, "respawn_s": round(respawn_s, 2)}
    (artifacts / "faults-worker-kill.json").write_text(json.dumps(figures, indent=2))
    print("worker killed mid-request:", figures)
    voter.close()
