"""Hardening found in review: parallel brute force, replayed sessions, hostile numbers and bytes, a broken database."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from flask import Blueprint

from pilots.models import AuditEvent, User
from pilots.security.access import ANYONE, allow
from tests.conftest import PASSWORD, make_app


def test_parallel_guesses_cannot_pass_the_account_limit(app, client, make_user):
    """Twenty simultaneous wrong passwords: only the limit's worth are even checked; the rest get 429."""
    make_user("target@example.org")
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def attempt():
        client = app.test_client()
        token = client.csrf_token()
        barrier.wait()
        statuses.append(
            client.post("/login", data={"email": "target@example.org", "password": "guess", "csrf_token": token}).status_code
        )

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(400) == limit
    assert statuses.count(429) == 20 - limit


def test_throttled_answer_says_when_to_retry(app, client):
    limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        client.post("/login", data={"email": "x@example.org", "password": "guess"})
    response = client.post("/login", data={"email": "x@example.org", "password": "guess"})
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


@pytest.mark.parametrize("how", ["logout", "password change", "password reset", "deactivation"])
def test_a_copied_session_cookie_stops_working(app, client, make_user, in_app, how):
    user_id = make_user("victim@example.org")
    client.login("victim@example.org")
    stolen = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/account").status_code == 200
    if how == "logout":
        client.logout()
    elif how == "password change":
        response = client.post(
            "/account",
            data={"current_password": PASSWORD, "password": "another-long-password", "confirm": "another-long-password"},
        )
        assert response.status_code == 302
        assert client.get("/account").status_code == 200  # the person who changed it stays signed in
    else:
        from pilots.services import accounts

        with in_app() as session:
            admin = session.get(User, make_user("admin@example.org", is_admin=True))
            if how == "password reset":
                accounts.reset_password(admin, user_id, "reset-by-the-admin")
            else:
                accounts.set_active(admin, user_id, False)
    assert thief.get("/account").status_code == 302


def test_account_changes_are_audited(client, make_user, in_app):
    make_user("me@example.org")
    client.login("me@example.org")
    client.post("/language", data={"language": "en"})
    client.post(
        "/account", data={"current_password": PASSWORD, "password": "another-long-password", "confirm": "another-long-password"}
    )
    with in_app() as session:
        actions = session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["user.login", "user.locale_changed", "user.password_changed"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/users/99999999999999999999",
        "/challenges/99999999999999999999",
        "/admin/users?page=99999999999999999999",
        "/admin/audit?page=99999999999999999999",
        "/challenges?page=99999999999999999999&year=99999999999999999999",
    ],
)
def test_huge_numbers_are_not_a_crash(admin_client, url):
    assert admin_client.get(url).status_code in (200, 404)


@pytest.mark.parametrize(
    "url,data", [("/login", {"email": "a\x00b@example.org", "password": "x"}), ("/admin/users?q=a%00b", None)]
)
def test_nul_bytes_are_refused(admin_client, url, data):
    response = admin_client.post(url, data=data) if data else admin_client.get(url)
    assert response.status_code == 400


def test_removing_another_users_role_is_404(admin_client, make_user, in_app):
    from pilots.models import Membership

    first = make_user("a@example.org", city="gent")
    make_user("b@example.org", city="leuven")
    with in_app() as session:
        other_membership = session.scalar(sa.select(Membership.id).where(Membership.user_id != first))
    assert admin_client.post(f"/admin/users/{first}/memberships/{other_membership}/delete").status_code == 404


def test_error_page_survives_a_dead_database(tmp_path, monkeypatch):
    """A signed-in visitor hits an error while the database is gone: a plain bilingual page, still with headers."""
    import flask_migrate

    from pilots.services import accounts
    from pilots.services.accounts import UserData
    from tests.conftest import Client

    app = make_app(f"sqlite:///{tmp_path / 'x.sqlite'}", PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("boom", __name__)

    @bp.get("/boom")
    @allow(ANYONE)
    def boom():
        raise RuntimeError("deliberate")

    app.register_blueprint(bp)
    with app.app_context():
        flask_migrate.upgrade()
        accounts.create_user(None, UserData(email="me@example.org", name="Me"), PASSWORD)
    app.test_client_class = Client
    client = app.test_client()
    assert client.login("me@example.org").status_code == 302

    def database_gone(token):
        raise sa.exc.OperationalError("SELECT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(app.login_manager, "_user_callback", database_gone)  # the extension object is shared
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Er liep iets mis" in response.text and "Something went wrong" in response.text
    assert response.headers["X-Frame-Options"] == "DENY"
