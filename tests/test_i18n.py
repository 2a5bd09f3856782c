"""Dutch first, English second; every interface text has its Dutch translation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from sqlalchemy import select

from pilots.models import User

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "pilots/translations/nl/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")


def test_dutch_is_the_default(client):
    page = client.get("/").text
    assert '<html lang="nl">' in page
    assert "Opendatapilots, samen gekozen en uitgevoerd" in page


def test_browser_preference_is_honoured(client):
    page = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text
    assert '<html lang="en">' in page
    assert "Open-data pilots, chosen and run together" in page
    # A language we do not offer falls back to Dutch.
    assert '<html lang="nl">' in client.get("/", headers={"Accept-Language": "fr-BE"}).text


def test_switch_language_and_back(client):
    response = client.post("/language", data={"language": "en", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert '<html lang="en">' in client.get("/login").text
    client.post("/language", data={"language": "nl", "next": "/"})
    assert '<html lang="nl">' in client.get("/", headers={"Accept-Language": "en"}).text


def test_switch_refuses_unknown_languages_and_foreign_next(client):
    response = client.post("/language", data={"language": "xx", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"
    assert '<html lang="nl">' in client.get("/").text


def test_choice_is_saved_on_the_account(client, make_user, in_app):
    user_id = make_user("me@example.org", locale="nl")
    client.login("me@example.org")
    client.post("/language", data={"language": "en"})
    with in_app() as session:
        assert session.get(User, user_id).locale == "en"
    # A new session (another browser) starts in the account's language.
    client.logout()
    with client.session_transaction() as session:
        session.clear()
    client.login("me@example.org")
    with client.session_transaction() as session:
        session.pop("locale", None)
    assert '<html lang="en">' in client.get("/account").text


def test_language_survives_sign_in(client, make_user):
    make_user("me@example.org", locale="nl")
    client.post("/language", data={"language": "en"})
    client.login("me@example.org")
    assert "My account" in client.get("/account").text


def test_catalogue_is_complete_and_compiled(tmp_path):
    """Every text in the code and templates has a Dutch translation, and the .mo file is up to date."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "--no-location",
            "-o",
            str(pot),
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )

    def key(value):  # plural messages have a tuple (or list) of forms
        return tuple(value) if isinstance(value, list | tuple) else value

    def complete(message) -> bool:
        forms = message.string if isinstance(message.string, list | tuple) else [message.string]
        return all(forms) and not message.fuzzy

    with pot.open("rb") as f:
        wanted = {key(message.id) for message in read_po(f) if message.id}
    with PO.open("rb") as f:
        catalog = read_po(f)
    translated = {key(message.id): key(message.string) for message in catalog if message.id and complete(message)}
    missing = sorted(str(m) for m in wanted if m not in translated)
    assert missing == [], "untranslated: run `make translations` and fill in messages.po"
    with MO.open("rb") as f:
        compiled = {key(message.id): key(message.string) for message in read_mo(f) if message.id}
    assert compiled == translated, "messages.mo is stale: run `make translations`"


def test_user_choice_outranks_the_browser(client, in_app):
    client.post("/language", data={"language": "en"})
    assert '<html lang="en">' in client.get("/", headers={"Accept-Language": "nl"}).text
    with in_app() as session:
        assert session.scalar(select(User)) is None  # anonymous switch stores nothing
