"""The Delphi pass of a voting round (issue 15), in a real browser. Five cities submit their first-pass ballots
(through the services); in English the steering committee closes the first pass from the round page through its
confirmation page; in Dutch Gent's voter sees, under each score, the first pass's median and middle half (only where
at least 3 other cities scored the cell) and Gent's own first-pass score, reopens the ballot, changes one score
without a reason (refused next to that cell, what was typed kept), gives the reason and submits; in English the
committee closes the second pass and publishes, and the results say how the spread narrowed. axe-core checks the
second-pass ballot (refused and submitted) and the results page's Delphi section, as tests/browser/test_accessibility.py
does.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from pilots.extensions import db
from pilots.models import RoundPhase
from pilots.services import accounts, cities, voting
from pilots.services import challenges as challenge_service
from tests.browser.conftest import REQUIRED
from tests.browser.helpers import sign_in, sign_out, submitted_challenge
from tests.browser.test_accessibility import AXE, RUN_AXE, WCAG_TAGS, describe, failing
from tests.browser.test_city_weights import sign_in_in_dutch

YEAR = 2027  # the demo has no challenge for this year: the ballot holds exactly the three made here
ROUND_TITLE = f"Delphi {YEAR}"
TITLES = {
    "gent": "Wachttijden aan de loketten",
    "leuven": "Bezetting van de studieplekken",
    "kortrijk": "Lichtvervuiling in de binnenstad",
}
# Each city gives every challenge it may score the same score on every criterion (1–5). For Gent's ballot:
# Leuven's and Kortrijk's challenges were scored by Gent and 5 other cities ([2, 3, 3, 4, 4, 5]: median 3.5, middle
# half 3 to 4), except Kortrijk's on cost, which Brugge and Mechelen left empty (3 other cities: no spread).
FIRST_PASS = {"gent": "2", "leuven": "3", "kortrijk": "3", "brugge": "4", "mechelen": "5", "antwerpen": "3", "aalst": "4"}
ABSTAIN = {"brugge": ("kortrijk", "cost"), "mechelen": ("kortrijk", "cost")}
CRITERIA_NL = ("Impact voor burgers", "Haalbaarheid", "Beschikbaarheid van data", "Relevant voor meerdere steden", "Kost")
REASON = "Na het overleg met de andere steden schatten we de impact hoger in."
NOTE = "Besproken in het stedenoverleg."
# The second pass: Gent scores Leuven's challenge 4 on impact, that cell's middle half goes from 1 to 0.75 (a
# sixteenth of the 1–5 scale); over the 15 cells scored in both passes the spread narrows by 1/240 of the scale.
RUN_AXE_IN = RUN_AXE.replace("async (tags) =>", "async ([selector, tags]) =>").replace(
    "window.axe.run(document,", "window.axe.run(selector,"
)


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci` in the project to run the accessibility checks"
        if REQUIRED:
            pytest.fail(message + " (BROWSER_TESTS_REQUIRED=1)")
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


def delphi_round_after_first_pass(app) -> int:
    """Three eligible 2027 challenges (Gent's, Leuven's, Kortrijk's) and a Delphi round with voting open in its first
    pass, in which Gent, Leuven, Kortrijk, Brugge, Mechelen, Antwerpen and Aalst have submitted their ballots."""
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        for n, (slug, title) in enumerate(TITLES.items()):
            challenge = submitted_challenge(slug, title, YEAR, n, "Een beschrijving van het probleem.")
            challenge_service.screen(steering, challenge.id, True, "Past binnen het programma.")
        round_ = voting.create_round(
            steering,
            voting.RoundData(
                title=ROUND_TITLE,
                year=YEAR,
                pilots_to_select=1,
                quorum=3,
                sensitivity_samples=200,
                voting_deadline=date(YEAR, 5, 1),
                delphi=True,
                revision_deadline=date(YEAR, 5, 15),
            ),
        )
        round_id = round_.id
        for phase in (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN):
            voting.advance(steering, round_id, phase)
        round_ = voting.get_round(round_id)
        for slug, score in FIRST_PASS.items():
            city = cities.get_city_by_slug(slug)
            ballot = voting.get_ballot(round_, city.id)
            cells = {
                (entry.challenge_id, criterion.id): score
                for entry in round_.entries
                if entry.challenge.city_id != city.id
                for criterion in round_.criteria
                if ABSTAIN.get(slug) != (entry.challenge.city.slug, criterion.key)
            }
            voter = accounts.find_user_by_email(f"{slug}@demo.local")
            voting.save_ballot(voter, round_id, city.id, voting.BallotInput(cells, {}), ballot.version, submit=True)
        db.session.remove()
    return round_id


def accessible(page: Page, what: str, selector: str | None = None) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page (or in the part ``selector`` finds) as it is now."""
    assert page.evaluate("typeof window.axe") == "object", "axe-core was not added to the page"
    if selector is None:
        violations = page.evaluate(RUN_AXE, list(WCAG_TAGS))
    else:
        assert "window.axe.run(selector," in RUN_AXE_IN, "RUN_AXE changed: adapt RUN_AXE_IN"
        violations = page.evaluate(RUN_AXE_IN, [selector, list(WCAG_TAGS)])
    serious = [violation for violation in violations if failing(violation)]
    assert not serious, f"{what}: {len(serious)} serious WCAG violation(s):\n{describe(serious)}"


def grid_cell(page: Page, grid_name: str, proposer: str, criterion: int):
    """The cell of the ballot grid in the row of ``proposer``'s challenge and the column of the criterion."""
    grid = page.get_by_role("table", name=grid_name)
    row = grid.get_by_role("row").filter(has=page.get_by_role("link", name=TITLES[proposer], exact=True))
    return row.get_by_role("cell").nth(criterion)


def committee_step(page: Page, link: str, heading: str, button: str, says: tuple[str, ...], done: str) -> None:
    """From the round page's committee panel, through the confirmation page that says what the step does."""
    page.get_by_role("region", name="Steering committee").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    what = page.get_by_role("region", name="What this step does")
    for text in says:
        expect(what).to_contain_text(text)
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text(done)
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND_TITLE)


def test_a_delphi_round_through_both_passes(app, live_server, page: Page, shots, demo, axe_source):
    round_id = delphi_round_after_first_pass(app)
    page.context.add_init_script(script=axe_source)  # through DevTools: the CSP does not govern it
    round_url = f"{live_server}/rounds/{round_id}"

    # 1. In English, the committee closes the first pass through its confirmation page: nothing is computed yet.
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    page.goto(round_url)
    expect(page.get_by_text("Delphi pass: after the first pass every city sees the spread")).to_be_visible()
    committee_step(
        page,
        "Close the first pass and show the spread",
        "Close the first pass and show the spread",
        "Yes, close the first pass",
        (
            "This closes the first pass of the Delphi round, not the round: nothing is computed yet.",
            "7 of 14 ballots submitted.",
            "88 scores in the submitted ballots are kept as the first pass.",
            "may revise until May 15, 2027, with a short reason for each changed score.",
        ),
        "The first pass is closed: the cities see the spread and may revise their scores.",
    )
    expect(page.get_by_text("The second pass is running.")).to_be_visible()
    shots("first pass closed")
    sign_out(page)

    # 2. In Dutch, Gent sees the first pass's spread and its own first-pass score, never another city's.
    sign_in_in_dutch(page, live_server, "gent@demo.local")
    page.goto(round_url)
    page.get_by_role("link", name="Stembrief van Gent").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stembrief van Gent")
    intro = page.get_by_role("region", name="Tweede beurt: herzien na het zien van de spreiding")
    expect(intro).to_contain_text("De steden kunnen hun scores herzien tot 15 mei 2027.")
    expect(intro).to_contain_text("elke gewijzigde score heeft een korte reden nodig")
    grid = "Scores van Gent: uitdagingen in de rijen, criteria in de kolommen"
    spread = "Eerste beurt: mediaan 3,5, middelste helft 3 tot 4."
    for proposer in ("leuven", "kortrijk"):
        for n in range(len(CRITERIA_NL) - 1):
            expect(grid_cell(page, grid, proposer, n)).to_contain_text(spread)
            expect(grid_cell(page, grid, proposer, n)).to_contain_text("Gent in de eerste beurt: 2")
    leuven_cost = grid_cell(page, grid, "leuven", 4)
    expect(leuven_cost).to_contain_text(spread)
    # Kortrijk's challenge on cost: only Leuven, Antwerpen and Aalst scored it besides Gent, too few to show a spread.
    kortrijk_cost = grid_cell(page, grid, "kortrijk", 4)
    expect(kortrijk_cost).to_contain_text("Eerste beurt: te weinig scores om de spreiding te tonen.")
    expect(kortrijk_cost).not_to_contain_text("mediaan")
    expect(kortrijk_cost).to_contain_text("Gent in de eerste beurt: 2")
    # Gent's own challenge: no scores, so no spread.
    expect(grid_cell(page, grid, "gent", 0)).to_have_text("eigen")
    for other in ("Leuven", "Kortrijk", "Brugge", "Mechelen", "Antwerpen", "Aalst"):
        expect(page.get_by_text(f"{other} in de eerste beurt")).to_have_count(0)
    shots("gent sees the spread")

    # 3. Gent reopens its ballot and raises one score without a reason: refused next to that cell, all kept.
    page.get_by_role("button", name="Heropenen om te wijzigen").click()
    expect(page.get_by_role("status")).to_contain_text("Stembrief heropend")
    impact = f"{TITLES['leuven']}: {CRITERIA_NL[0]}"
    score = page.get_by_label(impact, exact=True)
    reason = page.get_by_label(f"Reden voor de wijziging bij {impact}", exact=True)
    expect(score).to_have_value("2")
    expect(reason).to_have_value("")
    score.fill("4")
    page.get_by_label(f"Opmerking bij {TITLES['leuven']}", exact=True).fill(NOTE)
    page.get_by_role("button", name="Stembrief indienen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Sommige gewijzigde scores hebben geen reden; er is niets bewaard. Geef een reden naast elke gemarkeerde cel."
    )
    expect(page.locator("p .badge")).to_have_text("Ontwerp")
    score = page.get_by_label(impact, exact=True)
    reason = page.get_by_label(f"Reden voor de wijziging bij {impact}", exact=True)
    expect(score).to_have_value("4")
    expect(page.get_by_label(f"Opmerking bij {TITLES['leuven']}", exact=True)).to_have_value(NOTE)
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description("Zeg in een paar woorden waarom uw stad deze score wijzigde.")
    expect(page.get_by_text("Zeg in een paar woorden waarom uw stad deze score wijzigde.")).to_have_count(1)
    expect(grid_cell(page, grid, "leuven", 0)).to_contain_text("Zeg in een paar woorden waarom uw stad deze score wijzigde.")
    expect(page.get_by_label(f"{TITLES['leuven']}: {CRITERIA_NL[1]}", exact=True)).to_have_value("2")  # unchanged, kept
    expect(page.locator("[aria-invalid=true]")).to_have_count(1)
    accessible(page, "second-pass ballot, a reason missing (nl)")
    shots("reason missing")

    # ... with the reason it is submitted, and the ballot shows it beside the first-pass score.
    reason.fill(REASON)
    page.get_by_role("button", name="Stembrief indienen").click()
    expect(page.get_by_role("status")).to_contain_text("Stembrief ingediend.")
    expect(page.locator("p .badge")).to_have_text("Ingediend")
    changed = grid_cell(page, grid, "leuven", 0)
    expect(changed).to_contain_text("4")
    expect(changed).to_contain_text("Gent in de eerste beurt: 2")
    expect(changed).to_contain_text(f"Reden voor de wijziging: {REASON}")
    expect(page.get_by_text("Reden voor de wijziging:")).to_have_count(1)
    accessible(page, "second-pass ballot, submitted (nl)")
    shots("gent submitted with a reason")
    page.goto(live_server + "/")
    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    sign_out(page)

    # 4. In English, the committee closes the second pass and publishes.
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    page.goto(round_url)
    committee_step(
        page,
        "Close voting and compute the result",
        "Close voting and compute the result",
        "Yes, close voting",
        (
            "This closes the second pass of the Delphi round: the snapshot holds both passes, and the result is "
            "computed from the second.",
            "7 of 14 ballots submitted.",
        ),
        "The round moved to the next phase.",
    )
    committee_step(
        page,
        "Publish the results",
        "Publish the results",
        "Yes, publish the results",
        ("7 of 14 ballots submitted.",),
        "The round moved to the next phase.",
    )
    shots("published")

    # 5. The results say how the spread narrowed: only Leuven's challenge on impact came closer.
    page.get_by_role("link", name="See the results").click()
    section = page.get_by_role("region", name="How the spread narrowed in the second pass")
    expect(section).to_contain_text("The cities scored twice.")
    expect(section).to_contain_text("Over the 15 challenges and criteria scored in both passes")
    expect(section).to_contain_text(
        "The cities came closer: the spread narrowed by 0.4 percentage points of the scale. That is 1.7% of the first spread."
    )
    table = section.get_by_role("table", name=re.compile("The mean interquartile range per criterion"))
    expect(table.get_by_role("row").filter(has_text="Impact for citizens").get_by_role("cell")).to_have_text(
        ["25.0%", "22.9%", "−2.1"]
    )
    expect(table.get_by_role("row").filter(has_text="Feasibility").get_by_role("cell")).to_have_text(["25.0%", "25.0%", "0"])
    expect(table.get_by_role("row").filter(has_text="All criteria").get_by_role("cell")).to_have_text(
        ["24.2%", re.compile(r"^23\.[78]%$"), "−0.4"]
    )
    section.scroll_into_view_if_needed()
    accessible(page, "the results' Delphi section (en)", "#delphi")
    shots("results narrowing")
