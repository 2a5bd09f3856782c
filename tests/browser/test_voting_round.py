"""A full voting round with three cities, in a real browser (issue: "a browser test of a full round with three
cities"). The steering committee sets up the 2027 round, derives the weights from pairwise comparisons and opens
voting; Gent, Leuven and Kortrijk each fill in and submit their ballot (Kortrijk with the keyboard only); the
committee closes voting, publishes the results and confirms the computed selection.

The journey runs in English: the browser switches with the "English" button before the first sign-in, and the
choice is kept in the session across signing in and out.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from pilots.extensions import db
from pilots.services import accounts, voting
from pilots.services import challenges as challenge_service
from tests.browser.helpers import nav, sign_in, sign_out, submitted_challenge

YEAR = 2027  # the demo has no challenge for this year: the ballot holds exactly the three made here
ROUND_TITLE = f"Datapilots {YEAR}"  # the title the new-round form suggests
CITY_NAMES = {"gent": "Gent", "leuven": "Leuven", "kortrijk": "Kortrijk"}
TITLES = {
    "gent": "Realtime bezetting van fietsenstallingen",
    "leuven": "Open data over luchtkwaliteit in schoolstraten",
    "kortrijk": "Afvalophaling met sensoren in ondergrondse containers",
}
CRITERIA = ("Impact for citizens", "Feasibility", "Data availability", "Relevance for several cities", "Cost")
# Every city gives a challenge the same scores, so the ranking is Kortrijk's, Gent's, Leuven's (cost: high = bad).
SCORES = {
    "gent": ("4", "3", "3", "3", "3"),
    "leuven": ("2", "2", "2", "2", "4"),
    "kortrijk": ("5", "4", "5", "4", "1"),
}
# One invalid value per city, typed before the right one: (challenge's proposer, criterion, value, message).
INVALID = {
    "gent": ("kortrijk", "Impact for citizens", "9", "Enter a number from 1 to 5."),
    "leuven": ("gent", "Feasibility", "3,5", "Enter a whole number."),
    "kortrijk": ("gent", "Impact for citizens", "9", "Enter a number from 1 to 5."),
}
# Counts pointer presses in this tab (sessionStorage survives the page loads), to prove a part used no mouse.
COUNT_POINTER_PRESSES = """
addEventListener('pointerdown', () => {
  sessionStorage.setItem('pointer-presses', String(Number(sessionStorage.getItem('pointer-presses') || 0) + 1));
}, true);
"""


def make_eligible_challenges(app) -> dict[str, int]:
    """One eligible 2027 challenge each by Gent, Leuven and Kortrijk: {city slug: challenge id}."""
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        created = {}
        for n, (slug, title) in enumerate(TITLES.items()):
            challenge = submitted_challenge(slug, title, YEAR, n, "Een beschrijving van het probleem.")
            challenge_service.screen(steering, challenge.id, True, "Past binnen het programma.")
            created[slug] = challenge.id
        db.session.remove()
        return created


def open_round(page: Page) -> None:
    nav(page).get_by_role("link", name="Voting").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voting rounds")
    page.get_by_role("link", name=ROUND_TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND_TITLE)


#: The steps that cannot be undone: the round page's link leads to a page that says what they freeze, and its button.
CONFIRMED_STEPS = {
    "Open voting (freezes the ballot)": ("Open voting", "Yes, open voting", f"3 eligible challenges of {YEAR} go on the ballot."),
    "Close voting and compute the result": (
        "Close voting and compute the result",
        "Yes, close voting",
        "3 of 14 ballots submitted.",
    ),
    "Publish the results": ("Publish the results", "Yes, publish the results", "3 of 14 ballots submitted."),
}


def advance(page: Page, button: str) -> None:
    committee = page.get_by_role("region", name="Steering committee")
    if button in CONFIRMED_STEPS:
        heading, confirm, text = CONFIRMED_STEPS[button]
        committee.get_by_role("link", name=button).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("region", name="What this step does")).to_contain_text(text)
        page.get_by_role("button", name=confirm).click()
    else:
        committee.get_by_role("button", name=button).click()
    expect(page.get_by_role("status")).to_contain_text("The round moved to the next phase.")


def criteria_weights(page: Page):
    """The weight column of the round's criteria table."""
    return page.get_by_role("table", name="Criteria and their weights").locator("tbody tr td:nth-child(2)")


def expected_cells(voter: str) -> dict[str, str]:
    """The score inputs of a city's ballot, by accessible name, with the value to type."""
    return {
        f"{TITLES[proposer]}: {criterion}": value
        for proposer, values in SCORES.items()
        if proposer != voter
        for criterion, value in zip(CRITERIA, values, strict=True)
    }


def open_ballot(page: Page, voter: str) -> None:
    city = CITY_NAMES[voter]
    open_round(page)
    own = page.get_by_role("link", name=f"Ballot of {city}")
    expect(own.locator("xpath=following-sibling::span")).to_have_text("not submitted yet")
    own.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Ballot of {city}")
    grid = page.get_by_role("table", name=f"Scores of {city}: challenges in rows, criteria in columns")
    expect(grid.get_by_role("columnheader")).to_have_count(len(CRITERIA) + 2)
    # The city's own challenge: every score cell says "own" and has no input; only the comment box is there.
    own_row = grid.get_by_role("row").filter(has=page.get_by_role("link", name=TITLES[voter]))
    expect(own_row.get_by_text("own", exact=True)).to_have_count(len(CRITERIA))
    expect(own_row.get_by_role("textbox")).to_have_count(1)
    expect(own_row.get_by_role("textbox")).to_have_accessible_name(f"Comment on {TITLES[voter]}")
    # The two other challenges: one input per criterion.
    expect(grid.locator("input.score-input")).to_have_count(2 * len(CRITERIA))


def check_refused_and_kept(page: Page, voter: str, shots, step: str) -> None:
    """After a save with one bad value: the message next to that cell, and every typed value still there."""
    proposer, criterion, bad, message = INVALID[voter]
    expect(page.get_by_role("status")).to_contain_text("Some scores are not valid; nothing was saved. Correct the marked cells.")
    bad_label = f"{TITLES[proposer]}: {criterion}"
    bad_input = page.get_by_label(bad_label, exact=True)
    expect(bad_input).to_have_attribute("aria-invalid", "true")
    expect(bad_input).to_have_accessible_description(message)
    expect(bad_input.locator("xpath=following-sibling::div[contains(@class, 'invalid-feedback')]")).to_have_text(message)
    expect(bad_input).to_have_value(bad)
    expect(page.locator("input[aria-invalid='true']")).to_have_count(1)
    for label, value in expected_cells(voter).items():
        if label != bad_label:
            expect(page.get_by_label(label, exact=True)).to_have_value(value)
    shots(step)


def vote_with_the_mouse(page: Page, base_url: str, voter: str, shots) -> None:
    """Sign in, open the ballot, fill every cell (one wrong first), save a draft, then submit."""
    city = CITY_NAMES[voter]
    sign_in(page, base_url, f"{voter}@demo.local", f"Demo {city}")
    open_ballot(page, voter)
    proposer, criterion, bad, _ = INVALID[voter]
    bad_label = f"{TITLES[proposer]}: {criterion}"
    cells = expected_cells(voter)
    for label, value in cells.items():
        page.get_by_label(label, exact=True).fill(bad if label == bad_label else value)
    page.get_by_label(f"Comment on {TITLES[proposer]}").fill(f"Opmerking van {city}.")
    page.get_by_role("button", name="Save draft").click()
    check_refused_and_kept(page, voter, shots, f"{voter} ballot refused")
    expect(page.get_by_label(f"Comment on {TITLES[proposer]}")).to_have_value(f"Opmerking van {city}.")

    page.get_by_label(bad_label, exact=True).fill(cells[bad_label])
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    expect(page.locator("p .badge")).to_have_text("Draft")
    for label, value in cells.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)

    page.get_by_role("button", name="Submit the ballot").click()
    expect(page.get_by_role("status")).to_contain_text("Ballot submitted. You can reopen it until voting closes.")
    expect(page.locator("p .badge")).to_have_text("Submitted")
    expect(page.locator("input.score-input")).to_have_count(0)  # read-only once submitted
    expect(page.get_by_role("button", name="Reopen to change it")).to_be_visible()
    shots(f"{voter} ballot submitted")


def focused(page: Page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {tag: e.tagName, name: e.getAttribute('name') || '', label: e.getAttribute('aria-label') || '',"
        " text: e.textContent.trim(), invalid: e.getAttribute('aria-invalid') === 'true'}; }"
    )


def skip_to_content(page: Page) -> None:
    """From the top of a fresh page: the skip link, then into the main content."""
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def tab_to(page: Page, wanted, limit: int = 60) -> dict:
    """Press Tab until the focused element matches `wanted`, a test on the element's description."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = focused(page)
        if wanted(element):
            return element
    raise AssertionError(f"Tab never reached the wanted element; the last one was {element}")


def vote_with_the_keyboard(page: Page, base_url: str, shots) -> None:
    """Kortrijk's ballot, with the keyboard only: Tab from cell to cell, type, and Enter on a focused button."""
    sign_in(page, base_url, "kortrijk@demo.local", "Demo Kortrijk")
    open_ballot(page, "kortrijk")
    page.context.add_init_script(COUNT_POINTER_PRESSES)
    page.reload()
    page.evaluate("sessionStorage.setItem('pointer-presses', '0')")
    cells = expected_cells("kortrijk")
    proposer, criterion, bad, _ = INVALID["kortrijk"]
    bad_label = f"{TITLES[proposer]}: {criterion}"

    skip_to_content(page)
    typed = []
    element = tab_to(page, lambda e: e["name"].startswith("score-"))
    while element["text"] != "Save draft":
        if element["name"].startswith("score-"):
            page.keyboard.type(bad if element["label"] == bad_label else cells[element["label"]])
            typed.append(element["label"])
        page.keyboard.press("Tab")
        element = focused(page)
        assert element["tag"] in ("A", "INPUT", "TEXTAREA", "BUTTON"), element
    assert typed == list(cells), "Tab visits the cells row by row, criterion by criterion"
    shots("kortrijk types with the keyboard")
    page.keyboard.press("Enter")  # on the focused "Save draft"
    check_refused_and_kept(page, "kortrijk", shots, "kortrijk ballot refused")

    # Back to the marked cell with Tab; the keyboard focus selects its text, so typing replaces it.
    skip_to_content(page)
    element = tab_to(page, lambda e: e["invalid"])
    assert element["label"] == bad_label
    page.keyboard.type(cells[bad_label])
    expect(page.get_by_label(bad_label, exact=True)).to_have_value(cells[bad_label])
    tab_to(page, lambda e: e["text"] == "Save draft")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    for label, value in cells.items():
        expect(page.get_by_label(label, exact=True)).to_have_value(value)

    skip_to_content(page)
    tab_to(page, lambda e: e["text"] == "Submit the ballot")
    expect(page.get_by_role("button", name="Submit the ballot")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Ballot submitted. You can reopen it until voting closes.")
    expect(page.locator("p .badge")).to_have_text("Submitted")
    assert page.evaluate("sessionStorage.getItem('pointer-presses')") == "0", "the ballot needed the mouse"
    shots("kortrijk ballot submitted")


def test_a_full_round_with_three_cities(app, live_server, page, shots, demo):
    challenge_ids = make_eligible_challenges(app)

    # The whole journey in English (see the module docstring).
    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # 1. The steering committee creates the 2027 round; it comes with the five suggested criteria.
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    nav(page).get_by_role("link", name="Voting").click()
    page.get_by_role("link", name="New round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New round")
    expect(page.get_by_label("Title")).to_have_value(ROUND_TITLE)
    expect(page.get_by_label("Year")).to_have_value(str(YEAR))
    expect(page.get_by_label("Ranking method")).to_have_value("wsm")
    page.get_by_label("Pilots to select").fill("1")
    # Each challenge is scored by the two other cities: with the default quorum (half of the 14 cities) none
    # would be ranked.
    page.get_by_label("Quorum (cities)").fill("2")
    page.get_by_label("Robustness samples").fill("2000")
    shots("new round form")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("Round created with the suggested criteria.")
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND_TITLE)
    expect(page.get_by_text(f"Year {YEAR} · selects 1 pilot")).to_be_visible()
    criteria_table = page.get_by_role("table", name="Criteria and their weights")
    expect(criteria_table.locator("tbody strong")).to_have_text(list(CRITERIA))
    expect(criteria_weights(page)).to_have_text(["20.0%"] * 5)
    eligible = page.get_by_role("region", name="Eligible so far")
    expect(eligible.get_by_role("listitem")).to_have_count(3)
    round_id = int(re.search(r"/rounds/(\d+)", page.url).group(1))
    shots("round created")

    # 2. Weights from pairwise comparisons: impact moderately more important than each other criterion.
    page.get_by_role("link", name="Derive weights from pairwise comparisons").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weights from pairwise comparisons")
    expect(page.get_by_role("combobox")).to_have_count(10)
    for other in CRITERIA[1:]:
        page.get_by_label(f"A = Impact for citizens, B = {other}").select_option(label="A is moderately more important (3)")
    shots("pairwise comparisons")
    page.get_by_role("button", name="Derive the weights").click()

    expect(page.get_by_role("status")).to_contain_text("Weights derived from the comparisons (consistency ratio 0.00).")
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}#criteria$"))
    expect(criteria_weights(page)).to_have_text(["42.9%", "14.3%", "14.3%", "14.3%", "14.3%"])
    expect(page.get_by_text("Weights derived from pairwise comparisons; consistency ratio 0.00.")).to_be_visible()
    shots("weights derived")

    # 3. Proposals, then voting: the three challenges go on the ballot and each of the 14 cities gets a ballot.
    advance(page, "Open the proposals")
    expect(page.locator("[aria-current='step']")).to_contain_text("Proposals open")
    advance(page, "Open voting (freezes the ballot)")
    expect(page.locator("[aria-current='step']")).to_contain_text("Voting open")
    on_ballot = page.get_by_role("region", name="On the ballot")
    expect(on_ballot.get_by_role("listitem")).to_have_count(3)
    for slug, title in TITLES.items():
        expect(on_ballot.get_by_role("listitem").filter(has_text=title)).to_contain_text(f"({CITY_NAMES[slug]})")
    ballots = page.get_by_role("table", name="0 of 14 cities submitted")
    expect(ballots.get_by_role("row")).to_have_count(15)
    expect(ballots.get_by_role("cell", name="not submitted yet", exact=True)).to_have_count(14)
    expect(page.get_by_role("link", name="Derive weights from pairwise comparisons")).to_have_count(0)
    shots("voting open")
    sign_out(page)

    # 4. Three cities vote. Gent and Leuven with the mouse ...
    vote_with_the_mouse(page, live_server, "gent", shots)
    sign_out(page)
    vote_with_the_mouse(page, live_server, "leuven", shots)
    # ... and while voting is open, Leuven cannot open Gent's ballot.
    response = page.goto(f"{live_server}/rounds/{round_id}/ballots/gent")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Access denied")
    expect(page.get_by_text("Realtime bezetting")).to_have_count(0)
    shots("leuven cannot open the ballot of gent")
    sign_out(page)
    # ... and Kortrijk with the keyboard only.
    vote_with_the_keyboard(page, live_server, shots)
    sign_out(page)
    assert int(page.evaluate("sessionStorage.getItem('pointer-presses')")) > 0, "the counter sees a mouse click"

    # 5. The committee closes voting, publishes, reads the results and confirms the computed selection.
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    open_round(page)
    submitted = page.get_by_role("table", name="3 of 14 cities submitted")
    for city in CITY_NAMES.values():
        expect(submitted.get_by_role("row").filter(has_text=city)).to_contain_text("submitted")
    expect(submitted.get_by_role("cell", name="not submitted yet", exact=True)).to_have_count(11)
    advance(page, "Close voting and compute the result")
    expect(page.locator("[aria-current='step']")).to_contain_text("Voting closed")
    advance(page, "Publish the results")
    expect(page.locator("[aria-current='step']")).to_contain_text("Results published")
    expect(page.get_by_role("region", name="Steering committee")).to_have_count(0)
    shots("published")
    page.get_by_role("link", name="See the results").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results of {ROUND_TITLE}")
    expect(page.get_by_text("3 cities submitted their ballot")).to_be_visible()
    ranking = page.get_by_role("region", name="Ranking", exact=True)
    ranking.get_by_text("Show the data as a table").first.click()  # the table behind the chart, in a disclosure
    ranking_table = ranking.get_by_role("table", name=re.compile("^Ranking of the challenges"))
    expect(ranking_table.get_by_role("rowheader")).to_have_text([TITLES["kortrijk"], TITLES["gent"], TITLES["leuven"]])
    chart = page.locator("#ranking-chart")
    expect(chart).to_have_class(re.compile(r"js-plotly-plot"))
    expect(chart.locator("svg.main-svg").first).to_be_attached()
    expect(chart.locator("g.legend")).to_contain_text("Impact for citizens")
    with app.app_context():
        sha = voting.get_round(round_id).snapshot.sha256
        db.session.remove()
    expect(page.get_by_test_id("snapshot-sha256")).to_have_text(sha)
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    selection = page.get_by_role("region", name="The computed selection")
    expect(selection.get_by_role("listitem")).to_have_count(1)
    expect(selection.get_by_role("listitem")).to_contain_text(TITLES["kortrijk"])
    shots("results")
    page.get_by_role("link", name="Review and confirm the selection").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the selection")
    form = page.get_by_role("form", name="The selection")
    expect(form.get_by_role("checkbox")).to_have_count(3)
    expect(form.get_by_role("checkbox", checked=True)).to_have_count(1)
    expect(form.get_by_label(f"{TITLES['kortrijk']} (rank 1)")).to_be_checked()
    shots("the selection confirmation page")
    form.get_by_role("button", name="Confirm the selection").click()

    expect(page.get_by_role("status")).to_contain_text("The selection is confirmed: the selected challenges are now pilots.")
    confirmed = page.get_by_role("region", name="The confirmed selection")
    expect(confirmed.get_by_role("listitem")).to_have_text(re.compile(rf"^{TITLES['kortrijk']}\s+· Kortrijk$"))
    expect(confirmed).to_contain_text("Confirmed by Stijn Stuurgroep")
    expect(page.get_by_role("form", name="Confirm the selection")).to_have_count(0)
    expect(page.locator("#ranking-chart svg.main-svg").first).to_be_attached()
    assert challenge_ids["kortrijk"] in {int(v) for v in re.findall(r"/challenges/(\d+)", confirmed.inner_html())}
    shots("selection confirmed")
