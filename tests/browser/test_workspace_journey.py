"""A pilot workspace in a real browser (issue: "the lead adds a per-city milestone, two cities mark it done, one
publishes a dataset and checks it").

The demo's later pilot (led by lead@demo.local) gets a new per-city milestone from its lead; two of its cities mark
their own row done; the second one registers the dataset it publishes and runs the conformance check on it. The
check fetches a small Turtle document from a local HTTP server (allow-listed for this test only): everything
passes except HTTPS, so the check is recorded as failed, with its evidence on the page.

The journey runs in English: the browser switches with the "English" button before the first sign-in, and the
choice is kept in the session across signing in and out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import DatasetCheck, Milestone, ParticipantRole, Pilot, PublishedDataset, User
from pilots.services import workspaces as service
from tests.browser.helpers import nav, sign_in, sign_out
from tests.dataset_endpoint import DatasetEndpoint

TODAY = service.today()
MILESTONE = "Snelheidsmetingen gepubliceerd als open data"
DESCRIPTION = "Elke stad publiceert haar snelheidsmetingen rond scholen."
LICENCE_LABEL = "Flemish model licence for free reuse (Modellicentie Gratis Hergebruik)"


@pytest.fixture
def dataset_server(app, monkeypatch) -> Iterator[tuple[str, list[dict]]]:
    """A local HTTP server with the dataset, allow-listed for the conformance checker during this test only."""
    observations = (
        'ex:meting-1 ex:locatie "Schoolstraat" ; ex:snelheid 27 .\nex:meting-2 ex:locatie "Kerkplein" ; ex:snelheid 31 .'
    )
    with DatasetEndpoint("/snelheid", "2026-03-02T08:15:00Z", observations) as server:
        monkeypatch.setitem(app.config, "CONFORMANCE_ALLOW", ["127.0.0.1/32"])  # restored after the test
        yield f"{server.base}/snelheid", server.requests


def the_later_pilot(app) -> dict:
    """The demo pilot in progress that lead@demo.local leads (not the 2017 parking pilot): its id, title and the
    accepted cities that take part (not observers), as (id, slug, name)."""
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.email == "lead@demo.local"))
        pilots = [p for p in db.session.scalars(select(Pilot).order_by(Pilot.id)) if lead in p.leads]
        pilot = next(p for p in pilots if p.title != "Realtime open parkeerdata")
        cities = [
            (p.city.id, p.city.slug, p.city.name)
            for p in pilot.participants
            if p.accepted and p.role is not ParticipantRole.OBSERVER
        ]
        found = {"id": pilot.id, "title": pilot.title, "cities": cities}
        db.session.remove()
        return found


def open_pilot(page: Page, title: str) -> None:
    nav(page).get_by_role("link", name="Pilots", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pilots")
    page.get_by_role("table").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def city_row_form(page: Page, milestone_id: int, city_id: int):
    """The status form of one city's row of a per-city milestone."""
    return page.locator("form").filter(has=page.locator(f"#status-{milestone_id}-{city_id}"))


def mark_done(
    page: Page,
    base_url: str,
    title: str,
    milestone_id: int,
    city: tuple[int, str, str],
    others: list[tuple[int, str, str]],
    shots,
) -> None:
    city_id, slug, name = city
    sign_in(page, base_url, f"{slug}@demo.local", f"Demo {name}")
    open_pilot(page, title)
    # The city sees a status form for its own row only.
    for other_id, _, _ in others:
        expect(page.locator(f"#status-{milestone_id}-{other_id}")).to_have_count(0)
    expect(page.get_by_role("link", name="Add a milestone")).to_have_count(0)
    form = city_row_form(page, milestone_id, city_id)
    select = form.get_by_label(f"Status for {name}")
    expect(select).to_have_value("planned")
    select.select_option(label="Done")
    form.get_by_role("button", name=f"Update {name}").click()
    expect(page.get_by_role("status")).to_contain_text("Milestone updated.")
    expect(page).to_have_url(re.compile(rf"/pilots/\d+#milestone-{milestone_id}$"))
    row = page.locator("tr").filter(has=page.locator(f"#status-{milestone_id}-{city_id}"))
    expect(row).to_contain_text(f"Done ({TODAY.isoformat()})")
    expect(page.locator(f"#status-{milestone_id}-{city_id}")).to_have_value("done")
    shots(f"{slug} marks its row done")


def test_per_city_milestone_two_cities_done_and_a_dataset_checked(app, live_server, page, shots, demo, dataset_server):
    access_url, requests = dataset_server
    pilot = the_later_pilot(app)
    title = pilot["title"]
    first, second = pilot["cities"][-2:]
    publisher_id, publisher_slug, publisher_name = second
    dataset_title_nl = f"Snelheidsmetingen schoolomgevingen {publisher_name}"
    dataset_title_en = f"Speed measurements near schools {publisher_name}"

    # The whole journey in English (see the module docstring).
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # 1. The lead adds a per-city milestone; a due date before the start is refused next to the field.
    sign_in(page, live_server, "lead@demo.local", "Lotte Pilootleider")
    open_pilot(page, title)
    milestones = page.get_by_role("region", name="Milestones")
    expect(milestones.get_by_text(MILESTONE)).to_have_count(0)
    shots("the lead opens the pilot")
    page.get_by_role("link", name="Add a milestone").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New milestone")
    page.get_by_label("Title", exact=True).fill(MILESTONE)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Start", exact=True).fill((TODAY + timedelta(days=90)).isoformat())
    page.get_by_label("Due date").fill((TODAY + timedelta(days=60)).isoformat())
    page.get_by_label("Per city: each participating city has its own status").check()
    page.get_by_label("Weight in the pilot's progress").fill("2")
    page.get_by_role("button", name="Save milestone").click()

    due = page.get_by_label("Due date")
    expect(due).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#due_date-error")).to_have_text("The due date comes after the start.")
    expect(due).to_have_attribute("aria-describedby", re.compile(r"\bdue_date-error\b"))
    expect(page.get_by_label("Title", exact=True)).to_have_value(MILESTONE)
    expect(page.get_by_label("Description")).to_have_value(DESCRIPTION)
    expect(page.get_by_label("Per city: each participating city has its own status")).to_be_checked()
    shots("a due date before the start is refused")

    page.get_by_label("Start", exact=True).fill(TODAY.isoformat())
    page.get_by_role("button", name="Save milestone").click()
    expect(page.get_by_role("status")).to_contain_text("Milestone added.")
    expect(page).to_have_url(re.compile(r"/pilots/\d+#milestones$"))
    with app.app_context():
        milestone_id = db.session.scalar(select(Milestone.id).where(Milestone.title == MILESTONE))
        db.session.remove()
    row = page.locator(f"#milestone-{milestone_id}")
    expect(row).to_contain_text(MILESTONE)
    expect(row).to_contain_text("per city")
    expect(row).to_contain_text((TODAY + timedelta(days=60)).isoformat())
    expect(row.locator("td").last).to_have_text("0%")
    expect(page.locator("#gantt-chart .main-svg").first).to_be_visible()  # the timeline is drawn
    expect(page.locator("#gantt-chart")).to_contain_text("Snelheidsmetingen gepubliceerd")
    # One row per participating city, each with a status form for the lead.
    for city_id, _, name in pilot["cities"]:
        expect(city_row_form(page, milestone_id, city_id).get_by_label(f"Status for {name}")).to_have_value("planned")
    shots("the per-city milestone is added")
    sign_out(page)

    # 2. Two cities mark their own row done.
    mark_done(page, live_server, title, milestone_id, first, [c for c in pilot["cities"] if c != first], shots)
    sign_out(page)
    mark_done(page, live_server, title, milestone_id, second, [c for c in pilot["cities"] if c != second], shots)
    share = round(100 * 2 / len(pilot["cities"]))
    expect(page.locator(f"#milestone-{milestone_id} td").last).to_have_text(f"{share}%")
    with app.app_context():
        expected_progress = service.pilot_progress(service.get_pilot(pilot["id"]))
        db.session.remove()
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("aria-valuenow", str(expected_progress))

    # 3. The second city registers the dataset it publishes; an address without its scheme is refused.
    datasets = page.get_by_role("region", name="Published datasets")
    datasets.get_by_role("link", name="Register a published dataset").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a published dataset")
    expect(page.get_by_label("Publishing city")).to_have_text(publisher_name)
    expect(page.get_by_label("Contact email")).to_have_value(f"{publisher_slug}@demo.local")
    page.get_by_label("Title (Dutch)", exact=True).fill(dataset_title_nl)
    page.get_by_label("Title (English)", exact=True).fill(dataset_title_en)
    page.get_by_label("Description (Dutch)", exact=True).fill("Gemiddelde snelheid per schoolstraat, per minuut.")
    page.get_by_label("Description (English)", exact=True).fill("Average speed per school street, every minute.")
    page.get_by_label("Access URL").fill(access_url.removeprefix("http://"))
    page.get_by_label("Format").select_option(label="RDF Turtle")
    page.get_by_label("Licence").select_option(label=LICENCE_LABEL)
    page.get_by_label("Theme").select_option(label="Mobility and transport")
    page.get_by_label("Update frequency").select_option(label="Continuous (real time)")
    page.get_by_label("Real-time data").check()
    page.get_by_label("Conforms to (standard)").fill("OSLO Verkeersmetingen")
    page.get_by_label("Keywords").fill("snelheid, scholen, realtime")
    page.get_by_label("Contact email").fill(f"opendata@{publisher_slug}.be")
    page.get_by_label("Issued on").fill((TODAY - timedelta(days=7)).isoformat())
    page.get_by_role("button", name="Save dataset").click()

    url_field = page.get_by_label("Access URL")
    expect(url_field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#access_url-error")).to_have_text("Enter a web address starting with http:// or https://.")
    expect(page.get_by_label("Title (English)", exact=True)).to_have_value(dataset_title_en)
    expect(page.get_by_label("Conforms to (standard)")).to_have_value("OSLO Verkeersmetingen")
    expect(page.get_by_label("Real-time data")).to_be_checked()
    expect(page.get_by_label("Licence")).to_have_value(re.compile(r"modellicentie-gratis-hergebruik"))
    shots("an access url without its scheme is refused")

    url_field.fill(access_url)
    page.get_by_role("button", name="Save dataset").click()
    expect(page.get_by_role("status")).to_contain_text("Dataset registered. Check it against the technical principles.")
    expect(page).to_have_url(re.compile(r"/pilots/\d+#datasets$"))
    dataset = page.get_by_role("region", name="Published datasets").get_by_role("article", name=dataset_title_en)
    expect(dataset.get_by_role("link", name=dataset_title_en, exact=True)).to_have_attribute("href", access_url)
    expect(dataset).to_contain_text("not checked yet")
    expect(dataset).to_contain_text(publisher_name)
    expect(dataset).to_contain_text("RDF Turtle")
    expect(dataset).to_contain_text(LICENCE_LABEL)
    expect(dataset).to_contain_text("OSLO Verkeersmetingen")
    expect(dataset).to_contain_text("real time")
    shots("the dataset is registered")
    assert requests == []  # nothing fetched before the check

    # 4. The city checks it: the local server answers well, but over plain HTTP, so the check fails on HTTPS.
    dataset.get_by_role("button", name=f"Check now {dataset_title_en}").click()
    # The check runs in the background (the tests' queue runs a job as soon as it is queued).
    expect(page.get_by_role("status")).to_contain_text("The check has started.")
    expect(page).to_have_url(re.compile(r"/pilots/\d+#dataset-\d+$"))
    dataset = page.get_by_role("article", name=dataset_title_en)
    expect(dataset.locator(".badge")).to_have_text("fails some checks")
    dataset.get_by_text(re.compile(r"^Checklist of ")).click()
    checklist = dataset.get_by_role("table", name="Conformance checks")
    expect(checklist).to_be_visible()

    def check_row(check_id: str):
        return checklist.get_by_role("row").filter(has=page.locator(f'td[title="{check_id}"]'))  # named in words

    expect(check_row("https")).to_contain_text("fail")
    expect(check_row("https")).to_contain_text(f"served over plain HTTP: {access_url}")
    expect(check_row("reachable")).to_contain_text("HTTP 200")
    expect(check_row("cors")).to_contain_text("Access-Control-Allow-Origin: *")
    expect(check_row("caching")).to_contain_text("Cache-Control: public, max-age=60")
    expect(check_row("rdf_parses")).to_contain_text("Turtle")
    expect(check_row("licence")).to_contain_text("modellicentie-gratis-hergebruik")
    expect(check_row("generated_at")).to_contain_text("2026-03-02T08:15:00")
    expect(check_row("history_links")).to_contain_text("hydra:next")
    for check_id in (
        "reachable",
        "cors",
        "caching",
        "media_type",
        "rdf_parses",
        "content_negotiation",
        "licence",
        "generated_at",
        "history_links",
    ):
        expect(check_row(check_id).locator("td").nth(1)).to_have_text("pass")
    expect(dataset).to_contain_text("1 check in the history")
    shots("the failed check with its evidence")

    # The checker really fetched the local server (first as RDF, then asking for JSON-LD), and the check is kept.
    assert requests and requests[0]["path"] == "/snelheid" and requests[0]["accept"].startswith("text/turtle")
    assert any(r["accept"].startswith("application/ld+json") for r in requests)
    with app.app_context():
        stored = db.session.scalar(select(PublishedDataset).where(PublishedDataset.title_nl == dataset_title_nl))
        assert (stored.city_id, stored.access_url, stored.realtime) == (publisher_id, access_url, True)
        [check] = db.session.scalars(select(DatasetCheck).where(DatasetCheck.dataset_id == stored.id)).all()
        assert check.passed is False
        assert {c["id"]: c["result"] for c in check.report["checks"]}["https"] == "fail"
        db.session.remove()
    sign_out(page)
