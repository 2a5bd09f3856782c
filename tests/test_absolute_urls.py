"""Regression (issue 11): absolute addresses came from the request's Host header.

The iCalendar feed (``UID:…@evil.example``, ``URL:http://evil.example/…``, cacheable for 300 s), the challenge
CSV's ``url`` column and the Markdown reports took the host from the request. Every absolute address is now
built from BASE_URL (``pilots.web.urls.absolute``), whatever Host a client sends.
"""

from __future__ import annotations

import pytest

EVIL = "evil.example"


@pytest.fixture
def demo_programme(app, in_app):
    from pilots.demo import seed

    with in_app():
        seed()


@pytest.fixture
def steering(client, make_user):
    make_user("steering-host@example.org", is_steering=True, locale="en")
    assert client.login("steering-host@example.org").status_code == 302
    # The same session cookie for the hostile host, as a browser would send to whatever Host it was pointed at.
    name = client.application.config["SESSION_COOKIE_NAME"]
    client.set_cookie(name, client.get_cookie(name).value, domain=EVIL)
    return client


def _pilot_id(app) -> int:
    from sqlalchemy import select

    from pilots.extensions import db
    from pilots.models import Milestone

    with app.app_context():
        return db.session.scalar(select(Milestone.pilot_id).order_by(Milestone.id).limit(1))


def _assert_only_base(app, text: str) -> None:
    base = app.config["BASE_URL"].rstrip("/")
    assert EVIL not in text
    assert base in text


def test_addresses_in_feeds_exports_and_reports_come_from_base_url(app, demo_programme, steering):
    headers = {"Host": EVIL}
    pilot_id = _pilot_id(app)
    feed = steering.get(f"/pilots/{pilot_id}/milestones.ics", headers=headers)
    assert feed.status_code == 200
    text = feed.get_data(as_text=True)
    _assert_only_base(app, text)
    host = app.config["BASE_URL"].split("//", 1)[1].split("/", 1)[0].split(":")[0]
    assert f"@{host}" in text
    csv = steering.get("/challenges/export.csv", headers=headers)
    assert csv.status_code == 200
    _assert_only_base(app, csv.get_data(as_text=True))
    report = steering.get("/reports/programme.md", headers=headers)
    assert report.status_code == 200
    _assert_only_base(app, report.get_data(as_text=True))
