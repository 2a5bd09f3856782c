"""The voting reminder on the production shape: two ``flask worker`` processes consume one Redis queue, both fire
the ``remind_voters`` periodic job at REMINDER_HOUR, and each voter of a city that has not submitted its ballot
gets exactly one message, over real SMTP, and one notification in the app; the voters of the cities that did
submit get nothing.

The platform: the 14 cities and their accounts, the demo's challenges and rounds (the current year's is open
for voting: 7 cities submitted, 2 saved a draft, 5 did not start), two more voters and one staff member (not a
voter) per city, and the round's deadline VOTING_REMINDER_DAYS after today (``workspaces.today()``, the day in
Flanders, the day the job itself uses). The demo's history notifies nobody, so nothing else is in the queue.

How the periodic job fires without waiting for the clock: each worker's Huey scheduler thread, at the start of
every minute, calls ``Scheduler.enqueue_periodic_tasks(now)``, which puts one copy of every periodic task whose
crontab matches ``now`` on the queue. Two tick processes, made with the workers' settings and the app's own
task registry, call that same Huey entry point with ``now`` at REMINDER_HOUR:00 UTC, released together: the
queue then holds one copy from each "scheduler", exactly as at that minute with two workers, and the workers'
threads take them. (The workers' own schedulers are told a REMINDER_HOUR twelve hours away, so the wall clock
never adds a copy of its own; the test does not depend on the hour it runs at.) Both copies run; the
first to claim the day in Redis (``pilots.jobs.once_per_period``) reminds, the other logs that the job already
ran today.

The outcome is read where it lands: the messages at an aiosmtpd server on a loopback port (counted per
recipient), the notifications and the audit log in PostgreSQL, and the notification centre of every voter,
signed in on gunicorn. Nothing is waited for by sleeping: each condition is polled until a deadline, and the
counts are taken once the queue is empty, nothing is scheduled for a retry and every job the workers started
has finished.
"""

from __future__ import annotations

import email
import json
import re
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pilots.demo import DEMO_PASSWORD
from pilots.jobs import make_huey
from tests.proof.faults_support import Browser, wait_for
from tests.proof.server import BIN, ROOT, Gunicorn, free_port, proof_database_url, proof_redis_url

LIMITS = {"LOGIN_LIMIT_PER_ACCOUNT": "1000 per minute", "LOGIN_LIMIT_PER_IP": "1000 per minute"}
#: An hour far from now for the workers' own schedulers (see the module doc); the ticks use it too.
REMINDER_HOUR = (datetime.now(UTC).hour + 12) % 24
TIMEOUT = 120  # seconds for each condition waited on

#: The platform, built by the app's own code with the server's settings: cities, accounts, the demo's
#: challenges and rounds (muted, as ``seed-demo`` does), two more voters and a staff member per city, and the
#: open round's voting deadline set by the steering committee. Prints what the test needs as JSON.
SETUP = """
import json
from dataclasses import fields, replace
from datetime import timedelta

from sqlalchemy import select

from app import app
from pilots.demo import DEMO_PASSWORD
from pilots.demo.accounts import seed_accounts, seed_cities
from pilots.demo.challenges import seed_challenges
from pilots.demo.voting import seed_voting
from pilots.extensions import db
from pilots.models import Ballot, BallotStatus, City, CityRole, Membership, Round, RoundPhase, User
from pilots.services import accounts, notifications, voting, workspaces
from pilots.services.accounts import UserData

with app.app_context():
    with notifications.muted():
        seed_cities()
        seed_accounts(DEMO_PASSWORD)
        seed_challenges()
        seed_voting()
        for n, city in enumerate(db.session.scalars(select(City).order_by(City.slug)).all()):
            for k, locale in ((2, "en" if n % 2 else "nl"), (3, "nl" if n % 2 else "en")):
                accounts.create_user(
                    None,
                    UserData(email=f"{city.slug}-{k}@proof.local", name=f"Stemmer {k} {city.name}", locale=locale),
                    DEMO_PASSWORD,
                    memberships=((city.id, CityRole.VOTER),),
                )
            accounts.create_user(
                None,
                UserData(email=f"{city.slug}-staff@proof.local", name=f"Medewerker {city.name}"),
                DEMO_PASSWORD,
                memberships=((city.id, CityRole.STAFF),),
            )
        round_ = db.session.scalars(select(Round).where(Round.phase == RoundPhase.VOTING_OPEN)).one()
        steering = accounts.find_user_by_email("steering@demo.local")
        deadline = workspaces.today() + timedelta(days=int(app.config["VOTING_REMINDER_DAYS"]))
        data = voting.RoundData(**{f.name: getattr(round_, f.name) for f in fields(voting.RoundData)})
        voting.update_round(steering, round_.id, replace(data, voting_deadline=deadline), round_.version)
    statuses = {
        slug: status.value
        for slug, status in db.session.execute(
            select(City.slug, Ballot.status).join(Ballot, Ballot.city_id == City.id).where(Ballot.round_id == round_.id)
        )
    }
    voters, staff, locales = {}, {}, {}
    for slug, address, locale, role in db.session.execute(
        select(City.slug, User.email, User.locale, Membership.role)
        .join(Membership, Membership.city_id == City.id)
        .join(User, User.id == Membership.user_id)
    ):
        (voters if role is CityRole.VOTER else staff).setdefault(slug, []).append(address)
        locales[address] = locale
    print(json.dumps({
        "round": round_.id, "deadline": deadline.isoformat(), "today": workspaces.today().isoformat(),
        "statuses": statuses, "voters": voters, "staff": staff, "locales": locales,
    }))
"""

#: One worker's scheduler at REMINDER_HOUR:00 UTC: Huey's own ``Scheduler.enqueue_periodic_tasks`` on the app's
#: task registry (see the module doc). Says "ready" once the app is loaded, ticks when told to on stdin, and logs
#: (Huey's own log line) every periodic task it put on the queue.
TICK = """
import logging, sys, threading
from datetime import UTC, datetime

from huey.consumer import Scheduler

from app import app
from pilots.jobs import jobs

logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
with app.app_context():
    huey = jobs().huey
    at = datetime.now(UTC).replace(tzinfo=None, hour=int(app.config["REMINDER_HOUR"]), minute=0, second=0, microsecond=0)
    scheduler = Scheduler(huey, threading.Event(), interval=1, periodic=True)
    print("ready", flush=True)
    sys.stdin.readline()
    scheduler.enqueue_periodic_tasks(at)
    print("done", flush=True)
"""

ENQUEUED = re.compile(r"Enqueueing periodic task (\S+): ([0-9a-f-]+)\.")
EXECUTING = re.compile(r"Executing (\S+): ([0-9a-f-]+)")
EXECUTED = re.compile(r"(\S+): ([0-9a-f-]+)[^\n]* executed in \d")  # Huey's repr: name: id [@eta] [N retries]
FAILED = re.compile(r"Unhandled exception in task ([0-9a-f-]+)\.")
ALREADY = "periodic job remind_voters already ran today (another worker started it)"
SUBJECTS = {
    "en": "Datapilots: Your city's ballot is not submitted and voting closes soon",
    "nl": "Datapilots: Het stembiljet van je stad is niet ingediend en de stemming sluit binnenkort",
}


class Mailbox:
    """aiosmtpd handler keeping every message it accepts, with its envelope recipients."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []
        self.arrivals: list[float] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.received.append(([address.lower() for address in envelope.rcpt_tos], message))
            self.arrivals.append(time.monotonic())
        return "250 OK"

    def last_arrival(self) -> float:
        with self.lock:
            return max(self.arrivals)

    def messages(self) -> list[tuple[list[str], email.message.EmailMessage]]:
        with self.lock:
            return list(self.received)


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller.port
    controller.stop()


@pytest.fixture(scope="module")
def server(artifacts, smtp) -> Iterator[Gunicorn]:
    """gunicorn and its worker (mail to the SMTP sink, links under the server's address) on the platform that
    SETUP builds; what SETUP printed is kept as ``server.facts``."""
    _, smtp_port = smtp
    port = free_port()
    settings = {
        **LIMITS,
        "NOTIFICATION_EMAILS": "true",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_DEFAULT_SENDER": "Datapilots <datapilots@proof.local>",
        "BASE_URL": f"http://127.0.0.1:{port}",
        "REMINDER_HOUR": str(REMINDER_HOUR),
    }
    server = Gunicorn(database_url=proof_database_url(), log_dir=artifacts / "logs", port=port, env_overrides=settings)
    started = time.monotonic()
    server.prepare(seed=False)
    setup = subprocess.run(
        [str(BIN / "python"), "-c", SETUP], cwd=ROOT, env=server.env, check=True, capture_output=True, text=True
    )
    server.facts = json.loads(setup.stdout.strip().splitlines()[-1])
    server.facts["setup_s"] = round(time.monotonic() - started, 1)
    with server:
        yield server


class Logs:
    """What a worker (process ``pid``) wrote to its log since the test began (a log file may hold earlier runs)."""

    def __init__(self, path: Path, pid: int) -> None:
        self.path, self.pid = path, pid
        self.start = path.stat().st_size if path.exists() else 0

    def text(self) -> str:
        with self.path.open("rb") as log:
            log.seek(self.start)
            return log.read().decode(errors="replace")

    def consuming(self) -> bool:
        """Huey's consumer of this process has started (it may have said so before the test began)."""
        return f"Huey consumer started with 2 thread, PID {self.pid} " in self.path.read_text(errors="replace")


def _second_worker(server: Gunicorn) -> tuple[subprocess.Popen, Logs]:
    """Another ``flask worker`` with the server's settings (the server started the first), logging to its own file."""
    path = server.log_dir / f"worker2-{server.port}.log"
    start = path.stat().st_size if path.exists() else 0
    with path.open("a") as log:
        process = subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "worker"], cwd=ROOT, env=server.env, stdout=log, stderr=subprocess.STDOUT
        )
    logs = Logs(path, process.pid)
    logs.start = start
    return process, logs


def _tick(server: Gunicorn) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "python"), "-c", TICK],
        cwd=ROOT,
        env=server.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_line(process: subprocess.Popen, expected: str, timeout: float) -> list[str]:
    """The lines ``process`` printed up to and including ``expected``; fails after ``timeout`` seconds."""
    lines: list[str] = []
    done = threading.Event()

    def read():
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.strip() == expected:
                break
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), f"no {expected!r} within {timeout}s: {lines}"
    assert lines and lines[-1] == expected, f"the tick ended without {expected!r}:\n" + "\n".join(lines)
    return lines


def test_two_workers_remind_each_voter_of_a_city_that_has_not_voted_exactly_once(server, smtp, db, artifacts):
    facts = server.facts
    mailbox, _ = smtp
    round_id = facts["round"]
    statuses, voters, staff = facts["statuses"], facts["voters"], facts["staff"]
    assert len(statuses) == 14 and all(len(addresses) == 3 for addresses in voters.values()), facts
    open_cities = sorted(slug for slug, status in statuses.items() if status != "submitted")
    done_cities = sorted(slug for slug, status in statuses.items() if status == "submitted")
    assert open_cities and done_cities, statuses
    expected = {address: slug for slug in open_cities for address in voters[slug]}
    assert not db.scalar("SELECT count(*) FROM notifications"), "the platform starts without notifications"
    huey = make_huey(proof_redis_url())
    ran_from = datetime.now(UTC).date()  # the day the workers claim in Redis (UTC), or the next one

    first = Logs(server.log_dir / f"worker-{server.port}.log", server.worker.pid)
    worker, second = _second_worker(server)
    workers = {"worker 1": first, "worker 2": second}
    ticks: list[subprocess.Popen] = []
    try:
        for logs in workers.values():
            wait_for(logs.consuming, TIMEOUT, f"{logs.path.name} consuming")

        # Both "schedulers" tick at REMINDER_HOUR:00, released together.
        ticks = [_tick(server), _tick(server)]
        for tick in ticks:
            _read_line(tick, "ready", TIMEOUT)
        released = time.monotonic()
        for tick in ticks:
            tick.stdin.write("go\n")
            tick.stdin.flush()
        enqueued = [ENQUEUED.findall("\n".join(_read_line(tick, "done", TIMEOUT))) for tick in ticks]
        copies = [task_id for tick in enqueued for name, task_id in tick if name.endswith(".remind_voters")]
        assert len(copies) == 2, f"each tick put one copy of remind_voters on the queue: {enqueued}"

        def finished() -> dict[str, str] | None:
            """Which worker ran each job, once every job that was started has ended and none is waiting."""
            texts = {who: logs.text() for who, logs in workers.items()}
            started = {task_id: who for who, text in texts.items() for _, task_id in EXECUTING.findall(text)}
            ended = {task_id for text in texts.values() for _, task_id in EXECUTED.findall(text)}
            ended |= {task_id for text in texts.values() for task_id in FAILED.findall(text)}
            if not set(copies) <= set(started) or set(started) - ended:
                return None
            if huey.storage.queue_size() or huey.storage.schedule_size():
                return None
            return started

        started = wait_for(finished, TIMEOUT, "both copies and every e-mail job to finish, with none queued or scheduled")
    finally:
        for tick in ticks:
            if tick.poll() is None:
                tick.kill()
            tick.wait(timeout=10)
        worker.terminate()
        worker.wait(timeout=30)

    texts = {who: logs.text() for who, logs in workers.items()}
    names = {task_id: name for text in texts.values() for name, task_id in EXECUTING.findall(text)}
    for text in texts.values():
        for task_id in FAILED.findall(text):
            assert not names.get(task_id, "").endswith((".remind_voters", ".send_notification_emails")), text

    # E-mail: each voter of each city that has not voted, exactly one message, about their own city's ballot.
    messages = mailbox.messages()
    per_recipient = Counter(address for recipients, _ in messages for address in recipients)
    assert all(len(recipients) == 1 for recipients, _ in messages), "one recipient per message"
    duplicates = {address: n for address, n in per_recipient.items() if n > 1}
    assert not duplicates, f"sent more than once: {duplicates}"
    assert set(per_recipient) == set(expected), {
        "missing": sorted(set(expected) - set(per_recipient)),
        "unexpected": sorted(set(per_recipient) - set(expected)),
    }
    assert not set(per_recipient) & {a for slug in done_cities for a in voters[slug]}
    assert not set(per_recipient) & {a for addresses in staff.values() for a in addresses}
    subjects = Counter()
    for (address,), message in messages:
        link = f"{server.base}/rounds/{round_id}/ballots/{expected[address]}"
        text = message.get_body(("plain",)).get_content()
        assert link in text, (address, text)
        assert message["To"].addresses[0].addr_spec.lower() == address
        assert message["Subject"] == SUBJECTS[facts["locales"][address]], (address, message["Subject"])
        subjects[facts["locales"][address]] += 1

    # In the database: one reminder per voter of each open city, linking to its ballot, e-mailed; nothing else.
    rows = db.rows(
        "SELECT u.email, n.kind, n.link, n.emailed_at FROM notifications n JOIN users u ON u.id = n.user_id ORDER BY n.id"
    )
    assert sorted(row.email for row in rows) == sorted(expected), "one notification per reminded voter, nobody else"
    for row in rows:
        assert row.kind == "voting_reminder" and row.link == f"/rounds/{round_id}/ballots/{expected[row.email]}", row
        assert row.emailed_at is not None, row
    events = db.rows("SELECT details FROM audit_events WHERE action = 'round.voters_reminded'")
    assert len(events) == 1 and sorted(events[0].details["cities"]) == open_cities, events

    # In the app, on gunicorn: every voter's notification centre holds exactly what the database says.
    in_app = {}
    for slug, addresses in sorted(voters.items()):
        for address in addresses:
            browser = Browser(server.base, timeout=30)
            try:
                browser.login(address, DEMO_PASSWORD)
                page = browser.get("/notifications")
                assert page.status_code == 200, (address, page.status_code)
                in_app[address] = page.text.count('data-testid="notification"')
                if address in expected:
                    assert page.text.count(f'href="/rounds/{round_id}/ballots/{slug}"') == 1, address
            finally:
                browser.close()
    assert in_app == {address: int(address in expected) for address in in_app}, in_app
    assert len(in_app) == 42

    # How: both copies ran, on the workers named below; the one that found the day claimed in Redis did nothing.
    ran_on = {task_id: started[task_id] for task_id in copies}
    refused = [who for who, text in texts.items() for _ in range(text.count(ALREADY))]
    assert len(refused) == 1, f"exactly one copy found the day claimed: {refused}"
    claimed = [
        day for day in (ran_from, datetime.now(UTC).date()) if huey.storage.has_data_for_key(f"periodic:remind_voters:{day}")
    ]
    assert claimed, "the day the job ran is claimed in Redis (pilots.jobs.once_per_period)"

    figures = {
        "today": facts["today"],
        "deadline": facts["deadline"],
        "cities_not_submitted": open_cities,
        "cities_submitted": done_cities,
        "voters_reminded": len(expected),
        "messages": len(messages),
        "messages_by_language": dict(subjects),
        "copies_of_remind_voters": {task_id: ran_on[task_id] for task_id in copies},
        "copies_on_different_workers": len(set(ran_on.values())) == 2,
        "copy_that_found_the_day_claimed_ran_on": refused[0],
        "last_message_after_the_ticks_s": round(mailbox.last_arrival() - released, 2),
        "setup_s": server.facts["setup_s"],
        "jobs_run": dict(Counter(started.values())),
    }
    (artifacts / "reminders-two-workers.json").write_text(json.dumps(figures, indent=2))
    print("reminders with two workers:", figures)
