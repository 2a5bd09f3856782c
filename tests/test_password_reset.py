"""Forgot your password, and invitations: links sent by e-mail that let the owner choose a password (issue 13).

The e-mails land in Flask-Mailman's locmem outbox (the testing queue runs each job when it is enqueued); a real
SMTP server and a real worker are in tests/test_mail.py.
"""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from pilots import jobs
from pilots.extensions import db
from pilots.models import AuditEvent, User
from pilots.services import account_links
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-passphrase"
LINK = re.compile(r"http://localhost:5000/password/new/[A-Za-z0-9_.\-]+")


def reset_link(message) -> str:
    links = LINK.findall(message.body)
    assert len(links) == 1, message.body
    return links[0]


def path_of(link: str) -> str:
    return link.removeprefix("http://localhost:5000")


def recipients(message) -> list[str]:
    return [address.rsplit("<", 1)[-1].rstrip(">") for address in message.to]


def html_of(message) -> str:
    (html, mimetype), *_ = message.alternatives
    assert mimetype == "text/html"
    return html


def ask_for_reset(client, email: str, **kwargs):
    return client.post("/password/forgot", data={"email": email}, **kwargs)


class TestForgotPassword:
    def test_the_sign_in_page_offers_it_in_both_languages(self, client):
        assert 'href="/password/forgot">Wachtwoord vergeten?</a>' in client.get("/login").text
        client.post("/language", data={"language": "en"})
        assert 'href="/password/forgot">Forgot your password?</a>' in client.get("/login").text

    def test_without_email_the_link_is_gone_and_the_page_says_why(self, app, client, monkeypatch):
        monkeypatch.setitem(app.config, "MAIL_BACKEND", "")  # production without MAIL_SERVER
        assert "/password/forgot" not in client.get("/login").text
        page = client.get("/password/forgot")
        assert page.status_code == 200
        assert "Dit platform verstuurt geen e-mail" in page.text
        assert "<form" not in page.text.split("<main", 1)[1]

    def test_an_account_gets_a_link_in_its_own_language(self, client, make_user, outbox):
        make_user("eva@example.org", name="Eva Engels", locale="en")
        response = ask_for_reset(client, "  Eva@Example.org ", follow_redirects=True)
        assert "If an account uses eva@example.org" not in response.text  # the page is in the visitor's language
        assert "Als een account eva@example.org gebruikt" in response.text
        assert len(outbox) == 1
        message = outbox[0]
        assert message.to == ["Eva Engels <eva@example.org>"]
        assert message.subject == "Choose a new password for Datapilots"
        assert "Hello Eva Engels," in message.body
        assert "works once, for 60 minutes" in message.body
        link = reset_link(message)
        assert f'href="{link}"' in html_of(message)
        assert 'lang="en"' in html_of(message)

    def test_a_dutch_account_gets_dutch(self, client, make_user, outbox):
        make_user("jan@example.org", name="Jan", locale="nl")
        ask_for_reset(client, "jan@example.org")
        assert outbox[0].subject == "Kies een nieuw wachtwoord voor Datapilots"
        assert "Hallo Jan," in outbox[0].body

    def test_unknown_and_deactivated_addresses_get_the_same_answer_and_no_mail(self, client, make_user, outbox, in_app):
        make_user("known@example.org")
        make_user("gone@example.org", active=False)
        answers = []
        for email in ("known@example.org", "nobody@example.org", "gone@example.org"):
            response = ask_for_reset(client, email)
            assert response.status_code == 302
            assert response.headers["Location"] == "/login"
            page = client.get("/login").text
            answers.append(re.sub(r"\S+@example\.org", "ADDRESS", page.split('role="status"', 1)[1].split("</div>", 1)[0]))
        assert answers[0] == answers[1] == answers[2]
        assert [recipients(message) for message in outbox] == [["known@example.org"]]
        with in_app() as session:
            requested = session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "user.password_reset_requested")
            ).all()
        assert [details["email"] for details in requested] == ["known@example.org", "nobody@example.org", "gone@example.org"]

    def test_the_link_is_built_from_base_url_never_from_the_host_header(self, app, client, make_user, outbox, monkeypatch):
        make_user("someone@example.org")
        monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)  # the session cookie belongs to localhost
        response = ask_for_reset(client, "someone@example.org", csrf=False, base_url="http://evil.example")
        assert response.status_code == 302
        assert "evil.example" not in outbox[0].body + html_of(outbox[0])
        reset_link(outbox[0])

    def test_bad_input_is_shown_next_to_the_field(self, client, outbox):
        response = ask_for_reset(client, "")
        assert response.status_code == 400
        assert "is-invalid" in response.text
        assert outbox == []

    def test_requests_are_throttled_per_address_whether_or_not_it_has_an_account(self, client, make_user, outbox):
        make_user("someone@example.org")
        for email in ("someone@example.org", "nobody@example.org"):
            for _ in range(3):
                assert ask_for_reset(client, email).status_code == 302
            refused = ask_for_reset(client, email)
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) > 0
        assert len(outbox) == 3

    def test_a_queue_that_is_down_is_said_next_to_the_field_and_keeps_the_address(self, client, make_user, monkeypatch):
        make_user("someone@example.org")

        def down(*args):
            raise jobs.QueueUnavailable("redis is down")

        monkeypatch.setattr(jobs, "enqueue", down)
        response = ask_for_reset(client, "someone@example.org")
        assert response.status_code == 400
        assert "De e-mail kon nu niet verstuurd worden" in response.text
        assert 'value="someone@example.org"' in response.text


class TestChoosingANewPassword:
    @pytest.fixture
    def link(self, client, make_user, outbox) -> str:
        make_user("someone@example.org")
        ask_for_reset(client, "someone@example.org")
        return path_of(reset_link(outbox[0]))

    def test_the_link_sets_a_new_password_once_and_ends_every_session(self, app, client, link, in_app):
        elsewhere = app.test_client()
        assert elsewhere.post("/login", data={"email": "someone@example.org", "password": PASSWORD}).status_code == 302
        assert elsewhere.get("/account").status_code == 200

        page = client.get(link)
        assert page.status_code == 200
        assert "Kies een nieuw wachtwoord" in page.text
        assert "someone@example.org" in page.text
        response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
        assert "Je wachtwoord is bewaard" in client.get("/login").text

        assert elsewhere.get("/account").status_code == 302  # signed out everywhere
        assert client.login("someone@example.org").status_code == 400  # the old password no longer works
        assert client.login("someone@example.org", NEW_PASSWORD).status_code == 302
        again = client.get(link)
        assert again.status_code == 404
        assert "Deze link werkt niet (meer)" in again.text
        with in_app() as session:
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert "user.password_reset_by_email" in actions

    def test_bad_passwords_are_refused_next_to_the_field_and_the_link_keeps_working(self, client, link):
        short = client.post(link, data={"password": "short", "confirm": "short"})
        assert short.status_code == 400
        assert "Gebruik minstens 10 tekens" in short.text
        different = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
        assert different.status_code == 400
        assert "De twee wachtwoorden verschillen" in different.text
        assert client.get(link).status_code == 200

    def test_the_link_clears_the_lockout_that_others_caused(self, client, link):
        for _ in range(5):
            client.login("someone@example.org", "a wrong guess")
        assert client.login("someone@example.org", NEW_PASSWORD).status_code == 429
        client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert client.login("someone@example.org", NEW_PASSWORD).status_code == 302

    @pytest.mark.parametrize(
        "mangle",
        [
            lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # a broken signature
            lambda token: "not-a-token",
            lambda token: token.split(".", 1)[1],  # no payload
        ],
    )
    def test_a_tampered_link_gets_a_clear_page(self, client, link, mangle):
        token = link.rsplit("/", 1)[1]
        page = client.get(f"/password/new/{mangle(token)}")
        assert page.status_code == 404
        assert "Deze link werkt niet (meer)" in page.text
        assert 'href="/password/forgot"' in page.text
        assert (
            client.post(f"/password/new/{mangle(token)}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code
            == 404
        )

    def test_an_expired_link_gets_the_same_clear_page(self, app, client, make_user, monkeypatch):
        user_id = make_user("someone@example.org")
        hour_ago = time.time() - 3601
        monkeypatch.setattr("itsdangerous.timed.time.time", lambda: hour_ago)
        with app.app_context():
            token = account_links.make_token(db.session.get(User, user_id), account_links.Purpose.RESET)
        monkeypatch.undo()
        assert client.get(f"/password/new/{token}").status_code == 404

    def test_a_link_for_a_deactivated_account_does_not_work(self, client, link, in_app):
        with in_app() as session:
            session.scalar(select(User).where(User.email == "someone@example.org")).active = False
            session.commit()
        assert client.get(link).status_code == 404


class TestInvitations:
    def new_account(self, admin_client, **fields):
        data = {"name": "Nina Nieuw", "email": "nina@example.org", "locale": "en", "role": "voter", "city_id": "0", **fields}
        return admin_client.post("/admin/users/new", data=data)

    def test_an_administrator_invites_instead_of_typing_a_password(self, admin_client, app, outbox):
        response = self.new_account(admin_client, invite="y")
        assert response.status_code == 302
        page = admin_client.get(response.headers["Location"]).text
        assert "De uitnodiging is onderweg naar nina@example.org" in page
        (message,) = outbox
        assert message.to == ["Nina Nieuw <nina@example.org>"]
        assert message.subject == "You are invited to Datapilots"
        assert "Ada Admin made you an account on Datapilots" in message.body
        assert "works once, for 7 days" in message.body

        invited = app.test_client()
        link = path_of(reset_link(message))
        assert "Choose your password" in invited.get(link, headers={"Accept-Language": "en"}).text
        assert invited.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
        assert invited.post("/login", data={"email": "nina@example.org", "password": NEW_PASSWORD}).status_code == 302
        assert invited.get(link).status_code == 404  # once

    def test_a_password_or_an_invitation_not_both_not_neither(self, admin_client, outbox, in_app):
        neither = self.new_account(admin_client)
        assert neither.status_code == 400
        assert "Typ een beginwachtwoord, of verstuur een uitnodiging" in neither.text
        both = self.new_account(admin_client, invite="y", password=NEW_PASSWORD)
        assert both.status_code == 400
        assert "Laat het wachtwoord leeg" in both.text
        assert 'value="nina@example.org"' in both.text
        assert outbox == []
        with in_app() as session:
            assert session.scalar(select(User).where(User.email == "nina@example.org")) is None

    def test_the_invitation_can_be_sent_again_from_the_account_page(self, admin_client, make_user, outbox):
        user_id = make_user("late@example.org")
        page = admin_client.get(f"/admin/users/{user_id}").text
        assert f'action="/admin/users/{user_id}/invitation"' in page
        assert admin_client.post(f"/admin/users/{user_id}/invitation").status_code == 302
        assert [recipients(message) for message in outbox] == [["late@example.org"]]

    def test_a_deactivated_account_is_not_invited(self, admin_client, make_user, outbox):
        user_id = make_user("gone@example.org", active=False)
        assert "/invitation" not in admin_client.get(f"/admin/users/{user_id}").text
        response = admin_client.post(f"/admin/users/{user_id}/invitation", follow_redirects=True)
        assert "Dit account is gedeactiveerd" in response.text
        assert outbox == []

    def test_only_administrators_invite(self, client, make_user, outbox):
        user_id = make_user("late@example.org")
        make_user("voter@example.org", city="gent")
        client.login("voter@example.org")
        assert client.post(f"/admin/users/{user_id}/invitation").status_code == 403
        client.logout()
        assert client.post(f"/admin/users/{user_id}/invitation").status_code == 302  # to the sign-in page
        assert outbox == []

    def test_without_email_there_is_no_invitation_choice(self, app, admin_client, monkeypatch):
        monkeypatch.setitem(app.config, "MAIL_BACKEND", "")
        assert 'name="invite"' not in admin_client.get("/admin/users/new").text
        assert self.new_account(admin_client, password=NEW_PASSWORD).status_code == 302
