"""Each city weighs the criteria (issue 15), in a real browser: in a round that ranks with the cities' weights, Gent's
voter compares the criteria two by two in Dutch (an inconsistent set first: a preview, nothing saved; then a
consistent one), Leuven's voter types the weights directly in English (refused values first, named next to their
fields and kept), and both submit their ballots, which needs the weights. axe-core checks the weights pages in each
state (fresh, refused, preview) and the ballot page with its weights, as tests/browser/test_accessibility.py does.

New texts of this feature may not be translated yet when this runs: the Dutch part finds them by their place on the
page (ids, links, roles) and checks only texts the catalogue already has, and numbers written the Dutch way.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pilots.extensions import db
from pilots.models import RoundPhase, WeightSource
from pilots.services import accounts, voting
from tests.browser.conftest import REQUIRED
from tests.browser.helpers import sign_in, sign_out
from tests.browser.test_accessibility import AXE, RUN_AXE, WCAG_TAGS, describe, failing
from tests.browser.test_voting_round import YEAR, make_eligible_challenges

CRITERIA_NL = ("Impact voor burgers", "Haalbaarheid", "Beschikbaarheid van data", "Relevant voor meerdere steden", "Kost")
CRITERIA_EN = ("Impact for citizens", "Feasibility", "Data availability", "Relevance for several cities", "Cost")


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci` in the project to run the accessibility checks"
        if REQUIRED:
            pytest.fail(message + " (BROWSER_TESTS_REQUIRED=1)")
        pytest.skip(message)
    return Path(AXE).read_text(encoding="utf-8")


def cities_round(app) -> int:
    """The 2027 round, ranking with the cities' weights, voting open on three challenges (Gent's, Leuven's, Kortrijk's)."""
    make_eligible_challenges(app)
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        round_ = voting.create_round(
            steering,
            voting.RoundData(
                title=f"Datapilots {YEAR}",
                year=YEAR,
                pilots_to_select=1,
                quorum=1,
                sensitivity_samples=500,
                weight_source=WeightSource.CITIES,
            ),
        )
        for phase in (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN):
            voting.advance(steering, round_.id, phase)
        round_id = round_.id
        db.session.remove()
    return round_id


def accessible(page: Page, what: str) -> None:
    """No serious or critical WCAG 2.1 A/AA violation on the page as it is now."""
    assert page.evaluate("typeof window.axe") == "object", "axe-core was not added to the page"
    violations = [v for v in page.evaluate(RUN_AXE, list(WCAG_TAGS)) if failing(v)]
    assert not violations, f"{what}: {len(violations)} serious WCAG violation(s):\n{describe(violations)}"


def sign_in_in_dutch(page: Page, base_url: str, email: str) -> None:
    page.goto(base_url + "/")
    with page.expect_navigation():
        page.locator("button[name=language][value=nl]").click()
    page.goto(base_url + "/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill("pilot-demo")
    page.locator("input[name=password]").press("Enter")
    page.get_by_test_id("account-link").wait_for()
    expect(page.locator("html")).to_have_attribute("lang", "nl")


def fill_scores(page: Page) -> int:
    """Every score input of the ballot gets a 3; returns how many there are."""
    inputs = page.locator("input.score-input")
    for n in range(inputs.count()):
        inputs.nth(n).fill("3")
    return inputs.count()


def choose(page: Page, a: str, b: str, option: str) -> None:
    page.get_by_label(f"A = {a}, B = {b}").select_option(label=option)


def test_two_cities_weigh_the_criteria_and_submit(app, live_server, page, shots, demo, axe_source):
    round_id = cities_round(app)
    page.context.add_init_script(script=axe_source)
    ballot_url = f"{live_server}/rounds/{round_id}/ballots"

    # 1. Gent, in Dutch: submitting without weights is refused, with the way to the weights next to the message.
    sign_in_in_dutch(page, live_server, "gent@demo.local")
    page.goto(f"{ballot_url}/gent")
    panel = page.locator("section[aria-labelledby=ballot-weights-heading]")
    expect(panel).to_be_visible()
    expect(panel.locator(".alert-warning")).to_be_visible()  # no weights yet
    accessible(page, "ballot with its weights panel (nl)")
    scores = fill_scores(page)
    assert scores == 2 * len(CRITERIA_NL)
    page.get_by_role("button", name="Stembrief indienen").click()
    expect(page.get_by_role("status").locator(".alert-danger")).to_be_visible()
    expect(page.locator("p .badge")).to_have_text("Ontwerp")
    expect(page.locator("input.score-input").first).to_have_value("3")  # the scores typed are kept
    shots("gent submit refused without weights")

    # 2. Pairwise comparison: an inconsistent set is a preview that changes nothing ...
    panel.locator(f"a[href='/rounds/{round_id}/ballots/gent/weights/pairwise']").click()
    expect(page.locator("h1")).to_contain_text("Gent")
    expect(page.get_by_role("combobox")).to_have_count(10)
    accessible(page, "pairwise weights page (nl)")
    choose(page, CRITERIA_NL[1], CRITERIA_NL[2], "A is extreem veel belangrijker (9)")
    choose(page, CRITERIA_NL[2], CRITERIA_NL[3], "A is extreem veel belangrijker (9)")
    choose(page, CRITERIA_NL[1], CRITERIA_NL[3], "B is extreem veel belangrijker (1/9)")
    page.get_by_role("button", name="Gewichten afleiden").click()
    preview = page.get_by_role("alert").filter(has_text="Voorbeeld: deze vergelijkingen zijn inconsistent")
    expect(preview).to_be_visible()
    expect(preview.locator("ol > li")).to_have_count(3)
    expect(page.get_by_role("button", name="Deze gewichten toch toepassen")).to_be_visible()
    expect(page.locator("#current-weights ~ p")).to_be_visible()  # still "no weights yet"
    accessible(page, "pairwise preview (nl)")
    shots("gent inconsistent preview")

    # ... a consistent one is saved: impact moderately more important than each other criterion.
    choose(page, CRITERIA_NL[1], CRITERIA_NL[2], "Even belangrijk (1)")
    choose(page, CRITERIA_NL[2], CRITERIA_NL[3], "Even belangrijk (1)")
    choose(page, CRITERIA_NL[1], CRITERIA_NL[3], "Even belangrijk (1)")
    for other in CRITERIA_NL[1:]:
        choose(page, CRITERIA_NL[0], other, "A is matig belangrijker (3)")
    page.get_by_role("button", name="Gewichten afleiden").click()
    expect(page).to_have_url(re.compile(rf"/rounds/{round_id}/ballots/gent$"))
    expect(page.get_by_role("status")).to_contain_text("0,00")  # the consistency ratio, written the Dutch way
    weights = panel.get_by_role("table").locator("tbody td")
    expect(weights).to_have_text(["42,9%", "14,3%", "14,3%", "14,3%", "14,3%"])
    expect(panel).to_contain_text("0,00")
    expect(panel).not_to_contain_text("-0,00")
    accessible(page, "ballot with the city's weights (nl)")
    shots("gent weights saved")

    # 3. Gent submits.
    fill_scores(page)
    page.get_by_role("button", name="Stembrief indienen").click()
    expect(page.get_by_role("status")).to_contain_text("Stembrief ingediend.")
    expect(page.locator("p .badge")).to_have_text("Ingediend")
    expect(panel.locator(f"a[href='/rounds/{round_id}/ballots/gent/weights']")).to_have_count(0)  # frozen
    shots("gent submitted")
    page.goto(live_server + "/")
    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    sign_out(page)

    # 4. Leuven, in English, types the weights: refused values are named next to their fields and kept.
    sign_in(page, live_server, "leuven@demo.local", "Demo Leuven")
    page.goto(f"{ballot_url}/leuven")
    page.get_by_role("link", name="Give your city’s weights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weights of Leuven")
    expect(page.get_by_role("group", name="A weight for each criterion")).to_be_visible()
    expect(page.get_by_role("heading", name="What the weights do")).to_be_visible()
    expect(page.get_by_text("the geometric mean keeps one city from pulling a weight up on its own")).to_be_visible()
    accessible(page, "direct weights page (en)")
    typed = dict(zip(CRITERIA_EN, ("abc", "0", "-1", "", "2"), strict=True))
    for name, value in typed.items():
        page.get_by_label(name, exact=True).fill(value)
    page.get_by_role("button", name="Save the weights").click()
    expect(page.get_by_role("alert")).to_contain_text("Some weights are not valid; nothing was saved.")
    messages = {
        "Impact for citizens": "Enter a number, such as 2 or 0.5.",
        "Feasibility": "Give this criterion a weight above 0.",
        "Data availability": "A weight cannot be negative.",
        "Relevance for several cities": "Give this criterion a weight.",
    }
    for name, value in typed.items():
        field = page.get_by_label(name, exact=True)
        expect(field).to_have_value(value)
        if name in messages:
            expect(field).to_have_attribute("aria-invalid", "true")
            expect(field).to_have_accessible_description(re.compile(re.escape(messages[name]) + "$"))
        else:
            expect(field).not_to_have_attribute("aria-invalid", "true")
    accessible(page, "direct weights refused (en)")
    shots("leuven weights refused")

    for name, value in zip(CRITERIA_EN, ("40", "20", "20", "10", "10"), strict=True):
        page.get_by_label(name, exact=True).fill(value)
    page.get_by_role("button", name="Save the weights").click()
    expect(page.get_by_role("status")).to_contain_text("Your city's weights are saved.")
    panel = page.get_by_role("region", name="Weights of Leuven")
    expect(panel.get_by_role("table").locator("tbody td")).to_have_text(["40.0%", "20.0%", "20.0%", "10.0%", "10.0%"])
    expect(panel).to_contain_text("Given directly, one number per criterion.")
    accessible(page, "ballot with the city's weights (en)")
    fill_scores(page)
    page.get_by_role("button", name="Submit the ballot").click()
    expect(page.get_by_role("status")).to_contain_text("Ballot submitted. You can reopen it until voting closes.")
    shots("leuven submitted")

    # 5. Closing ranks with the geometric mean of the two cities' weights.
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
        result = voting.result_of(voting.get_round(round_id))
        db.session.remove()
    assert result["weight_aggregation"] == "geometric_mean"
    assert set(result["city_weights"]) == {"gent", "leuven"}
    assert result["city_weights"]["leuven"]["impact"] == pytest.approx(0.4)
    assert result["group_weights"]["impact"] == pytest.approx(
        (3 / 7 * 0.4) ** 0.5 / sum((a * b) ** 0.5 for a, b in zip((3 / 7, *[1 / 7] * 4), (0.4, 0.2, 0.2, 0.1, 0.1), strict=True))
    )
    assert set(result["distance"]) == {"gent", "leuven"}
