"""The queue being down breaks no page, and what did not happen in the background is on the committee's dashboard.

With ``TASK_QUEUE_URL`` pointing at a Redis nobody answers, asking for a dataset check still answers with a
message; the refusal is recorded (:class:`~pilots.models.JobFailure`), and the steering committee sees it in the
dashboard's "Background work" panel, in plain words. City staff do not, and nobody sees the panel when all went well.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from pilots import jobs
from pilots.models import CityRole, FailureKind, JobFailure, PilotStatus, User, utcnow
from pilots.services import dashboard, workspaces
from tests import factories
from tests.conftest import Client, count_queries, make_app

NOBODY_LISTENS = "redis://127.0.0.1:1/0"


@pytest.fixture
def people(make_user, in_app):
    ids = {
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True, locale="en"),
        "admin": make_user("admin@example.org", name="Ada Admin", is_admin=True, locale="en"),
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
    }
    with in_app() as session:
        steering = session.get(User, ids["steering"])
        gent = factories.city("gent")
        pilot = workspaces.create_pilot(steering, workspaces.PilotData("Realtime parkeerdata", "", gent.id, PilotStatus.ACTIVE))
        ids["pilot"] = pilot.id
        ids["dataset"] = workspaces.add_dataset(steering, pilot.id, gent.id, factories.parking_dataset("Parkeren Gent")).id
    return ids


def signed_in(app, email: str) -> Client:
    app.test_client_class = Client
    client = app.test_client()
    assert client.login(email).status_code == 302
    return client


def panel(page: str) -> list[tuple[str, str, str]]:
    """The background-work panel's rows: (work, what happened, times) as the page shows them."""
    found = re.search(r'<section [^>]*id="background-panel".*?</section>', page, re.S)
    if found is None:
        return []
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td>([^<]+)</td><td class="text-end" data-times="(\d+)"', found.group(0))
    return [(work.strip(), outcome.strip(), times) for work, outcome, times in rows]


def failures(in_app) -> list[JobFailure]:
    with in_app() as session:
        rows = session.scalars(sa.select(JobFailure).order_by(JobFailure.id)).all()
        session.expunge_all()
        return list(rows)


def test_a_queue_that_is_down_breaks_no_page_and_the_committee_sees_it(app, in_app, people):
    web = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TASK_QUEUE_URL=NOBODY_LISTENS)
    staff = signed_in(web, "gent@example.org")
    response = staff.post(f"/pilots/{people['pilot']}/datasets/{people['dataset']}/check", follow_redirects=True)
    assert response.status_code == 200
    assert "The check could not be started: the background queue does not answer." in response.text
    (refusal,) = failures(in_app)
    assert (refusal.job, refusal.kind) == ("check_dataset", FailureKind.NOT_QUEUED)
    assert refusal.args == f"{people['dataset']}, {people['gent']}"  # ids only
    assert refusal.error.startswith("ConnectionError: ") and refusal.task_id is None
    assert utcnow() - refusal.failed_at < timedelta(minutes=5)

    committee = signed_in(web, "steering@example.org")
    page = committee.get("/dashboard")
    assert page.status_code == 200
    assert panel(page.text) == [("Conformance check", "Could not be started: the queue did not answer", "1")]
    shown = re.sub(r"<[^>]+>", " ", page.text)  # what is on screen, without the markup's attributes
    assert "Background work" in shown and "check_dataset" not in shown and "not_queued" not in shown
    staff_page = staff.get("/dashboard")  # city staff
    assert staff_page.status_code == 200 and 'id="background-panel"' not in staff_page.text
    admin = signed_in(web, "admin@example.org")  # an administrator who is not on the committee sees it too
    assert panel(admin.get("/dashboard").text) == [("Conformance check", "Could not be started: the queue did not answer", "1")]
    assert committee.post("/language", data={"language": "nl"}).status_code == 302
    assert panel(committee.get("/dashboard").text) == [
        ("Conformiteitscontrole", "Kon niet starten: de wachtrij antwoordde niet", "1")
    ]


def test_asking_for_a_reset_link_answers_too(app, in_app, people):
    """A reset link: a message instead of an error page, and a record of the refusal (without the address)."""
    web = make_app(app.config["SQLALCHEMY_DATABASE_URI"], TASK_QUEUE_URL=NOBODY_LISTENS, MAIL_BACKEND="locmem")
    web.test_client_class = Client
    response = web.test_client().post("/password/forgot", data={"email": "gent@example.org"}, headers={"Accept-Language": "en"})
    assert response.status_code == 400  # the form again, with the message
    assert "The e-mail could not be sent now." in response.text
    (refusal,) = failures(in_app)
    assert (refusal.job, refusal.kind, refusal.args) == ("send_password_reset", FailureKind.NOT_QUEUED, "…")  # no address


def record(in_app, job: str, kind: FailureKind, ago: timedelta) -> None:
    with in_app() as session:
        session.add(JobFailure(job=job, kind=kind, args="1", error="boom", failed_at=utcnow() - ago))
        session.commit()


def test_the_panel_names_the_work_in_plain_words_and_looks_back_a_week(app, in_app, people):
    record(in_app, "send_invitation", FailureKind.FAILED, timedelta(days=1))
    record(in_app, "send_notification_emails", FailureKind.FAILED, timedelta(hours=2))  # both e-mail
    record(in_app, "check_dataset", FailureKind.FAILED, timedelta(hours=1))
    record(in_app, "check_dataset", FailureKind.NOT_QUEUED, timedelta(hours=3))
    record(in_app, "a_job_added_later", FailureKind.FAILED, timedelta(days=6))
    record(in_app, "check_dataset", FailureKind.FAILED, timedelta(days=8))  # too long ago
    with in_app():
        rows = dashboard.background_work()
    assert [(row.work, row.kind, row.times) for row in rows] == [
        ("check", FailureKind.FAILED, 1),
        ("email", FailureKind.FAILED, 2),
        ("check", FailureKind.NOT_QUEUED, 1),
        ("other", FailureKind.FAILED, 1),
    ]
    assert rows[1].last > utcnow() - timedelta(hours=3)  # the latest of the two e-mails
    page = signed_in(app, "steering@example.org").get("/dashboard").text
    assert panel(page) == [
        ("Conformance check", "Failed", "1"),
        ("E-mail", "Failed", "2"),
        ("Conformance check", "Could not be started: the queue did not answer", "1"),
        ("Other background work", "Failed", "1"),
    ]


def test_nothing_is_shown_when_all_went_well(app, in_app, people):
    record(in_app, "check_dataset", FailureKind.FAILED, timedelta(days=8))
    page = signed_in(app, "steering@example.org").get("/dashboard").text
    assert "Steering committee view" in page
    assert 'id="background-panel"' not in page and "Background work" not in page


def test_the_panel_costs_the_committee_one_statement_and_others_none(app, in_app, people):
    record(in_app, "check_dataset", FailureKind.FAILED, timedelta(hours=1))
    for email, expected in (("steering@example.org", 1), ("gent@example.org", 0)):
        client = signed_in(app, email)
        assert client.get("/dashboard").status_code == 200  # warm up
        with count_queries(app) as statements:
            page = client.get("/dashboard").text
        assert sum("job_failures" in statement for statement in statements) == expected, email
        assert ('id="background-panel"' in page) is bool(expected)


def test_who_may_see_the_background_work(in_app, people):
    with in_app() as session:
        seen = {who: dashboard.can_see_background_work(session.get(User, people[who])) for who in ("steering", "admin", "gent")}
    assert seen == {"steering": True, "admin": True, "gent": False}
    assert not dashboard.can_see_background_work(None)


def test_recording_never_raises_into_the_page(tmp_path, caplog):
    """A database that is down too: the refusal is only logged, the caller still gets QueueUnavailable."""
    broken = make_app(f"sqlite:///{tmp_path / 'missing' / 'x.sqlite'}", TASK_QUEUE_URL=NOBODY_LISTENS)
    with broken.app_context(), pytest.raises(jobs.QueueUnavailable):
        jobs.enqueue("check_dataset", 1, None)
    assert "could not record that job check_dataset did not run" in caplog.text
