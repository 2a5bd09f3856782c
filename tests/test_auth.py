"""Signing in and out, passwords, throttling, sessions and safe redirects."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pilots.models import AuditEvent, User
from pilots.web.urls import safe_next_path
from tests.conftest import PASSWORD


def test_sign_in_and_out(client, make_user, in_app):
    make_user("gent@example.org", name="Gerda Gent", city="gent")
    response = client.login("gent@example.org", follow=True)
    assert response.status_code == 200
    assert "Welkom, Gerda Gent." in response.text
    assert "Gent: Medewerker en stemgerechtigde" in response.text
    response = client.post("/logout", follow_redirects=True)
    assert "Je bent afgemeld." in response.text
    assert client.get("/account").status_code == 302
    with in_app() as session:
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions == ["user.login", "user.logout"]
        user = session.scalar(select(User).where(User.email == "gent@example.org"))
        assert user.last_login_at is not None


def test_email_is_case_insensitive(client, make_user):
    make_user("mixed@example.org")
    assert client.login("  Mixed@Example.ORG ").status_code == 302


@pytest.mark.parametrize("email,password", [("known@example.org", "wrong-password"), ("unknown@example.org", PASSWORD)])
def test_wrong_credentials_give_one_message_without_telling_which(client, make_user, email, password):
    make_user("known@example.org")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    assert "Het e-mailadres of het wachtwoord is niet juist." in response.text
    assert "bestaat niet" not in response.text
    # The form keeps the typed email, never the password.
    assert f'value="{email}"' in response.text
    assert password not in response.text


def test_failed_sign_in_is_audited(client, make_user, in_app):
    make_user("known@example.org")
    client.post("/login", data={"email": "known@example.org", "password": "nope"})
    with in_app() as session:
        event = session.scalar(select(AuditEvent))
        assert event.action == "user.login_failed"
        assert event.details["email"] == "known@example.org"


def test_inactive_account_cannot_sign_in(client, make_user):
    make_user("gone@example.org", active=False)
    response = client.login("gone@example.org")
    assert response.status_code == 400
    assert "niet juist" in response.text


def test_deactivated_user_loses_their_session(client, make_user, in_app):
    user_id = make_user("soon-gone@example.org")
    client.login("soon-gone@example.org")
    assert client.get("/account").status_code == 200
    with in_app() as session:
        session.get(User, user_id).active = False
        session.commit()
    assert client.get("/account").status_code == 302


def test_empty_form_gets_messages_not_a_crash(client):
    response = client.post("/login", data={})
    assert response.status_code == 400
    assert response.text.count("invalid-feedback") == 2


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/admin/users?page=2", "/admin/users?page=2"),
        ("/account", "/account"),
        ("https://evil.example/", None),
        ("//evil.example/", None),
        ("/\\evil.example", None),
        ("\\\\evil.example", None),
        ("javascript:alert(1)", None),
        ("/\t/evil.example", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_next_path(target, expected):
    assert safe_next_path(target) == expected


def test_next_redirect_after_sign_in(client, make_user):
    make_user("admin@example.org", is_admin=True)
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=/admin/users")
    response = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD, "next": "/admin/users"})
    assert response.headers["Location"] == "/admin/users"


def test_next_to_another_site_is_ignored(client, make_user):
    make_user("someone@example.org")
    response = client.post("/login", data={"email": "someone@example.org", "password": PASSWORD, "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


def test_logout_needs_post_and_csrf(client, make_user):
    make_user("someone@example.org")
    client.login("someone@example.org")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", csrf=False).status_code == 400
    assert client.get("/account").status_code == 200  # still signed in


def test_sign_in_starts_a_fresh_session(client, make_user):
    """Session fixation: nothing planted in the session before sign-in survives it."""
    make_user("someone@example.org")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    client.login("someone@example.org")
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session.get("_user_id")


def test_session_cookie_flags(client, make_user):
    make_user("someone@example.org")
    response = client.login("someone@example.org")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_login_form_token_from_the_page_is_accepted(client, make_user):
    """The real flow: the token the page renders is the token the server accepts."""
    make_user("someone@example.org")
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", csrf=False, data={"csrf_token": token, "email": "someone@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_missing_csrf_token_on_login_is_a_400_page(client):
    response = client.post("/login", csrf=False, data={"email": "a@example.org", "password": "x"})
    assert response.status_code == 400
    assert "Het formulier was te oud" in response.text


class TestThrottling:
    def test_per_account(self, app, client, make_user):
        make_user("target@example.org")
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit):
            assert client.post("/login", data={"email": "target@example.org", "password": "guess"}).status_code == 400
        response = client.post("/login", data={"email": "target@example.org", "password": PASSWORD})
        assert response.status_code == 429
        assert "Te veel pogingen" in response.text
        # Another account from the same address is not blocked by this account's limit.
        make_user("other@example.org")
        assert client.login("other@example.org").status_code == 302

    def test_a_guesser_cannot_lock_the_owner_out_of_a_browser_they_used_before(self, app, client, make_user):
        """Issue 11, finding 9: the account's limit blocks unknown browsers, not the owner's own browser."""
        make_user("colleague@example.org")
        assert client.login("colleague@example.org").status_code == 302  # the owner's browser, known from now on
        client.logout()
        guesser = app.test_client()  # the same address: a colleague on the same city-hall network
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit):
            guesser.post("/login", data={"email": "colleague@example.org", "password": "guess"})
        refused = guesser.post("/login", data={"email": "colleague@example.org", "password": PASSWORD})
        assert refused.status_code == 429
        assert "een browser die u eerder gebruikte" in refused.text
        response = client.login("colleague@example.org")
        assert response.status_code == 302
        assert client.get("/account").status_code == 200

    def test_a_known_browser_has_a_limit_of_its_own(self, app, client, make_user):
        make_user("owner@example.org")
        client.login("owner@example.org")
        client.logout()
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit):
            assert client.post("/login", data={"email": "owner@example.org", "password": "guess"}).status_code == 400
        response = client.post("/login", data={"email": "owner@example.org", "password": PASSWORD})
        assert response.status_code == 429
        assert "eerder gebruikte" not in response.text  # this browser is the one refused: no false hope
        # Unknown browsers were not charged for this browser's mistakes.
        assert app.test_client().login("owner@example.org").status_code == 302

    def test_a_device_cookie_is_only_good_for_its_own_account(self, app, client, make_user):
        make_user("mine@example.org")
        make_user("theirs@example.org")
        client.login("mine@example.org")
        cookie = client.get_cookie("dp_device").value
        assert "mine" not in cookie and "example.org" not in cookie  # a shared computer shows nobody's address
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit):
            app.test_client().post("/login", data={"email": "theirs@example.org", "password": "guess"})
        client.logout()
        assert client.login("theirs@example.org").status_code == 429
        forged = app.test_client()
        forged.set_cookie("dp_device", cookie[:-3] + "xyz")
        assert forged.login("mine@example.org").status_code == 302  # a bad signature is just an unknown browser

    def test_per_address(self, app, client):
        limit = int(app.config["LOGIN_LIMIT_PER_IP"].split()[0])
        for attempt in range(limit):
            client.post("/login", data={"email": f"spray{attempt}@example.org", "password": "guess"})
        response = client.post("/login", data={"email": "fresh@example.org", "password": "guess"})
        assert response.status_code == 429

    def test_successful_sign_ins_do_not_count(self, app, client, make_user):
        make_user("busy@example.org")
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit + 2):
            assert client.login("busy@example.org").status_code == 302
            client.logout()

    def test_429_page_in_english(self, app, client):
        limit = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
        for _ in range(limit + 1):
            response = client.post(
                "/login", data={"email": "x@example.org", "password": "guess"}, headers={"Accept-Language": "en"}
            )
        assert response.status_code == 429
        assert "Too many attempts" in response.text


class TestPasswordChange:
    def test_change(self, client, make_user):
        make_user("me@example.org")
        client.login("me@example.org")
        response = client.post(
            "/account",
            data={"current_password": PASSWORD, "password": "a-new-long-password", "confirm": "a-new-long-password"},
            follow_redirects=True,
        )
        assert "Je wachtwoord is gewijzigd." in response.text
        client.logout()
        assert client.login("me@example.org").status_code == 400
        assert client.login("me@example.org", "a-new-long-password").status_code == 302

    @pytest.mark.parametrize(
        "current,new,confirm,message",
        [
            ("wrong-password", "a-new-long-password", "a-new-long-password", "Je huidige wachtwoord is niet juist."),
            (PASSWORD, "short", "short", "Gebruik minstens 10 tekens."),
            (PASSWORD, "a-new-long-password", "something-else", "De twee wachtwoorden verschillen."),
        ],
    )
    def test_bad_input(self, client, make_user, current, new, confirm, message):
        make_user("me@example.org")
        client.login("me@example.org")
        response = client.post("/account", data={"current_password": current, "password": new, "confirm": confirm})
        assert response.status_code == 400
        assert message in response.text
        client.logout()
        assert client.login("me@example.org").status_code == 302  # the old password still works
