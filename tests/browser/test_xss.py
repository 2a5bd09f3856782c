"""Stored and reflected XSS, in a real browser: payloads in every free-text field users can type, then every page
that shows them, visited by someone who may see it.

The browser context bypasses the Content-Security-Policy, so an injected handler or script would really run:
the test proves the escaping itself, not only the CSP behind it. A payload that runs sets ``window.__xss`` or
opens a dialog; besides, no element may carry an ``on…`` attribute or a ``javascript:`` address and no inline
script may exist. Plain-text fields must show the payload as the text it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page

from tests import attack_support
from tests.attack_support import PASSWORD, ROLES, World

# One payload per way out of a context; the names say where each would run from.
PAYLOADS = {
    "script": "<script>window.__xss='script'</script>",
    "img": "<img src=x onerror=\"window.__xss='img'\">",
    "svg": "<svg onload=\"window.__xss='svg'\">",
    "quote": "\"><img src=x onerror=window.__xss='quote'>",
    "apostrophe": "'><svg/onload=window.__xss='apostrophe'>",
    "close-script": "</script><script>window.__xss='close-script'</script>",
    "close-textarea": "</textarea><img src=x onerror=window.__xss='textarea'>",
    "close-title": "</title><img src=x onerror=window.__xss='title'>",
    "markdown-link": "[klik](javascript:window.__xss='markdown')",
    "markdown-image": "![x](javascript:window.__xss='image')",
    "html-link": "<a href=\"javascript:window.__xss='link'\">a</a>",
    "details": "<details open ontoggle=\"window.__xss='details'\">",
    "entity": "&lt;img src=x onerror=window.__xss='entity'&gt;",
    "data-url": "[d](data:text/html,<script>window.__xss='data'</script>)",
    "template": "{{7*7}} {{config.SECRET_KEY}}",
}
EVERYTHING = "\n\n".join(PAYLOADS.values())  # for long (Markdown) texts
P = PAYLOADS
HOSTILE_URL = "https://data.example.org/x?a=\"><img src=x onerror=window.__xss='url'>"

# Collected on every page: what ran, and what should never be in the DOM.
PROBE = r"""() => {
  const found = [];
  for (const element of document.querySelectorAll('*')) {
    for (const attribute of element.attributes) {
      if (attribute.name.startsWith('on')) found.push(`${element.tagName} ${attribute.name}`);
      // (Plotly draws heatmaps as data:image/png pictures: an image runs no script.)
      if (/^\s*(javascript:|vbscript:|data:(?!image\/(png|jpeg|gif|webp)))/i.test(attribute.value) && /href|src|action|data/.test(attribute.name)) {
        found.push(`${element.tagName} ${attribute.name}=${attribute.value.slice(0, 40)}`);
      }
    }
  }
  for (const script of document.querySelectorAll('script')) {
    if (!script.src && script.type !== 'application/json') found.push('inline script: ' + script.textContent.slice(0, 40));
  }
  for (const element of document.querySelectorAll('iframe, object, embed, base, meta[http-equiv]')) found.push(element.tagName);
  // static/js/charts.js marks a chart whose JSON data block does not parse (a payload that broke out of it would).
  for (const element of document.querySelectorAll('[data-chart-error]')) found.push('chart error');
  return {xss: window.__xss === undefined ? null : String(window.__xss), found};
}"""


@pytest.fixture
def world(app, live_server) -> World:
    """The attack world with a payload in every free-text field."""
    world = attack_support.world(app)
    with app.app_context():
        _inject(world)
    return world


def _inject(w: World) -> None:
    from pilots.extensions import db
    from pilots.models import (
        Ballot,
        CandidateDataset,
        Challenge,
        CharterStatus,
        City,
        Comment,
        CoSponsorship,
        Criterion,
        DatasetCheck,
        MaturityAssessment,
        MaturityScore,
        Milestone,
        MilestoneCity,
        Pilot,
        PublishedDataset,
        Round,
        User,
    )
    from pilots.services import audit, voting, workspaces
    from pilots.services import challenges as challenge_service

    session = db.session
    user = {role: session.get(User, user_id) for role, user_id in w.user.items()}
    # People and cities (their names are everywhere: lists, charts, the audit log).
    user["voter"].name = P["img"]
    user["lead"].name = P["quote"]
    user["staff"].name = P["close-title"]
    gent = session.get(City, w.city["gent"])
    gent.name, gent.province = "Gent " + P["svg"], P["apostrophe"]
    session.get(City, w.city["turnhout"]).name = "Turnhout " + P["close-script"]
    # The challenge, its dataset, co-sponsor and comments.
    challenge = session.get(Challenge, w.challenge)
    challenge.title, challenge.summary = P["quote"], P["template"]
    challenge.description = challenge.expected_impact = challenge.screening_reason = EVERYTHING
    candidate = session.get(CandidateDataset, w.candidate)
    candidate.title, candidate.holder_name, candidate.standard = P["img"], P["apostrophe"], P["svg"]
    candidate.description, candidate.url, candidate.holder_city_id = EVERYTHING, HOSTILE_URL, None
    for note in session.scalars(sa.select(CoSponsorship).where(CoSponsorship.challenge_id == w.challenge)):
        note.note = P["close-textarea"]
    session.get(Comment, w.comment).body = EVERYTHING
    for title, number in zip(attack_support.NEXT_YEAR_TITLES, ("script", "close-script", "svg"), strict=True):
        session.scalar(sa.select(Challenge).where(Challenge.title == title)).title = P[number]
    session.get(Challenge, w.draft).title = P["close-textarea"]
    # The parking pilot: title, goal, milestones, a blocked city, datasets and a check's evidence.
    pilot = session.get(Pilot, w.pilot)
    pilot.title, pilot.goal = P["close-title"], EVERYTHING
    milestone = session.get(Milestone, w.milestone)
    milestone.title, milestone.description = P["close-script"], EVERYTHING
    for row in session.scalars(sa.select(MilestoneCity).where(MilestoneCity.blocked_reason.is_not(None))):
        row.blocked_reason = P["img"]
    dataset = session.get(PublishedDataset, w.dataset)
    dataset.title_nl = dataset.title_en = P["quote"]
    dataset.description_nl = dataset.description_en = EVERYTHING
    dataset.conforms_to, dataset.keywords = P["svg"], P["apostrophe"] + ", " + P["img"]
    dataset.access_url = dataset.download_url = HOSTILE_URL
    check = session.scalars(sa.select(DatasetCheck).where(DatasetCheck.dataset_id == w.dataset)).first()
    report = dict(check.report)
    report["checks"] = [{**item, "evidence": P["close-script"]} for item in report["checks"]]
    report["url"] = report["final_url"] = HOSTILE_URL
    check.report = report
    # Rounds: titles, criteria, a ballot note.
    for round_id in (w.voting_round, w.published_round, w.draft_round):
        session.get(Round, round_id).title = P["close-title"]
    for criterion in session.scalars(sa.select(Criterion).where(Criterion.round_id.in_((w.published_round, w.draft_round)))):
        criterion.name_nl = criterion.name_en = P["img"] + str(criterion.id)
        criterion.description_nl = criterion.description_en = EVERYTHING
    # City status: the charter and the self-assessment notes.
    for status in session.scalars(sa.select(CharterStatus).where(CharterStatus.city_id == w.city["gent"])):
        status.note = P["quote"]
    assessments = sa.select(MaturityAssessment.id).where(MaturityAssessment.city_id == w.city["gent"])
    for score in session.scalars(sa.select(MaturityScore).where(MaturityScore.assessment_id.in_(assessments))):
        score.note = P["apostrophe"]
    audit.record(user["admin"], "challenge.updated", "challenge", w.challenge, title=EVERYTHING)
    session.commit()
    # Through the services: a pilot update, a hidden comment, a ballot note and the committee's justification.
    workspaces.post_update(user["lead"], w.pilot, EVERYTHING)
    hidden = challenge_service.add_comment(user["other_staff"], w.challenge, P["svg"])
    challenge_service.hide_comment(user["admin"], w.challenge, hidden.id, P["quote"])
    round_ = voting.get_round(w.voting_round)
    ballot = session.scalar(sa.select(Ballot).where(Ballot.round_id == w.voting_round, Ballot.city_id == w.city["gent"]))
    cells = (
        {(w.voting_entries[-1], w.voting_criteria[0]): "3"}
        if w.voting_entries[-1] not in voting.excluded_cells(round_, ballot)
        else {}
    )
    notes = {entry: EVERYTHING[:900] for entry in w.voting_entries}
    voting.save_ballot(user["voter"], w.voting_round, w.city["gent"], voting.BallotInput(cells, notes), ballot.version)
    voting.confirm_selection(user["steering"], w.published_round, list(w.published_entries[1:]), EVERYTHING)  # overridden


@pytest.fixture
def browse(browser, live_server) -> Iterator:
    """A page in a context that ignores the CSP (so injected script would run), and a function that signs in as a
    role, opens a page and returns what the probe found there."""
    context = browser.new_context(locale="nl-BE", bypass_csp=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    state = {"role": None}

    def visit(role: str, path: str, *texts: str) -> dict:
        if state["role"] != role:
            context.clear_cookies()
            if ROLES[role]:
                _sign_in(page, live_server, ROLES[role])
            state["role"] = role
        response = page.goto(live_server + path)
        assert response is not None and response.status < 500, (path, response and response.status)
        page.wait_for_load_state("load")
        result = page.evaluate(PROBE)
        body = page.inner_text("body")
        return {**result, "path": path, "status": response.status, "missing": [t for t in texts if t not in body]}

    yield page, visit, dialogs, errors
    context.close()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def _clean(results: list[dict], dialogs: list[str], errors: list[str]) -> None:
    bad = [r for r in results if r["xss"] or r["found"] or r["missing"]]
    assert bad == [], bad
    assert dialogs == []
    assert errors == []


def test_stored_payloads_stay_text_for_visitors_and_city_staff(world, browse):
    page, visit, dialogs, errors = browse
    w = world
    results = [
        visit("anonymous", "/"),
        visit("anonymous", "/challenges", P["quote"]),
        visit("anonymous", f"/challenges/{w.challenge}", P["quote"], P["template"], P["close-textarea"]),
        visit("anonymous", "/pilots", P["close-title"]),
        visit("anonymous", f"/pilots/{w.pilot}", P["close-title"], P["quote"], P["close-script"]),
        visit("voter", f"/challenges/{w.challenge}", P["quote"], P["img"], P["apostrophe"]),
        visit("voter", f"/challenges/{w.challenge}/edit"),
        visit("voter", f"/challenges/{w.challenge}/datasets/{w.candidate}"),
        visit("voter", f"/challenges/{w.challenge}/comments/{w.comment}/edit"),
        visit("voter", "/challenges/my-city", P["close-textarea"]),
        visit("voter", f"/pilots/{w.pilot}", P["img"], P["close-script"]),
        visit("voter", f"/pilots/{w.pilot}/datasets/{w.dataset}"),
        visit("voter", "/cities", "Gent " + P["svg"]),
        visit("voter", "/cities/gent", P["quote"], P["apostrophe"]),
        visit("voter", "/cities/gent/charter?principle=1"),
        visit("voter", f"/cities/gent/maturity/{w.maturity_year}"),
        visit("voter", "/rounds", P["close-title"]),
        visit("voter", f"/rounds/{w.voting_round}", P["close-title"]),
        visit("voter", f"/rounds/{w.voting_round}/ballots/gent"),
        visit("voter", f"/rounds/{w.published_round}/results", P["script"], P["close-script"]),
        visit("voter", f"/rounds/{w.published_round}/ballots/gent"),
        visit("voter", "/dashboard"),
        visit("voter", "/reports/programme", P["close-title"]),
        visit("voter", "/reports/cities/gent"),
        visit("voter", "/account"),
    ]
    # The template payload is text, not evaluated, and the secret it asks for is nowhere.
    page.goto(page.url)
    assert "testing-secret-key" not in page.content()
    _clean(results, dialogs, errors)


def test_stored_payloads_stay_text_for_the_committee_and_administrators(world, browse):
    _page, visit, dialogs, errors = browse
    w = world
    results = [
        visit("steering", f"/challenges/{w.challenge}", P["quote"]),
        visit("steering", f"/rounds/{w.draft_round}", P["close-title"]),
        visit("steering", f"/rounds/{w.draft_round}/edit"),
        visit("steering", f"/rounds/{w.draft_round}/criteria/{w.criterion}"),
        visit("steering", f"/rounds/{w.draft_round}/weights"),
        visit("steering", f"/rounds/{w.published_round}/results"),
        visit("steering", f"/pilots/{w.pilot}/edit"),
        visit("steering", f"/pilots/{w.pilot}/milestones/{w.milestone}"),
        visit("steering", "/dashboard", "Gent " + P["svg"]),
        visit("steering", "/exports"),
        visit("admin", "/admin/"),
        visit("admin", "/admin/users", P["img"], P["quote"], P["close-title"]),
        visit("admin", f"/admin/users/{w.user['voter']}"),
        visit("admin", "/admin/cities", "Gent " + P["svg"]),
        visit("admin", f"/admin/cities/{w.city['gent']}"),
        visit("admin", "/admin/audit"),
        visit("admin", f"/challenges/{w.challenge}", P["quote"]),
    ]
    _clean(results, dialogs, errors)


def test_reflected_payloads_stay_text(world, browse):
    """What a visitor puts in the address comes back as text: search boxes, filters, the sign-in's next."""
    _page, visit, dialogs, errors = browse
    q = "%22%3E%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D1%3E"  # "><img src=x onerror=window.__xss=1>
    results = [
        visit("anonymous", f"/challenges?q={q}&city={q}&theme={q}&status={q}&sort={q}&year={q}"),
        visit("anonymous", f"/pilots?city={q}&status={q}&year={q}"),
        visit("anonymous", f"/login?next={q}"),
        visit("anonymous", "/login?next=javascript:window.__xss%3D2"),
        visit("anonymous", f"/nothing-here-{q}"),
        visit("voter", f"/dashboard?city={q}&year={q}&theme={q}"),
        visit("voter", f"/reports/programme?as_of={q}"),
        visit("voter", f"/exports?city={q}&year={q}"),
        visit("voter", f"/cities/gent?year={q}"),
        visit("admin", f"/admin/users?q={q}"),
        visit("admin", f"/admin/audit?action={q}&object_type={q}"),
    ]
    _clean(results, dialogs, errors)


def test_payloads_typed_into_the_real_forms_stay_text(world, browse, app):
    """A comment, a challenge title and a person's name, typed and saved through the forms."""
    page, visit, dialogs, errors = browse
    w = world
    visit("voter", f"/challenges/{w.challenge}")
    page.locator("textarea[name=body]").fill(P["close-textarea"] + "\n\n" + P["markdown-link"] + " " + P["img"])
    page.locator("form:has(textarea[name=body]) [type=submit]").click()
    page.wait_for_load_state("load")
    results = [visit("voter", f"/challenges/{w.challenge}", P["close-textarea"])]

    visit("voter", f"/challenges/{w.challenge}/edit")
    page.locator("input[name=title]").fill(P["apostrophe"])
    page.locator("form:has(input[name=title]) [type=submit]").click()
    page.wait_for_load_state("load")
    results.append(visit("voter", f"/challenges/{w.challenge}", P["apostrophe"]))

    visit("admin", f"/admin/users/{w.user['staff']}")
    page.locator("input[name=name]").fill(P["svg"])
    page.locator("form:has(input[name=name]) [type=submit]").first.click()
    page.wait_for_load_state("load")
    results.append(visit("admin", "/admin/users", P["svg"]))
    results.append(visit("admin", f"/admin/users/{w.user['staff']}"))

    with app.app_context():
        from pilots.extensions import db
        from pilots.models import Challenge, Comment, User

        assert db.session.get(Challenge, w.challenge).title == P["apostrophe"]  # saved, as typed
        assert db.session.get(User, w.user["staff"]).name == P["svg"]
        bodies = db.session.scalars(sa.select(Comment.body).where(Comment.challenge_id == w.challenge)).all()
        assert any(P["close-textarea"] in body for body in bodies)
    _clean(results, dialogs, errors)


def test_the_probe_catches_a_payload_that_runs(browse, live_server):
    """The control: in this context (CSP bypassed) an injected handler does run, and the probe reports it."""
    page, visit, dialogs, _errors = browse
    visit("anonymous", "/")
    page.evaluate("""() => document.body.insertAdjacentHTML('beforeend', `<img src=x onerror="window.__xss='canary'">`)""")
    page.wait_for_function("window.__xss !== undefined")
    result = page.evaluate(PROBE)
    assert result["xss"] == "canary"
    assert result["found"] == ["IMG onerror"]
    page.evaluate("""() => document.body.insertAdjacentHTML('beforeend', `<a href="javascript:alert(1)">x</a>`)""")
    with page.expect_event("dialog"):
        page.get_by_role("link", name="x", exact=True).click()
    assert dialogs == ["1"]
