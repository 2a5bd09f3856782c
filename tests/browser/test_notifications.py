"""A city's staff member reads their notifications and chooses how to hear of them, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import User
from pilots.services import notifications
from pilots.services.notifications import Kind
from pilots.services.transaction import unit_of_work


def test_the_count_the_list_mark_read_and_preferences(app, live_server, page, shots, demo):
    with app.app_context():
        gent = db.session.scalar(select(User).where(User.email == "gent@demo.local"))
        with unit_of_work():
            notifications.notify(Kind.JOIN_ACCEPTED, {gent.id}, "/pilots", {"city": "Gent", "pilot": "Parkeren"})
            notifications.notify(Kind.COSPONSORED, {gent.id}, "/challenges", {"city": "Leuven", "title": "Parkeerdata"})

    page.goto(live_server + "/login")
    page.get_by_label("E-mailadres").fill("gent@demo.local")
    page.get_by_label("Wachtwoord").fill("pilot-demo")
    page.get_by_role("button", name="Aanmelden").click()
    navigation = page.get_by_role("navigation", name="Hoofdnavigatie")
    link = navigation.get_by_role("link", name=re.compile(r"^Meldingen"))
    expect(link).to_have_accessible_name("Meldingen 2 ongelezen")
    shots("two unread")

    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldingen")
    items = page.get_by_test_id("notification")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text("Leuven steunt Parkeerdata mee.")
    page.get_by_role("button", name=re.compile(r"^Als gelezen markeren\W+Leuven steunt Parkeerdata mee\.$")).click()
    expect(page.get_by_role("status")).to_contain_text("Als gelezen gemarkeerd.")
    expect(link).to_have_accessible_name("Meldingen 1 ongelezen")
    page.get_by_role("button", name="Alles als gelezen markeren").click()
    expect(page.get_by_role("status")).to_contain_text("Alles is als gelezen gemarkeerd.")
    expect(link).to_have_accessible_name("Meldingen")
    shots("all read")

    page.get_by_role("link", name="Hoe ik ze krijg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hoe ik meldingen krijg")
    page.get_by_label("Een opmerking bij een uitdaging die je volgt").select_option(label="Helemaal niet")
    page.get_by_role("button", name="Voorkeuren bewaren").click()
    expect(page.get_by_role("status")).to_contain_text("Je voorkeuren zijn bewaard.")
    expect(page.get_by_label("Een opmerking bij een uitdaging die je volgt")).to_have_value("off")

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How I hear of notifications")
    expect(page.get_by_label("A comment on a challenge you follow")).to_have_value("off")
    shots("preferences in English")
