"""E-mail over real SMTP: an aiosmtpd server on a loopback port receives what the app sends (issue 13).

In-process first (the testing queue runs the job when it is enqueued), then the production shape: the web app
only queues the message, ``flask worker`` sends it, and a mail server that refuses it once gets it again.
"""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from pilots.config import ConfigurationError
from pilots.services import accounts, notifications
from tests.conftest import Client, make_app

ROOT = Path(__file__).resolve().parent.parent
FLASK = [str(Path(sys.executable).parent / "flask"), "--app", "app"]
BASE_URL = "https://datapilots.example.org"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """aiosmtpd handler: keeps each accepted message; refuses the first ``refuse`` with a temporary error."""

    def __init__(self, refuse: int = 0) -> None:
        self.refuse = refuse
        self.attempts = 0
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.attempts <= self.refuse:
            return "451 4.3.0 Try again later"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, Controller]]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield mailbox, controller
    controller.stop()


def parts(message: email.message.EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_a_reset_travels_over_smtp_in_the_recipients_language_with_a_working_link(app, smtp, make_user):
    mailbox, controller = smtp
    make_user("eva@example.org", name="Eva Engels", locale="en")
    make_user("jan@example.org", name="Jan Janssens", locale="nl")
    sender = make_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        MAIL_BACKEND="smtp",
        MAIL_SERVER=controller.hostname,
        MAIL_PORT=controller.port,
        MAIL_DEFAULT_SENDER="Datapilots <datapilots@example.org>",
        BASE_URL=BASE_URL,
    )
    sender.test_client_class = Client
    client = sender.test_client()
    for address in ("eva@example.org", "jan@example.org"):
        assert client.post("/password/forgot", data={"email": address}).status_code == 302

    english, dutch = mailbox.messages
    assert mailbox.envelopes == [
        ("datapilots@example.org", ["eva@example.org"]),
        ("datapilots@example.org", ["jan@example.org"]),
    ]
    assert english["To"] == "Eva Engels <eva@example.org>"
    assert english["Subject"] == "Choose a new password for Datapilots"
    assert dutch["Subject"] == "Kies een nieuw wachtwoord voor Datapilots"
    text, html = parts(dutch)
    assert "Hallo Jan Janssens," in text
    assert '<html lang="nl">' in html
    (link,) = re.findall(rf"{re.escape(BASE_URL)}/password/new/\S+", text)
    assert f'href="{link}"' in html
    assert f'href="{BASE_URL}/account"' in html

    page = client.get(link.removeprefix(BASE_URL))
    assert page.status_code == 200
    assert "Kies een nieuw wachtwoord" in page.text
    assert "jan@example.org" in page.text


@pytest.fixture
def site(tmp_path) -> dict[str, str]:
    env = {
        **os.environ,
        "PILOTS_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite'}",
        "TASK_QUEUE_URL": f"sqlite:///{tmp_path / 'tasks.sqlite'}",
        "BASE_URL": BASE_URL,
        "MAIL_RETRY_DELAY": "1",
    }
    subprocess.run([*FLASK, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    with make_app(env["DATABASE_URL"]).app_context():
        accounts.create_user(None, accounts.UserData(email="stijn@example.org", name="Stijn"), "a-long-password")
    return env


def test_the_worker_sends_the_mail_and_tries_again_when_the_server_refuses(site, tmp_path):
    mailbox = Mailbox(refuse=1)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mail = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(controller.port)}
    log_path = tmp_path / "worker.log"
    try:
        with log_path.open("w") as log:
            worker = subprocess.Popen([*FLASK, "worker"], cwd=ROOT, env={**site, **mail}, stdout=log, stderr=subprocess.STDOUT)
            try:
                web = make_app(
                    site["DATABASE_URL"],
                    TASK_QUEUE_URL=site["TASK_QUEUE_URL"],
                    MAIL_BACKEND="smtp",
                    MAIL_SERVER="127.0.0.1",
                    MAIL_PORT=controller.port,
                    MAIL_RETRY_DELAY=1,  # the retry policy travels with the job, from the app that queues it
                    BASE_URL=BASE_URL,
                )
                web.test_client_class = Client
                client = web.test_client()
                response = client.post("/password/forgot", data={"email": "stijn@example.org"})
                assert response.status_code == 302
                assert mailbox.attempts == 0  # the request only queued it
                assert mailbox.received.wait(timeout=60), log_path.read_text()
            finally:
                worker.terminate()
                worker.wait(timeout=30)
    finally:
        controller.stop()
    assert mailbox.attempts == 2  # refused once, sent on the retry
    (message,) = mailbox.messages
    assert message["To"].addresses[0].addr_spec == "stijn@example.org"
    text, _html = parts(message)
    assert f"{BASE_URL}/password/new/" in text
    assert "451" in log_path.read_text()  # the refusal is in the worker's log


def test_make_run_writes_each_message_as_an_eml_file_and_logs_its_path(app, make_user, tmp_path, caplog):
    """Development without MAIL_SERVER: nothing to set up, the message is a file under instance/mail/."""
    from pilots import create_app

    make_user("eva@example.org", locale="en")
    laptop = create_app(
        "development",
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "TASK_QUEUE_URL": "memory://"},
    )
    laptop.config["MAIL_FILE_PATH"] = str(tmp_path)  # instead of instance/mail/, for this test
    laptop.extensions["mailman"].file_path = str(tmp_path)
    laptop.test_client_class = Client
    with caplog.at_level("WARNING", logger="pilots.mail.eml"):
        assert laptop.test_client().post("/password/forgot", data={"email": "eva@example.org"}).status_code == 302
    (written,) = tmp_path.glob("*.eml")
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert message["Subject"] == "Choose a new password for Datapilots"
    assert str(written) in caplog.text
    assert laptop.config["MAIL_BACKEND"] == "pilots.mail.eml"


def test_production_without_a_mail_server_sends_nothing_and_says_so(app):
    from pilots import create_app, mail

    settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "x" * 40}
    with pytest.raises(ConfigurationError, match="MAIL_SERVER is not set: production refuses to start"):
        create_app("production", settings)  # notification e-mails are on by default: they need a mail server
    production = create_app("production", {**settings, "NOTIFICATION_EMAILS": False})  # in the app only
    with production.app_context():
        assert not mail.enabled() and not notifications.emails_on()
    smtp = create_app("production", {**settings, "MAIL_SERVER": "mail.example.org"})
    with smtp.app_context():
        assert mail.enabled()
        assert smtp.config["MAIL_BACKEND"] == "smtp"
