"""A round's results in a real browser: the steering committee opens them, the Plotly charts draw under the
Content-Security-Policy (the page fixture fails on any console error or CSP violation), the tables behind the
charts open, the snapshot downloads, and the committee confirms the selection on the confirmation page. A round
with a version-2 snapshot draws the group decision's charts too (consensus, the cities' weights, the capacity)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from pilots import ranking
from pilots.extensions import db
from pilots.models import RoundPhase
from pilots.services import accounts, cities, voting
from pilots.services import challenges as challenge_service
from tests.browser.helpers import submitted_challenge

YEAR = 2027  # no demo challenge is eligible for this year: the ballot holds only the ones made here
PROPOSERS = ("gent", "leuven", "antwerpen", "brugge", "mechelen")
VOTERS = ("aalst", "antwerpen", "brugge", "genk", "gent", "hasselt", "kortrijk", "leuven", "mechelen")
TITLES = (
    "Realtime bezetting van fietsenstallingen",
    "Open data over luchtkwaliteit in schoolstraten",
    "Digitale tweeling van het havengebied",
    "Toegankelijkheid van openbare gebouwen",
    "Afvalophaling met sensoren in ondergrondse containers",
)


def build_published_round(app) -> tuple[int, str]:
    """Five eligible challenges, nine cities' ballots, closed and published: (round id, snapshot sha256)."""
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        created = []
        for n, (slug, title) in enumerate(zip(PROPOSERS, TITLES, strict=True)):
            challenge = submitted_challenge(slug, title, YEAR, n)
            challenge_service.screen(steering, challenge.id, True, "In orde.")
            created.append((challenge.id, slug))
        round_ = voting.create_round(steering, voting.RoundData(title=f"Pilotronde {YEAR}", year=YEAR, sensitivity_samples=3000))
        round_id = round_.id
        voting.advance(steering, round_id, RoundPhase.DRAFT)
        voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
        round_ = voting.get_round(round_id)
        criteria = [c.id for c in round_.criteria]
        for v, slug in enumerate(VOTERS):
            voter = accounts.find_user_by_email(f"{slug}@demo.local")
            city = cities.get_city_by_slug(slug)
            ballot = voting.get_ballot(round_, city.id)
            cells = {
                (challenge_id, criterion_id): str(1 + (3 * j + v + 2 * k) % 5)
                for j, (challenge_id, owner) in enumerate(created)
                if owner != slug
                for k, criterion_id in enumerate(criteria)
            }
            voting.save_ballot(
                voter, round_id, city.id, voting.BallotInput(cells=cells, notes={}), expected_version=ballot.version, submit=True
            )
        voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
        voting.advance(steering, round_id, RoundPhase.CLOSED)
        sha = voting.get_round(round_id).snapshot.sha256
        db.session.remove()
        return round_id, sha


V2_KEYS = ("version", "voter_weights", "weight_aggregation", "effort", "capacity", "tie_break", "passes")


def version_2_snapshot(round_id: int) -> dict:
    """In an app context: the round's snapshot as a version-2 document with every city's own weights, an effort per
    challenge (the first by rank the largest) and a capacity that keeps the first two by rank from being selected
    together; ranked and stored as closing the round does. Returns the result."""
    round_ = voting.get_round(round_id)
    document = {k: v for k, v in json.loads(round_.snapshot.document).items() if k not in V2_KEYS}
    first = json.loads(round_.snapshot.result)["ranking"][0]["alternative"]
    criteria = [c["id"] for c in document["criteria"]]
    document.update(
        version=2,
        voter_weights={
            ballot["voter"]: {key: 1 + (v + 2 * k) % 4 for k, key in enumerate(criteria)}
            for v, ballot in enumerate(document["ballots"])
        },
        effort={a: 8 if a == first else 3 for a in document["alternatives"]},
        capacity=7,
    )
    result = ranking.run(document)
    round_.snapshot.document = ranking.canonical_json(document)
    round_.snapshot.sha256 = ranking.sha256(document)
    round_.snapshot.result = ranking.canonical_json(result)
    db.session.commit()
    return result


def sign_in_in_english(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("pilot-demo")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("status")).to_contain_text("Welkom")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_committee_reads_the_charts_and_confirms_the_selection(app, live_server, page, shots, demo):
    round_id, sha = build_published_round(app)
    sign_in_in_english(page, live_server, "steering@demo.local")

    page.goto(f"{live_server}/rounds/{round_id}/results")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results of Pilotronde {YEAR}")

    # Every chart draws: plotly.js (served from the installed package) makes its SVG in each container.
    for name in ("ranking", "cities", "acceptability"):
        container = page.locator(f"#{name}-chart")
        expect(container.locator(".main-svg").first).to_be_attached()
        expect(container).to_have_class(re.compile(r"js-plotly-plot"))
    ranking_chart = page.locator("#ranking-chart")
    ranking_chart.scroll_into_view_if_needed()
    expect(ranking_chart.locator("g.legend")).to_contain_text("Impact for citizens")
    box = ranking_chart.locator(".nsewdrag").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 30)  # a hover label, and the mode bar
    expect(ranking_chart.locator(".hoverlayer .hovertext").first).to_be_attached()
    shots("results with charts")
    # No picture download in the mode bar: plotly.js draws it through a blob: image, which img-src refuses.
    expect(ranking_chart.locator(".modebar-btn[data-title^='Download plot']")).to_have_count(0)
    expect(ranking_chart.locator(".modebar-btn[data-title='Reset axes']")).to_have_count(1)

    # The table behind the ranking chart: a captioned table in a disclosure.
    ranking = page.get_by_role("region", name="Ranking", exact=True)
    ranking.get_by_text("Show the data as a table").first.click()
    table = ranking.get_by_role("table").first
    expect(table).to_be_visible()
    expect(table.locator("caption")).to_contain_text("Ranking of the challenges")
    expect(table.get_by_role("rowheader")).to_have_count(5)
    expect(table.get_by_role("link", name=TITLES[0])).to_be_visible()
    page.get_by_role("region", name="How each city scored").get_by_text("Show the data as a table").click()
    expect(page.get_by_role("table", name=re.compile("Each city’s own weighted score"))).to_be_visible()
    shots("tables opened")

    # The snapshot downloads and its fingerprint is the one on the page.
    expect(page.get_by_test_id("snapshot-sha256")).to_have_text(sha)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the snapshot (JSON)").click()
    path = download.value.path()
    assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == sha

    # The committee confirms the computed selection (pre-checked) on the page that says what will be frozen.
    expect(page.get_by_role("form", name="Confirm the selection")).to_have_count(0)
    page.get_by_role("link", name="Review and confirm the selection").click()
    expect(page.get_by_text("This step cannot be undone.")).to_be_visible()
    form = page.get_by_role("form", name="The selection")
    expect(form.get_by_role("checkbox", checked=True)).to_have_count(2)
    expect(form.get_by_role("checkbox")).to_have_count(5)
    form.get_by_role("button", name="Confirm the selection").click()
    expect(page.get_by_role("status")).to_contain_text("The selection is confirmed")
    expect(page.get_by_role("heading", name="The confirmed selection")).to_be_visible()
    expect(page.get_by_text("Confirmed by Stijn Stuurgroep")).to_be_visible()
    # The charts draw again after the redirect.
    expect(page.locator("#acceptability-chart .main-svg").first).to_be_attached()
    shots("selection confirmed")


def test_an_override_without_justification_shows_the_message_next_to_the_field(app, live_server, page, shots, demo):
    round_id, _ = build_published_round(app)
    sign_in_in_english(page, live_server, "steering@demo.local")
    page.goto(f"{live_server}/rounds/{round_id}/results")
    page.get_by_role("link", name="Review and confirm the selection").click()
    form = page.get_by_role("form", name="The selection")
    unchecked = form.get_by_role("checkbox", checked=False).first
    unchecked.check()
    form.get_by_label("Justification").fill("Omdat het kan.")
    form.get_by_role("button", name="Confirm the selection").click()
    justification = page.get_by_label("Justification")
    expect(justification).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#justification-error")).to_contain_text("at least 20 characters")
    expect(justification).to_have_value("Omdat het kan.")
    expect(page.get_by_role("form", name="Confirm the selection").get_by_role("checkbox", checked=True)).to_have_count(3)
    expect(page.locator("#ranking-chart .main-svg").first).to_be_attached()
    shots("override refused")


def test_the_group_decision_draws_its_charts_and_tables(app, live_server, page, shots, demo):
    round_id, _ = build_published_round(app)
    with app.app_context():
        result = version_2_snapshot(round_id)
        db.session.remove()
    assert result["capacity"]["capacity_decided"] is True
    sign_in_in_english(page, live_server, "gent@demo.local")
    page.goto(f"{live_server}/rounds/{round_id}/results")
    # plotly.js's cartesian bundle, not the full one, draws every chart of the page (docs/operations.md).
    expect(page.locator("script[src^='/static/vendor/plotly-cartesian.min.js?v=']")).to_have_count(1)
    expect(page.locator("script[src*='plotly.min.js']")).to_have_count(0)
    # The charts of the group decision draw under the CSP, like the others (the page fixture fails on any error).
    for name in ("capacity", "consensus", "city-weights"):
        container = page.locator(f"#{name}-chart")
        container.scroll_into_view_if_needed()
        expect(container.locator(".main-svg").first).to_be_attached()
    expect(page.locator("#consensus-chart .heatmaplayer")).to_be_attached()
    capacity = page.get_by_role("region", name="The capacity: what the cities can take on")
    expect(capacity.get_by_role("note")).to_contain_text("The capacity, not the rank, decided:")
    expect(capacity.get_by_role("table", name=re.compile("For each total effort"))).to_be_visible()
    capacity.get_by_text("Show the data as a table").click()
    expect(capacity.get_by_role("table", name=re.compile("score, effort and whether they are selected"))).to_be_visible()
    consensus = page.get_by_role("region", name="Consensus and dissent")
    consensus.get_by_text("Show the data as a table").click()
    spread = consensus.get_by_role("table", name=re.compile("The spread of the cities’ scores"))
    expect(spread).to_be_visible()
    expect(spread.get_by_role("link", name=TITLES[0])).to_be_visible()
    expect(consensus.get_by_role("table", name=re.compile("agreement with the group"))).to_contain_text("Aalst")
    weights = page.get_by_role("region", name="The cities’ own weights")
    expect(weights.get_by_role("table").get_by_role("rowheader")).to_have_count(len(VOTERS) + 2)  # + group, ranked with
    # Each section's table downloads as CSV, with the same rows.
    with page.expect_download() as download:
        weights.get_by_role("link", name="Download the data (CSV)").click()
    assert download.value.suggested_filename == f"round-{round_id}-city-weights.csv"
    lines = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("Weights of,") and len(lines) == 1 + len(VOTERS) + 2
    shots("group decision")
