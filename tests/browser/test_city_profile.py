"""A city profile in a real browser (issue: "city staff edit their own city's status; all signed-in users see it").

Gent's demo account opens the list of cities and Gent's profile, where the maturity radar chart (2025 against 2023)
is drawn by Plotly under the Content-Security-Policy (the page fixture fails on any console error or CSP violation).
It sets one principle of the open-data charter, then fills in the self-assessment of the current year; a missing
score is refused next to its domain and what was typed stays. The chart then compares the current year with 2025.

The journey runs in English: the browser switches with the "English" button before signing in.
"""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import CharterLevel, CharterStatus
from pilots.services import city_status as service

THIS_YEAR = service.assessment_years()[-1]
NOTE = "Alle nieuwe bronnen worden als Linked Data gepubliceerd."
SCORES = {
    "Strategy and vision on data": "5",
    "Strategy and vision on open data": "5",
    "Organisational embedding": "4",
    "Working with data": "5",
    "Technology and procurement": "5",
    "Stakeholder management": "4",
}


def nav(page: Page):
    return page.get_by_role("navigation", name="Main navigation")


def figure(page: Page) -> dict:
    return json.loads(page.locator("#maturity-figure").text_content())


def test_gent_updates_its_open_data_status(app, live_server, page, shots, demo):
    from pilots.demo.city_status import seed_city_status

    with app.app_context():
        seed_city_status()  # (already there when seed-demo runs it)
        db.session.remove()

    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    nav(page).get_by_role("link", name="Sign in").click()
    page.get_by_label("Email address").fill("gent@demo.local")
    page.get_by_label("Password").fill("pilot-demo")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome, Demo Gent.")

    # 1. The list of cities, alphabetical, and Gent's profile with its radar chart.
    page.goto(live_server + "/cities")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cities")
    names = page.get_by_role("table").get_by_role("rowheader").all_inner_texts()
    assert names == sorted(names, key=str.casefold) and len(names) == 14
    page.get_by_role("link", name="Gent", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gent")
    chart = page.locator("#maturity-chart")
    expect(chart.locator(".main-svg").first).to_be_visible()  # drawn by Plotly
    expect(chart.locator(".scatterlayer .trace")).to_have_count(2)
    expect(chart.locator(".legend")).to_contain_text("2023")
    expect(chart.locator(".legend")).to_contain_text("2025")
    table = page.get_by_role("table", name="Scores per domain (the chart shows the same)")
    expect(table.get_by_role("columnheader")).to_have_text(["Domain", "2023", "2025", "Note"])
    shots("gent opens its profile")

    # 2. One principle of the charter.
    page.get_by_role("link", name="Edit principle 10").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Open-data charter of Gent")
    expect(page.get_by_label("Principle", exact=True)).to_have_value("10")
    page.get_by_role("group", name="Status").get_by_label("Adopted").check()
    page.get_by_label("Note").fill(NOTE)
    shots("gent sets principle 10")
    page.get_by_role("button", name="Save principle").click()
    expect(page.get_by_role("status")).to_contain_text("Principle 10 saved.")
    expect(page).to_have_url(re.compile(r"/cities/gent#principle-10$"))
    row = page.locator("#principle-10")
    expect(row).to_contain_text("Adopted")
    expect(row).to_contain_text(NOTE)
    with app.app_context():
        saved = db.session.scalar(select(CharterStatus).where(CharterStatus.principle == 10, CharterStatus.city.has(slug="gent")))
        assert (saved.status, saved.note) == (CharterLevel.ADOPTED, NOTE)
        db.session.remove()

    # 3. The self-assessment of the current year; a missing score is refused next to its domain.
    page.get_by_role("link", name=f"Fill in the self-assessment of {THIS_YEAR}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Maturity self-assessment of {THIS_YEAR}")
    expect(page.get_by_label("Year")).to_have_value(str(THIS_YEAR))
    for domain, score in SCORES.items():
        if domain != "Stakeholder management":
            page.get_by_role("group", name=domain).get_by_label(score, exact=True).check()
    page.get_by_label("Note (Technology and procurement)").fill("Alle realtime data via het nieuwe dataplatform.")
    page.get_by_role("button", name="Save self-assessment").click()
    expect(page.locator("#score_stakeholders-error")).to_have_text("Give a whole score from 1 to 5.")
    expect(page.get_by_role("group", name="Technology and procurement").get_by_label("5", exact=True)).to_be_checked()
    expect(page.get_by_label("Note (Technology and procurement)")).to_have_value(
        "Alle realtime data via het nieuwe dataplatform."
    )
    shots("a missing score is refused")
    page.get_by_role("group", name="Stakeholder management").get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Save self-assessment").click()
    expect(page.get_by_role("status")).to_contain_text(f"Self-assessment of {THIS_YEAR} saved.")
    expect(page).to_have_url(re.compile(rf"/cities/gent\?year={THIS_YEAR}#maturity$"))

    # 4. The chart now compares the current year with 2025, and the table says the same.
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".legend")).to_contain_text(str(THIS_YEAR))
    expect(chart.locator(".legend")).to_contain_text("2025")
    assert [trace["name"] for trace in figure(page)["data"]] == ["2025", str(THIS_YEAR)]
    assert figure(page)["data"][1]["r"] == [5, 5, 4, 5, 5, 4, 5]
    expect(table.get_by_role("columnheader")).to_have_text(["Domain", "2025", str(THIS_YEAR), "Note"])
    expect(table.get_by_role("row", name=re.compile("^Technology and procurement"))).to_contain_text(
        "Alle realtime data via het nieuwe dataplatform."
    )
    shots("the chart compares the current year with 2025")
