"""A dataset's history in a real browser (issue: "a dataset page shows availability over the last 90 days (a chart and
its table) and the last change of verdict").

A visitor opens a pilot, follows the dataset's history link, and finds the verdict and when it last changed, the
90 days drawn by Plotly under the Content-Security-Policy (the page fixture fails on any console error or CSP
violation) and the same days as a table. axe-core (added to every document as in test_accessibility.py) finds no
serious WCAG 2.1 A/AA violation, with the table open. The journey runs in English; "today" is fixed.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from pilots.extensions import db
from pilots.models import DatasetCheck, Pilot, PilotStatus, PublishedDataset
from pilots.services import monitoring
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests import factories
from tests.browser.conftest import REQUIRED
from tests.browser.test_accessibility import AXE, RUN_AXE, WCAG_TAGS, describe, failing

TODAY = date(2026, 3, 31)
BRUSSELS = ZoneInfo("Europe/Brussels")
REPORT = {"passed": False, "checks": [{"id": "cors", "result": "fail", "evidence": "no Access-Control-Allow-Origin header"}]}


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci` in the project to run this test"
        if REQUIRED:
            pytest.fail(message + " (BROWSER_TESTS_REQUIRED=1)")
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def dataset(app, monkeypatch) -> tuple[int, int]:
    """Gent's car-park dataset: nightly checks over 100 days, failing from two days ago, none five days ago."""
    monkeypatch.setattr(monitoring, "today", lambda: TODAY)
    with app.app_context():
        pilot = Pilot(title="Realtime parkeerdata", status=PilotStatus.ACTIVE)
        dataset = PublishedDataset(
            city=factories.city("gent"),
            title_nl="Bezetting parkeergarages Gent",
            title_en="Car park occupancy Gent",
            contact_email="open@gent.be",
            theme="TRAN",
            access_url="https://data.gent.be/parking",
            file_type="RDF_TURTLE",
            licence=LICENCE_MODELLICENTIE,
        )
        for n in range(100, -1, -1):
            if n != 5:
                day = TODAY - timedelta(days=n)
                passed = n > 2
                dataset.checks.append(
                    DatasetCheck(
                        checked_at=datetime(day.year, day.month, day.day, 3, tzinfo=BRUSSELS),
                        passed=passed,
                        report={"passed": True, "checks": []} if passed else REPORT,
                    )
                )
        pilot.datasets.append(dataset)
        db.session.add(pilot)
        db.session.commit()
        ids = pilot.id, dataset.id
        db.session.remove()
    return ids


def serious_violations(page: Page) -> list[dict]:
    return [violation for violation in page.evaluate(RUN_AXE, list(WCAG_TAGS)) if failing(violation)]


def test_a_visitor_reads_the_history_of_a_dataset(live_server, page, shots, dataset, axe_source):
    pilot_id, dataset_id = dataset
    page.context.add_init_script(script=axe_source)  # through the DevTools protocol: the page's CSP does not govern it
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # 1. From the pilot page to the dataset's history.
    page.goto(f"{live_server}/pilots/{pilot_id}")
    card = page.get_by_role("article", name="Car park occupancy Gent")
    card.get_by_role("link", name="Availability and history of the checks Car park occupancy Gent").click()
    expect(page).to_have_url(re.compile(rf"/pilots/{pilot_id}/datasets/{dataset_id}/history$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Car park occupancy Gent")

    # 2. The verdict and its last change, in words.
    verdict = page.get_by_role("region", name="Current verdict")
    expect(verdict.locator("#current-verdict")).to_contain_text("fails some checks")
    expect(verdict.locator("#current-verdict")).to_contain_text("cors")
    expect(verdict.locator("#last-change")).to_contain_text("from “passes the checks” to “fails some checks”")
    expect(verdict.locator("#last-change")).to_contain_text("3/29/26")

    # 3. The 90 days: the summary, the chart drawn by Plotly, one trace per result.
    availability = page.get_by_role("region", name="Availability over the last 90 days")
    expect(availability.locator("#availability-summary")).to_have_text(
        re.compile(r"^\s*Available on 86 of the 89 days with a check \(97%\)\.\s*$")
    )
    chart = page.locator("#availability-chart")
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.locator(".scatterlayer .trace")).to_have_count(3)  # passed, failed, no check
    expect(chart.locator(".scatterlayer .point")).to_have_count(90)
    expect(page.get_by_role("figure")).to_have_accessible_name(re.compile("the table below lists the same days"))
    shots("the chart of the 90 days")
    assert serious_violations(page) == [], describe(serious_violations(page))

    # 4. The same days as a table, newest first, the result in words.
    availability.get_by_text("Show the data as a table").click()
    table = page.get_by_role("table", name="Result per day, newest first (the chart shows the same)")
    expect(table).to_be_visible()
    expect(table.get_by_role("columnheader")).to_have_text(["Date", "Result", "Checks", "Passed"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(90)
    expect(rows.first).to_have_text(re.compile(r"Mar 31, 2026\s*failed\s*1\s*0"))
    expect(table.get_by_role("row", name=re.compile("^Mar 26, 2026"))).to_contain_text("no check")
    expect(rows.last).to_have_text(re.compile(r"Jan 1, 2026\s*passed\s*1\s*1"))
    shots("the same days as a table")
    violations = serious_violations(page)
    assert violations == [], describe(violations)
