"""Effort and capacity, and pledges (issue 15), in a real browser: the steering committee screens a challenge with an
estimated effort (a wrong one first, refused next to the field and kept), the round page shows the efforts against
the capacity; after voting closed, Gent says for each challenge whether it takes part, and the committee sees the
answers on the page where it confirms the selection. The pledges page passes axe-core in English and Dutch.

The journey runs in English (the "English" button before the first sign-in); the rounds are moved and the ballots
filled in through the services, as tests/browser/test_voting_round.py already does all of that in the browser.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from pilots.extensions import db
from pilots.models import RoundPhase
from pilots.services import accounts, cities, voting
from pilots.services import challenges as challenge_service
from tests.browser.conftest import REQUIRED
from tests.browser.helpers import sign_in, sign_out, submitted_challenge
from tests.browser.test_accessibility import AXE, RUN_AXE, WCAG_TAGS, describe, failing

YEAR = 2027  # the demo has no challenge for this year: the ballot holds exactly the three made here
CITY_NAMES = {"gent": "Gent", "leuven": "Leuven", "kortrijk": "Kortrijk"}
TITLES = {
    "gent": "Deelfietsen in realtime",
    "leuven": "Geluidsmetingen in de binnenstad",
    "kortrijk": "Laadpalen en hun bezetting",
}
EFFORTS = {"leuven": 3, "kortrijk": 4}  # Gent's is typed in the browser: 2.5
CAPACITY = 6.0
# Gent's answers: it would take part in its own challenge's pilot and in Leuven's, not in Kortrijk's.
ANSWERS = {"gent": "Yes, it takes part", "leuven": "Yes, it takes part", "kortrijk": "No, it does not"}


def make_round(app) -> tuple[int, dict[str, int]]:
    """Three submitted 2027 challenges (Leuven's and Kortrijk's screened with an effort, Gent's waiting for the
    committee) and the 2027 round with a capacity, proposals open."""
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        created = {}
        for n, (slug, title) in enumerate(TITLES.items()):
            challenge = submitted_challenge(slug, title, YEAR, n)
            if slug in EFFORTS:
                challenge_service.screen(steering, challenge.id, True, "Past binnen het programma.", EFFORTS[slug])
            created[slug] = challenge.id
        round_ = voting.create_round(
            steering,
            voting.RoundData(
                title=f"Datapilots {YEAR}", year=YEAR, pilots_to_select=1, quorum=2, sensitivity_samples=200, capacity=CAPACITY
            ),
        )
        round_id = round_.id
        voting.advance(steering, round_id, RoundPhase.DRAFT)
        db.session.remove()
        return round_id, created


def vote_and_close(app, round_id: int) -> None:
    """Open voting, let the three cities score the others' challenges (Gent's highest), close voting."""
    with app.app_context():
        steering = accounts.find_user_by_email("steering@demo.local")
        voting.advance(steering, round_id, RoundPhase.PROPOSALS_OPEN)
        round_ = voting.get_round(round_id)
        for slug in CITY_NAMES:
            voter = accounts.find_user_by_email(f"{slug}@demo.local")
            city = cities.get_city_by_slug(slug)
            ballot = voting.get_ballot(round_, city.id)
            cells = {
                (entry.challenge_id, criterion.id): ("5" if entry.challenge.title == TITLES["gent"] else "3")
                if criterion.direction.value == "benefit"
                else "2"
                for entry in round_.entries
                if entry.challenge.city_id != city.id
                for criterion in round_.criteria
            }
            voting.save_ballot(voter, round_id, city.id, voting.BallotInput(cells, {}), ballot.version, submit=True)
        voting.advance(steering, round_id, RoundPhase.VOTING_OPEN)
        db.session.remove()


def publish(app, round_id: int) -> None:
    with app.app_context():
        voting.advance(accounts.find_user_by_email("steering@demo.local"), round_id, RoundPhase.CLOSED)
        db.session.remove()


def check_accessibility(page: Page, language: str) -> None:
    with page.expect_navigation():
        page.locator(f"button[name=language][value={language}]").click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert page.evaluate("typeof window.axe") == "object", "axe-core was not added to the page"
    violations = page.evaluate(RUN_AXE, list(WCAG_TAGS))
    serious = [violation for violation in violations if failing(violation)]
    assert not serious, f"the pledges page ({language}) has serious WCAG 2.1 A/AA violations:\n" + describe(serious)


def test_screening_with_an_effort_and_a_city_pledges(app, live_server, page: Page, shots, demo):
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE} is missing): run `npm ci` in the project"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    page.context.add_init_script(script=AXE.read_text(encoding="utf-8"))  # through DevTools: the CSP does not govern it
    round_id, challenge_ids = make_round(app)

    page.goto(live_server + "/")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # 1. The committee screens Gent's challenge with an estimated effort: a wrong one first.
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    page.goto(f"{live_server}/challenges/{challenge_ids['gent']}")
    screening = page.get_by_role("region", name="Screening")
    screening.get_by_label("Eligible", exact=True).check()
    effort = screening.get_by_label("Estimated effort (person-months)")
    effort.fill("1.234")
    screening.get_by_role("button", name="Save screening").click()
    effort = page.get_by_role("region", name="Screening").get_by_label("Estimated effort (person-months)")
    expect(effort).to_have_attribute("aria-invalid", "true")
    expect(effort).to_have_value("1.234")
    expect(effort).to_have_accessible_description(re.compile("Use at most 2 decimals: efforts are counted in hundredths."))
    shots("effort refused")
    effort.fill("2.5")
    page.get_by_role("region", name="Screening").get_by_role("button", name="Save screening").click()
    expect(page.get_by_role("status")).to_contain_text("Screening saved.")
    expect(page.get_by_test_id("estimated-effort")).to_have_text("Estimated effort: 2.5 (person-months).")
    shots("effort saved")

    # 2. The round page: each challenge's effort, their total and the capacity.
    page.goto(f"{live_server}/rounds/{round_id}")
    section = page.get_by_role("region", name="Capacity")
    table = section.get_by_role("table", name="Estimated effort of each challenge, in person-months")
    expect(table.get_by_role("row").filter(has_text=TITLES["gent"])).to_contain_text("2.5")
    expect(table.get_by_role("row").filter(has_text="Total of the recorded efforts")).to_contain_text("9.5")
    expect(section.get_by_test_id("missing-efforts")).to_have_count(0)
    expect(section.get_by_test_id("nothing-fits")).to_have_count(0)
    shots("round with a capacity")
    sign_out(page)

    # 3. Voting closes; Gent says for each challenge whether it takes part.
    vote_and_close(app, round_id)
    sign_in(page, live_server, "gent@demo.local", "Demo Gent")
    page.goto(f"{live_server}/rounds/{round_id}")
    page.get_by_role("link", name="Say whether your city takes part").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who takes part")
    form = page.get_by_role("region", name="Does Gent take part?")
    for slug, answer in ANSWERS.items():
        group = form.get_by_role("group", name=re.compile(re.escape(TITLES[slug])))
        group.get_by_label(answer).check()
    form.get_by_role("button", name="Save the answers of Gent").click()
    expect(page.get_by_role("status")).to_contain_text("The answers of Gent are saved.")
    form = page.get_by_role("region", name="Does Gent take part?")
    for slug, answer in ANSWERS.items():
        expect(form.get_by_role("group", name=re.compile(re.escape(TITLES[slug]))).get_by_label(answer)).to_be_checked()
    # Before the results are published Gent sees how many cities answered, not which.
    answers = page.get_by_role("table", name="Cities that will and will not take part, per challenge")
    expect(answers.get_by_role("row").filter(has_text=TITLES["kortrijk"]).get_by_role("cell")).to_have_text(["0", "1"])
    shots("gent has answered")
    check_accessibility(page, "en")
    check_accessibility(page, "nl")
    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    sign_out(page)

    # 4. The results are published; the committee sees Gent's answers where it confirms the selection.
    publish(app, round_id)
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    page.goto(f"{live_server}/rounds/{round_id}/confirm/selection")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the selection")
    expect(page.get_by_test_id(f"pledges-{challenge_ids['gent']}")).to_have_text("Gent will take part.")
    expect(page.get_by_test_id(f"pledges-{challenge_ids['kortrijk']}")).to_have_text("Gent will not take part.")
    checkbox = page.locator(f"input[name=selected][value='{challenge_ids['leuven']}']")
    expect(checkbox).to_have_accessible_description("Gent will take part.")
    shots("confirmation with the pledges")
