"""Accessibility of every main page, for every role, in Dutch and in English (issue 7, "accessibility").

Every page is checked in Dutch, the main ones in English too; a few forms are also checked in their refused state
(the messages next to the fields). axe-core (pinned in package.json, installed by `make test` with `npm ci`) checks each page against WCAG 2.1 A and AA
in a real Chromium. A page fails on any WCAG violation of impact "serious" or "critical"; best-practice rules and
milder impacts are reported (test-artifacts/browser/accessibility/violations.json) but do not fail.

axe-core reaches the pages without touching the app's Content-Security-Policy, which allows no inline script: each
browser context adds it to every document with `add_init_script`, that is through the DevTools protocol
(Page.addScriptToEvaluateOnNewDocument), which the page's CSP does not govern. The pages are checked as served,
and a CSP violation still fails the test, as in the other browser tests.

The keyboard-only completion of the ballot form is in test_voting_round.py (Kortrijk's ballot: Tab from cell to
cell, Enter on the buttons, no pointer press at all); it is not repeated here.

Cost: seeding the demo takes seconds, so this module seeds it once and shares it between its tests, instead of the
suite's empty tables before every test (its tests only read, or post forms that are refused and change nothing),
with one signed-in browser context per role and language.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select

from pilots.demo import seed
from pilots.extensions import db, limiter
from pilots.models import Availability, Challenge, City, Pilot, Round, User
from pilots.services import accounts, city_status, voting
from pilots.services import challenges as challenge_service
from pilots.services.challenges import ChallengeData, DatasetData
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests.browser.conftest import ARTIFACTS, REQUIRED
from tests.browser.test_results_page import version_2_snapshot
from tests.conftest import empty_tables

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
FAILING_IMPACTS = ("serious", "critical")
LOCALES = {"nl": "nl-BE", "en": "en-GB"}
ACCOUNTS = {  # role -> demo account (password pilot-demo); "anonymous" signs in as nobody
    "voter": "leuven@demo.local",  # staff and voter of Leuven, whose ballot of this year is still a draft
    "lead": "lead@demo.local",
    "steering": "steering@demo.local",
    "admin": "admin@demo.local",
}
NL, EN, BOTH = ("nl",), ("en",), ("nl", "en")
REPORT = ARTIFACTS / "accessibility" / "violations.json"

# Runs axe-core in the page and keeps what a developer needs from each violation.
RUN_AXE = """
async (tags) => {
  const results = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(' >>> '), summary: n.failureSummary || '', html: n.html,
      related: [...n.any, ...n.all, ...n.none].flatMap((c) => c.relatedNodes.map((r) => r.target.map(String).join(' >>> '))),
    })),
  }));
}
"""
# Charts are drawn by Plotly after the page loaded: wait until each one is drawn (or failed), then check the result.
CHARTS_DRAWN = """
() => Array.from(document.querySelectorAll('.chart[data-figure-id]'))
  .every((c) => c.querySelector('.main-svg') || c.hasAttribute('data-chart-error') || !document.getElementById(c.dataset.figureId))
"""


@dataclass(frozen=True)
class Check:
    role: str
    name: str
    path: str  # formatted with the ids of the seeded demo (see `demo_data`)
    languages: tuple[str, ...] = NL  # the main pages are checked in both languages
    status: int = 200
    # A form in its refused state: type `fill` (selector, text) if given, press the `submit` button, expect a 400.
    submit: str | None = None
    fill: tuple[str, str] | None = None

    def ids(self, language: str) -> str:
        return f"{self.role}-{self.name}-{language}"


CHECKS = (
    # Anonymous visitors: the public pages. (The catalogue and the API answer RDF and JSON, not HTML.)
    Check("anonymous", "home", "/", languages=BOTH),
    Check("anonymous", "sign-in", "/login", languages=BOTH),
    Check("anonymous", "sign-in-refused", "/login", submit="main form [type=submit]"),
    Check("anonymous", "forgot-password", "/password/forgot", languages=BOTH),
    Check("anonymous", "forgot-password-refused", "/password/forgot", submit="main form [type=submit]"),
    Check("anonymous", "link-invalid", "/password/new/not-a-token", status=404),
    Check("anonymous", "challenges", "/challenges", languages=BOTH),
    Check("anonymous", "challenge", "/challenges/{challenge}", languages=BOTH),
    Check("anonymous", "pilots", "/pilots"),
    Check("anonymous", "pilot", "/pilots/{pilot}"),
    Check("anonymous", "not-found", "/no-such-page", status=404),
    # City staff and voter (Leuven).
    Check("voter", "home", "/"),
    Check("voter", "challenges", "/challenges"),
    Check("voter", "my-city", "/challenges/my-city"),
    Check("voter", "challenge", "/challenges/{challenge}"),
    Check("voter", "draft-challenge", "/challenges/{draft}", languages=BOTH),
    Check("voter", "new-challenge", "/challenges/new", languages=BOTH),
    Check("voter", "new-challenge-refused", "/challenges/new", submit="main form [type=submit]"),
    Check("voter", "edit-challenge", "/challenges/{draft}/edit"),
    Check("voter", "new-dataset", "/challenges/{draft}/datasets/new"),
    Check("voter", "edit-dataset", "/challenges/{draft}/datasets/{draft_dataset}"),
    Check("voter", "rounds", "/rounds"),
    Check("voter", "round", "/rounds/{current_round}"),
    Check("voter", "ballot", "/rounds/{current_round}/ballots/leuven", languages=BOTH),
    Check(
        "voter",
        "ballot-refused",
        "/rounds/{current_round}/ballots/leuven",
        submit="button[name=action][value=save]",
        fill=("input.score-input", "9"),
        languages=BOTH,
    ),
    Check("voter", "results", "/rounds/{past_round}/results"),
    # A version-2 result: consensus and dissent, the cities' own weights, the capacity (each with its chart and table).
    Check("voter", "results-group", "/rounds/{group_round}/results", languages=BOTH),
    Check("voter", "cities", "/cities"),
    Check("voter", "city", "/cities/leuven", languages=BOTH),
    Check("voter", "charter-form", "/cities/leuven/charter?principle=3"),
    Check("voter", "maturity-form", "/cities/leuven/maturity/{year}", languages=BOTH),
    Check("voter", "account", "/account", languages=BOTH),
    Check("voter", "notifications", "/notifications", languages=BOTH),
    Check("voter", "notification-preferences", "/notifications/preferences", languages=BOTH),
    # A pilot's lead.
    Check("lead", "pilot", "/pilots/{pilot}", languages=EN),  # (a slow page: Dutch is the visitor's)
    Check("lead", "edit-pilot", "/pilots/{pilot}/edit", languages=BOTH),
    Check("lead", "new-milestone", "/pilots/{pilot}/milestones/new"),
    Check("lead", "edit-milestone", "/pilots/{pilot}/milestones/{milestone}"),
    Check("lead", "new-dataset", "/pilots/{pilot}/datasets/new", languages=BOTH),
    Check("lead", "edit-dataset", "/pilots/{pilot}/datasets/{pilot_dataset}"),
    # The steering committee.
    Check("steering", "dashboard", "/dashboard", languages=BOTH),
    Check("steering", "rounds", "/rounds"),
    Check("steering", "new-round", "/rounds/new"),
    Check("steering", "round-voting", "/rounds/{current_round}"),
    Check("steering", "round-draft", "/rounds/{draft_round}", languages=BOTH),
    Check("steering", "edit-round", "/rounds/{draft_round}/edit"),
    Check("steering", "criterion-form", "/rounds/{draft_round}/criteria/{criterion}"),
    Check("steering", "weights-form", "/rounds/{draft_round}/weights"),
    Check("steering", "confirm-close", "/rounds/{current_round}/confirm/closed", languages=BOTH),
    Check("steering", "results", "/rounds/{past_round}/results", languages=EN),  # (a slow page: Dutch is the voter's)
    Check("steering", "new-pilot", "/pilots/new"),
    Check("steering", "reports", "/reports"),
    Check("steering", "programme-report", "/reports/programme"),
    Check("steering", "city-report", "/reports/cities/gent", languages=BOTH),
    Check("steering", "exports", "/exports", languages=BOTH),
    # Administrators.
    Check("admin", "administration", "/admin/"),
    Check("admin", "users", "/admin/users", languages=BOTH),
    Check("admin", "new-user", "/admin/users/new"),
    Check("admin", "edit-user", "/admin/users/{user}"),
    Check("admin", "audit-log", "/admin/audit", languages=BOTH),
    Check("admin", "cities", "/admin/cities"),
    Check("admin", "edit-city", "/admin/cities/{city}"),
)
PARAMS = [
    pytest.param(check, language, id=check.ids(language))
    for language in LOCALES
    for check in CHECKS
    if language in check.languages
]

# Violations in files that are being reworked elsewhere: reported (and listed in the artifact), not failed, until
# they are fixed there. (rule, path, element) -> the fix. An entry that no longer occurs fails: remove it then.
KNOWN: dict[tuple[str, str, str], str] = {}


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        message = (
            f"axe-core is not installed ({AXE} is missing): run `make test` with npm installed, "
            "or `npm ci` in the project, to run the accessibility tests"
        )
        if REQUIRED:
            pytest.fail(message + " (BROWSER_TESTS_REQUIRED=1)")
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    """Replaces the suite's "empty tables before every test" for this module (see the module's docstring): its tests
    share the demo database that `demo_data` empties and seeds once."""
    yield


@pytest.fixture(scope="module")
def demo_data(app) -> dict[str, int]:
    """Empty the tables, seed the demo, add what the demo lacks (a draft challenge of Leuven with a dataset, a
    round in preparation, last year's round with a version-2 snapshot); return the ids the checked paths need."""
    empty_tables(app)
    with app.app_context():
        limiter.reset()
        seed()
        this_year = datetime.now(UTC).year
        leuven = db.session.scalar(select(City).where(City.slug == "leuven"))
        voter = accounts.find_user_by_email(ACCOUNTS["voter"])
        draft = challenge_service.create_challenge(
            voter,
            leuven.id,
            ChallengeData(
                "Toegankelijkheid van haltes in kaart",
                "Welke haltes zijn toegankelijk voor rolstoelgebruikers?",
                "Een beschrijving van het probleem.",
                "TRAN",
                "Iedereen kan een toegankelijke route plannen.",
                this_year,
            ),
        )
        draft_dataset = challenge_service.add_dataset(
            voter,
            draft.id,
            DatasetData(
                title="Haltes van De Lijn",
                holder_city_id=leuven.id,
                availability=Availability.OPEN,
                url="https://data.example/haltes",
                file_type="CSV",
                licence=LICENCE_MODELLICENTIE,
            ),
        )
        steering = accounts.find_user_by_email(ACCOUNTS["steering"])
        draft_round = voting.create_round(steering, voting.RoundData(title=f"Datapilots {this_year + 1}", year=this_year + 1))
        lead = accounts.find_user_by_email(ACCOUNTS["lead"])
        pilot = next(p for p in db.session.scalars(select(Pilot).order_by(Pilot.id)) if lead in p.leads)
        rounds = {r.year: r for r in db.session.scalars(select(Round))}
        group_round = rounds[max(year for year in rounds if year < this_year)].id
        version_2_snapshot(group_round)  # the cities' weights and a capacity that decides
        ids = {
            "challenge": db.session.scalar(
                select(Challenge.id).where(Challenge.title == "Realtime bezetting van parkeergarages")
            ),
            "draft": draft.id,
            "draft_dataset": draft_dataset.id,
            "current_round": rounds[this_year].id,
            "past_round": rounds[min(rounds)].id,
            "group_round": group_round,
            "draft_round": draft_round.id,
            "criterion": draft_round.criteria[0].id,
            "pilot": pilot.id,
            "milestone": pilot.milestones[0].id,
            "pilot_dataset": pilot.datasets[0].id,
            "user": voter.id,
            "city": leuven.id,
            "year": city_status.assessment_years()[-1],
        }
        assert all(ids.values()), ids
        assert db.session.get(User, voter.id).is_voter_of(leuven.id)
        db.session.remove()
    return ids


class Sessions:
    """One browser context per role and language, signed in once and reused by every page of that role."""

    def __init__(self, browser: Browser, base_url: str, axe_source: str) -> None:
        self.browser, self.base_url, self.axe_source = browser, base_url, axe_source
        self.pages: dict[tuple[str, str], Page] = {}
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def page(self, role: str, language: str) -> Page:
        key = (role, language)
        if key not in self.pages:
            context = self.browser.new_context(locale=LOCALES[language], viewport={"width": 1280, "height": 900})
            context.set_default_timeout(10_000)
            context.add_init_script(script=self.axe_source)  # see the module's docstring
            self.contexts.append(context)
            page = context.new_page()
            self._watch(page)
            # The language switch of the navigation bar: kept in the session, it wins over the account's language.
            page.goto(self.base_url + "/")
            with page.expect_navigation():
                page.locator(f"button[name=language][value={language}]").click()
            if role != "anonymous":
                page.goto(self.base_url + "/login")
                page.locator("input[name=email]").fill(ACCOUNTS[role])
                page.locator("input[name=password]").fill("pilot-demo")
                page.locator("input[name=password]").press("Enter")
                page.get_by_test_id("account-link").wait_for()
            self.pages[key] = page
        return self.pages[key]

    def _watch(self, page: Page) -> None:
        """Keep the page's errors (CSP violations, scripts failing, sub-resources refused), as the `page` fixture does."""

        def on_console(message) -> None:
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.errors.append(message.text)

        def on_response(response) -> None:
            if response.request.resource_type != "document" and response.status >= 400:
                self.errors.append(f"{response.status} for {response.url}")

        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", on_console)
        page.on("response", on_response)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture(scope="module")
def sessions(axe_source, browser, live_server, demo_data) -> Iterator[Sessions]:
    sessions = Sessions(browser, live_server, axe_source)
    yield sessions
    sessions.close()


@pytest.fixture(scope="module")
def report() -> Iterator[list[dict]]:
    """Every violation found, whatever its impact or tag, kept as a CI artifact."""
    found: list[dict] = []
    yield found
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")


def failing(violation: dict) -> bool:
    return violation["impact"] in FAILING_IMPACTS and any(tag in WCAG_TAGS for tag in violation["tags"])


def describe(violations: list[dict], nodes: int = 3) -> str:
    """Rule id, impact, help, its link and the first elements with what is wrong: enough to act on."""
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} [{violation['impact']}] {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"][:nodes]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary[:300]}")
            if node["related"]:
                lines.append(f"      related: {', '.join(node['related'][:3])}")
        if len(violation["nodes"]) > nodes:
            lines.append(f"    … and {len(violation['nodes']) - nodes} more elements")
    return "\n".join(lines)


def open_page(page: Page, url: str, check: Check) -> None:
    response = page.goto(url)
    if check.submit:
        if check.fill:
            page.locator(check.fill[0]).first.fill(check.fill[1])
        with page.expect_navigation() as navigation:
            page.locator(check.submit).click()
        response = navigation.value
    assert response is not None, url
    assert response.status == (400 if check.submit else check.status), f"{url} answered {response.status}"
    if check.submit:
        assert page.locator("[aria-invalid=true]").count() > 0, f"{url}: the refused form marks no field as invalid"


@pytest.mark.parametrize(("check", "language"), PARAMS)
def test_page_has_no_serious_accessibility_violations(check: Check, language: str, sessions, demo_data, report):
    sessions.errors.clear()
    page = sessions.page(check.role, language)
    url = sessions.base_url + check.path.format(**demo_data)
    open_page(page, url, check)
    assert page.locator("html").get_attribute("lang") == language
    page.wait_for_function(CHARTS_DRAWN)
    assert page.evaluate("typeof window.axe") == "object", "axe-core was not added to the page"
    violations = page.evaluate(RUN_AXE, [*WCAG_TAGS, "best-practice"])

    known = {(rule, target): fix for (rule, path, target), fix in KNOWN.items() if path == check.path}
    found = {(violation["id"], node["target"]) for violation in violations for node in violation["nodes"]}
    for violation in violations:
        excused = {
            node["target"]: known[violation["id"], node["target"]]
            for node in violation["nodes"]
            if (violation["id"], node["target"]) in known
        }
        report.append({"role": check.role, "page": check.name, "language": language, "url": url, **violation, "known": excused})

    serious = [
        {**violation, "nodes": [node for node in violation["nodes"] if (violation["id"], node["target"]) not in known]}
        for violation in violations
        if failing(violation)
    ]
    serious = [violation for violation in serious if violation["nodes"]]
    assert not serious, (
        f"{url} ({check.role}, {language}) has {len(serious)} serious or critical WCAG 2.1 A/AA violation(s):\n"
        + describe(serious)
    )
    fixed = [f"{rule} on {target}" for rule, target in known if (rule, target) not in found]
    assert not fixed, f"{url}: these known violations are gone, remove them from KNOWN: {fixed}"
    assert not sessions.errors, f"the page reported errors (CSP violations and failed resources show here): {sessions.errors}"
