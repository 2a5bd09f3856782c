"""The full cycle of a programme year (issue 7), in real browsers against gunicorn on PostgreSQL.

The platform starts with only the 14 cities and their accounts (the first two steps of the demo data), so every
challenge, round, ballot, pilot, milestone and dataset on the final dashboard and report was made in this test,
through the browser, by the person whose job it is:

1. the steering committee creates the next year's round and derives its criteria weights from pairwise
   comparisons (AHP), then opens the proposals;
2. Gent, Leuven and Kortrijk each propose a challenge with a candidate dataset and submit it; the committee
   screens the three as eligible;
3. voting opens, and the voters of all 14 cities (13 centrumsteden and the VGC) fill in and submit their ballots;
4. the committee closes voting and publishes the results, with their robustness (rank acceptability, other
   methods, leaving out one city);
5. the committee confirms the two selected challenges: they become pilots, and it appoints a pilot lead;
6. the lead adds milestones; Antwerpen and Mechelen ask to join, are accepted, register the dataset they publish,
   check it against a local endpoint, reach the "published" stage and finish their own milestone;
7. the dashboard and the programme's progress report show all of it, read in Dutch and then in English.

Everyone works in Dutch (the browsers prefer nl-BE), each person in a browser context of their own (voters with
nothing more to do close theirs). Screenshots of every step: ``<TEST_ARTIFACTS_DIR>/proof/full-cycle/NN-step.png``.

``make proof`` runs it with the rest of the proof. Alone, on a database and Redis of its own (both are wiped):
``PROOF=1 PROOF_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/proof_journey
PROOF_REDIS_URL=redis://127.0.0.1:6379/13 .venv/bin/pytest tests/proof/test_full_cycle.py``. Its 16 sign-ins
from one address: well within the default per-address limit (50 per 15 minutes), so no limit is changed.

The local dataset endpoint answers over plain HTTP (the checker trusts only certifi's certificate authorities, so
no local HTTPS server can pass), so each check is recorded as failing on ``https`` alone, with every other check
passing; the dashboard counts those datasets as checked and failing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from pilots.demo.accounts import CITIES
from pilots.services.workspaces import today
from tests.browser.conftest import launched_chromium
from tests.proof.journey import DatasetEndpoint, Journey, Person, nav, seed_cities_and_accounts, status
from tests.proof.server import Gunicorn, proof_database_url

YEAR = datetime.now(UTC).year + 1  # the year the new-round form suggests: next year's round
ROUND = f"Datapilots {YEAR}"
TODAY = today()
VOTERS = [(slug, name) for name, slug, *_ in CITIES]  # the 14 cities, alphabetically, each with one voter

CRITERIA = ("Impact voor burgers", "Haalbaarheid", "Beschikbaarheid van data", "Relevant voor meerdere steden", "Kost")
#: The committee's pairwise comparisons (A, B) -> the option chosen; pairs left out stay "Even belangrijk (1)".
JUDGEMENTS = {
    ("Impact voor burgers", "Haalbaarheid"): "A is matig belangrijker (3)",
    ("Impact voor burgers", "Beschikbaarheid van data"): "A is matig belangrijker (3)",
    ("Impact voor burgers", "Kost"): "A is sterk belangrijker (5)",
    ("Haalbaarheid", "Relevant voor meerdere steden"): "B is matig belangrijker (1/3)",
    ("Haalbaarheid", "Kost"): "A is matig belangrijker (3)",
    ("Beschikbaarheid van data", "Relevant voor meerdere steden"): "B is matig belangrijker (1/3)",
    ("Beschikbaarheid van data", "Kost"): "A is matig belangrijker (3)",
    ("Relevant voor meerdere steden", "Kost"): "A is sterk belangrijker (5)",
}
WEIGHTS = ["34.3%", "12.9%", "12.9%", "34.3%", "5.5%"]  # the principal eigenvector of those comparisons
CONSISTENCY = "0,01"  # Dutch writes a decimal comma


@dataclass(frozen=True)
class Proposal:
    slug: str
    city: str
    title: str
    summary: str
    theme: str
    dataset: str
    availability: str
    url: str | None
    file_type: str | None
    licence: str | None
    frequency: str
    realtime: bool
    stars: str
    scores: tuple[int, ...]  # what the other cities typically score it, per criterion (cost: high = expensive)


GENT = Proposal(
    "gent",
    "Gent",
    "Vrije plaatsen in de parkeergarages in realtime",
    "Bezoekers rijden rondjes op zoek naar een vrije plaats; de garages kennen hun bezetting, maar delen ze niet.",
    "Mobiliteit en vervoer",
    "Bezetting parkeergarages Gent",
    "Gepubliceerd als open data",
    "https://data.stad.gent/explore/dataset/bezetting-parkeergarages-real-time",
    "JSON",
    "Vlaamse Modellicentie Gratis Hergebruik",
    "Continu (realtime)",
    True,
    "3 sterren van 5",
    (5, 4, 4, 5, 2),
)
LEUVEN = Proposal(
    "leuven",
    "Leuven",
    "Luchtkwaliteit rond scholen meten en delen",
    "Ouders en scholen willen weten hoe gezond de lucht in de schoolstraten is.",
    "Milieu",
    "Luchtkwaliteitsmetingen schoolomgevingen",
    "Bestaat, alleen intern",
    None,
    "CSV",
    None,
    "Elk uur",
    False,
    "0 sterren van 5",
    (4, 4, 3, 4, 2),
)
KORTRIJK = Proposal(
    "kortrijk",
    "Kortrijk",
    "Vulgraad van ondergrondse afvalcontainers",
    "Containers worden op vaste dagen geleegd, vol of niet; sensoren kunnen de ophaalrondes sturen.",
    "Milieu",
    "Vulgraadsensoren ondergrondse containers",
    "Nog niet verzameld",
    None,
    None,
    None,
    "Dagelijks",
    False,
    "0 sterren van 5",
    (3, 2, 2, 2, 4),
)
PROPOSALS = (GENT, LEUVEN, KORTRIJK)
#: Voters differ a little: each score moves by up to one point, differently per city, challenge and criterion.
NUDGES = (0, 1, 0, -1, 0)

#: The workspace of Gent's pilot: its lead, two milestones, and the two cities that join and publish.
LEAD = ("lead@demo.local", "Lotte Pilootleider")
SHARED_MILESTONE = "Gemeenschappelijk datamodel voor parkeerbezetting afgesproken"
CITY_MILESTONE = "Realtime parkeerbezetting gepubliceerd als open data"
JOINERS = (("antwerpen", "Antwerpen"), ("mechelen", "Mechelen"))
PROGRESS = round(100 * (1 * 1 + 2 * 2 / 3) / 3)  # shared (weight 1) done; per city (weight 2): 2 of 3 cities done
MILESTONES_DONE = 3 + 2  # the shared one for Gent, Antwerpen and Mechelen; the per-city one for the last two


def dataset_titles(city: str) -> tuple[str, str]:
    return f"Realtime bezetting parkeergarages {city}", f"Real-time occupancy of the car parks of {city}"


def score(voter: int, proposal: int, criterion: int) -> str:
    base = PROPOSALS[proposal].scores[criterion]
    return str(min(5, max(1, base + NUDGES[(voter + proposal + criterion) % 5])))


# --- the fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def endpoint() -> Iterator[DatasetEndpoint]:
    with DatasetEndpoint() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def server(artifacts, endpoint) -> Iterator[Gunicorn]:
    """gunicorn on a freshly migrated database holding only the 14 cities and the demo accounts; the conformance
    checker may reach the local dataset endpoint (its address and port only)."""
    server = Gunicorn(
        database_url=proof_database_url(),
        log_dir=artifacts / "logs",
        env_overrides={"CONFORMANCE_ALLOW": endpoint.allow},
    )
    server.prepare(seed=False)
    assert seed_cities_and_accounts(server) == (14, 18)  # 3 programme accounts, Lotte's Gent role, 14 voters
    with server:
        yield server


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, as for the browser tests (checked before the server is set up)."""
    with launched_chromium("the journey") as browser:
        yield browser


@pytest.fixture(scope="module")
def journey(chromium, server, artifacts) -> Journey:
    return Journey(chromium, server.base, artifacts / "full-cycle")


# --- small steps ---------------------------------------------------------------------------------------------------


#: The steps that cannot be undone: the round page's link leads to a page that says what they freeze, and its button.
CONFIRMED_STEPS = {
    "Stemming openen (legt de stembrief vast)": ("Stemming openen", "Ja, open de stemming"),
    "Stemming sluiten en resultaat berekenen": ("Stemming sluiten en resultaat berekenen", "Ja, sluit de stemming"),
    "Resultaten publiceren": ("Resultaten publiceren", "Ja, publiceer de resultaten"),
}


def advance(page: Page, button: str, phase: str) -> None:
    committee = page.get_by_role("region", name="Stuurgroep")
    if button in CONFIRMED_STEPS:
        heading, confirm = CONFIRMED_STEPS[button]
        committee.get_by_role("link", name=button).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.get_by_role("region", name="Wat deze stap doet")).to_be_visible()
        page.get_by_role("button", name=confirm).click()
    else:
        committee.get_by_role("button", name=button).click()
    expect(status(page)).to_contain_text("De ronde is naar de volgende fase gegaan.")
    expect(page.locator("[aria-current='step']")).to_contain_text(phase)


def open_round(page: Page) -> None:
    nav(page).get_by_role("link", name="Stemmen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stemrondes")
    page.get_by_role("link", name=ROUND, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND)


def open_pilot(page: Page, title: str) -> None:
    nav(page).get_by_role("link", name="Pilots", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pilots")
    page.get_by_role("table").get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def show_table(region: Locator) -> None:
    """Charts keep their data in a table behind a disclosure: open it."""
    region.locator("summary").first.click()


def section(page: Page, heading: str) -> Locator:
    """The part of a report under this heading."""
    return page.get_by_role("heading", name=heading, exact=True).locator("xpath=parent::section")


def figure(page: Page, name: str) -> Locator:
    return page.locator(f"[data-figure='{name}']")


# --- 1. the round ---------------------------------------------------------------------------------------------------


def create_round(j: Journey, steering: Person) -> int:
    page = steering.page
    nav(page).get_by_role("link", name="Stemmen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stemrondes")
    page.get_by_role("link", name="Nieuwe ronde").click()
    expect(page.get_by_label("Titel")).to_have_value(ROUND)
    expect(page.get_by_label("Jaar")).to_have_value(str(YEAR))
    expect(page.get_by_label("Te selecteren pilots")).to_have_value("2")
    j.shot(page, "steering committee opens the new round form")
    page.get_by_role("button", name="Bewaren").click()
    expect(status(page)).to_contain_text("Ronde aangemaakt met de voorgestelde criteria.")
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND)
    weights = page.get_by_role("table", name="Criteria en hun gewichten")
    expect(weights.locator("tbody strong")).to_have_text(list(CRITERIA))
    expect(weights.locator("tbody td:nth-child(2)")).to_have_text(["20.0%"] * 5)
    round_id = int(re.search(r"/rounds/(\d+)$", page.url).group(1))

    page.get_by_role("link", name="Gewichten afleiden uit paarsgewijze vergelijkingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gewichten uit paarsgewijze vergelijkingen")
    expect(page.get_by_role("combobox")).to_have_count(10)
    for (a, b), choice in JUDGEMENTS.items():
        page.get_by_label(f"A = {a}, B = {b}").select_option(label=choice)
    j.shot(page, "pairwise comparisons of the criteria")
    page.get_by_role("button", name="Gewichten afleiden").click()
    expect(status(page)).to_contain_text(f"Gewichten afgeleid uit de vergelijkingen (consistentieratio {CONSISTENCY}).")
    expect(weights.locator("tbody td:nth-child(2)")).to_have_text(WEIGHTS)
    expect(
        page.get_by_text(f"Gewichten afgeleid uit paarsgewijze vergelijkingen; consistentieratio {CONSISTENCY}.")
    ).to_be_visible()
    advance(page, "Voorstellen openen", "Voorstellen open")
    j.shot(page, "weights derived and proposals open")
    return round_id


# --- 2. the proposals -----------------------------------------------------------------------------------------------


def propose(j: Journey, city: Person, proposal: Proposal) -> None:
    page = city.page
    nav(page).get_by_role("link", name="Uitdagingen").click()
    page.get_by_role("link", name="Uitdaging voorstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitdaging voorstellen")
    expect(page.get_by_label("Voorstellende stad").locator("option:checked")).to_have_text(proposal.city)
    page.get_by_label("Titel", exact=True).fill(proposal.title)
    page.get_by_label("Samenvatting").fill(proposal.summary)
    page.get_by_label("Beschrijving van het probleem").fill(f"{proposal.summary}\n\n- in {proposal.city}\n- en elders")
    page.get_by_label("Thema").select_option(label=proposal.theme)
    page.get_by_label("Verwachte impact").fill("Burgers en de stadsdiensten beslissen met actuele gegevens.")
    page.get_by_label("Jaar").select_option(label=str(YEAR))
    page.get_by_role("button", name="Bewaren").click()
    expect(status(page)).to_contain_text("Ontwerp bewaard.")
    expect(page.get_by_text(f"Voorgesteld door {proposal.city} voor {YEAR}")).to_be_visible()

    page.get_by_role("link", name="Kandidaat-dataset toevoegen").click()
    page.get_by_label("Titel van de dataset").fill(proposal.dataset)
    page.get_by_label("Beschrijving", exact=True).fill(f"De gegevens die {proposal.city} hiervoor heeft of wil hebben.")
    expect(page.get_by_label("Beheerd door een stad").locator("option:checked")).to_have_text(proposal.city)
    page.get_by_label("Beschikbaarheid").select_option(label=proposal.availability)
    if proposal.url:
        page.get_by_label("Webadres (URL)").fill(proposal.url)
    if proposal.file_type:
        page.get_by_label("Formaat").select_option(label=proposal.file_type)
    if proposal.licence:
        page.get_by_label("Licentie").select_option(label=proposal.licence)
    page.get_by_label("Updatefrequentie").select_option(label=proposal.frequency)
    if proposal.realtime:
        page.get_by_label("Realtime data").check()
    page.get_by_role("button", name="Dataset bewaren").click()
    expect(status(page)).to_contain_text("Dataset toegevoegd.")
    dataset = page.get_by_role("region", name=re.compile("^Kandidaat-datasets")).get_by_role("article")
    expect(dataset).to_have_count(1)
    expect(dataset.get_by_role("heading")).to_have_text(proposal.dataset)
    expect(dataset.get_by_role("img", name=proposal.stars)).to_be_visible()
    expect(dataset).to_contain_text(proposal.availability)

    page.get_by_role("button", name="Uitdaging indienen").click()
    expect(status(page)).to_contain_text("Uitdaging ingediend: andere steden kunnen ze nu zien, meesteunen en bespreken.")
    expect(page.get_by_role("heading", level=1).locator("xpath=following-sibling::div[1]")).to_have_text("Ingediend")
    j.shot(page, f"{proposal.slug} proposes a challenge with a candidate dataset")


def screen_eligible(steering: Person, proposal: Proposal) -> None:
    page = steering.page
    nav(page).get_by_role("link", name="Uitdagingen").click()
    page.get_by_role("table").get_by_role("link", name=proposal.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(proposal.title)
    screening = page.get_by_role("region", name="Screening")
    screening.get_by_label("Komt in aanmerking", exact=True).check()
    screening.get_by_label("Reden").fill("Een gedeeld probleem, met data binnen bereik.")
    screening.get_by_role("button", name="Screening bewaren").click()
    expect(status(page)).to_contain_text("Screening bewaard.")
    expect(page.get_by_role("note")).to_contain_text("Screening door de stuurgroep: Komt in aanmerking.")


# --- 3. the ballots -------------------------------------------------------------------------------------------------


def vote(j: Journey, voter: Person, index: int, slug: str, city: str, shots: bool) -> None:
    """On the round's page, the voter opens the city's ballot, fills in every cell it may score and submits it."""
    page = voter.page
    expect(page.get_by_role("heading", level=1)).to_have_text(ROUND)
    own = page.get_by_role("link", name=f"Stembrief van {city}")
    expect(own.locator("xpath=following-sibling::span")).to_have_text("nog niet ingediend")
    own.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Stembrief van {city}")
    grid = page.get_by_role("table", name=f"Scores van {city}: uitdagingen in de rijen, criteria in de kolommen")
    expected: dict[str, list[str]] = {}
    for p, proposal in enumerate(PROPOSALS):
        if proposal.slug == slug:  # a city does not score its own challenge
            own_row = grid.get_by_role("row").filter(has=page.get_by_role("link", name=proposal.title))
            expect(own_row.get_by_text("eigen", exact=True)).to_have_count(len(CRITERIA))
            continue
        values = [score(index, p, c) for c in range(len(CRITERIA))]
        for criterion, value in zip(CRITERIA, values, strict=True):
            page.get_by_label(f"{proposal.title}: {criterion}", exact=True).fill(value)
        expected[proposal.title] = values
    if shots:
        j.shot(page, f"{slug} fills in its ballot")
    page.get_by_role("button", name="Stembrief indienen").click()
    expect(status(page)).to_contain_text("Stembrief ingediend. Je kunt hem heropenen tot de stemming sluit.")
    expect(page.locator("p .badge")).to_have_text("Ingediend")
    expect(grid.locator("input.score-input")).to_have_count(0)  # read-only now, showing what was submitted
    for title, values in expected.items():
        row = grid.get_by_role("row").filter(has=page.get_by_role("link", name=title))
        expect(row.get_by_role("cell")).to_have_text([*values, ""])  # the scores, then the (empty) comment
    if shots:
        j.shot(page, f"{slug} submitted its ballot")


# --- 4. and 5. the results and the pilots ----------------------------------------------------------------------------


def read_results_and_confirm(j: Journey, steering: Person) -> None:
    page = steering.page
    page.get_by_role("link", name="Resultaten bekijken").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Resultaten van {ROUND}")
    expect(page.get_by_text("14 steden dienden hun stembrief in")).to_be_visible()
    computed = page.get_by_role("region", name="De berekende selectie")
    expect(computed.get_by_role("listitem")).to_have_text([re.compile(GENT.title), re.compile(LEUVEN.title)])

    ranking = page.get_by_role("region", name="Rangschikking", exact=True)
    expect(page.locator("#ranking-chart svg.main-svg").first).to_be_attached()
    show_table(ranking)
    table = ranking.get_by_role("table", name=re.compile("^Rangschikking van de uitdagingen"))
    expect(table.get_by_role("rowheader")).to_have_text([GENT.title, LEUVEN.title, KORTRIJK.title])
    for title, selected in ((GENT.title, "ja"), (LEUVEN.title, "ja"), (KORTRIJK.title, "nee")):
        cells = table.get_by_role("row").filter(has_text=title).get_by_role("cell")
        expect(cells.nth(2)).to_have_text("13")  # every city but the proposer scored it
        expect(cells.last).to_have_text(selected)
    j.shot(page, "results the ranking")

    robustness = page.get_by_role("region", name="Hoe robuust is de selectie?")
    expect(robustness.get_by_role("heading", name="Rangaanvaardbaarheid")).to_be_visible()
    expect(page.locator("#acceptability-chart svg.main-svg").first).to_be_attached()
    show_table(robustness)
    acceptability = robustness.get_by_role("table", name=re.compile("^Aandeel van de trekkingen"))
    # With every weight moved at random by up to ±20%, the same two challenges are selected every time.
    for title, share in ((GENT.title, "100,0"), (LEUVEN.title, "100,0"), (KORTRIJK.title, "0,0")):
        expect(acceptability.get_by_role("row").filter(has_text=title).get_by_role("cell").first).to_have_text(share)
    expect(
        robustness.get_by_text("De selectie verandert niet als je de stembrief van om het even welke stad weglaat.")
    ).to_be_visible()
    methods = robustness.get_by_role("table", name="De selectie volgens elke rangschikkingsmethode")
    expect(methods.get_by_role("row").filter(has_text="nee")).to_have_count(0)  # every other method agrees
    j.shot(page, "results how robust the selection is")

    page.get_by_role("link", name="De selectie nakijken en bevestigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Selectie bevestigen")
    form = page.get_by_role("form", name="De selectie")
    expect(form.get_by_role("checkbox", checked=True)).to_have_count(2)
    expect(form.get_by_label(f"{GENT.title} (rang 1)")).to_be_checked()
    expect(form.get_by_label(f"{LEUVEN.title} (rang 2)")).to_be_checked()
    expect(form.get_by_label(f"{KORTRIJK.title} (rang 3)")).not_to_be_checked()
    form.get_by_role("button", name="Selectie bevestigen").click()
    expect(status(page)).to_contain_text("De selectie is bevestigd: de geselecteerde uitdagingen zijn nu pilots.")
    confirmed = page.get_by_role("region", name="De bevestigde selectie")
    expect(confirmed.get_by_role("listitem")).to_have_text(
        [re.compile(rf"^{GENT.title}\s+· Gent$"), re.compile(rf"^{LEUVEN.title}\s+· Leuven$")]
    )
    expect(confirmed).to_contain_text("Bevestigd door Stijn Stuurgroep")
    j.shot(page, "the committee confirms two pilots")


def appoint_lead(j: Journey, steering: Person) -> None:
    page = steering.page
    nav(page).get_by_role("link", name="Pilots", exact=True).click()
    pilots = page.get_by_role("table", name="2 pilots")
    expect(pilots.get_by_role("link")).to_have_count(2)
    expect(pilots.get_by_role("link", name=LEUVEN.title, exact=True)).to_be_visible()
    pilots.get_by_role("link", name=GENT.title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(GENT.title)
    expect(page.get_by_text("Getrokken door Gent")).to_be_visible()
    cities = page.get_by_role("region", name="Deelnemende steden")
    expect(cities.get_by_role("row").filter(has_text="Gent")).to_contain_text("Trekker")
    leads = page.get_by_role("region", name="Pilootleiders")
    expect(leads).to_contain_text("Nog geen pilootleider aangesteld.")
    leads.get_by_label("E-mailadres van de nieuwe pilootleider").fill(LEAD[0])
    leads.get_by_role("button", name="Pilootleider toevoegen").click()
    expect(status(page)).to_contain_text("Pilootleider toegevoegd.")
    expect(page.get_by_role("region", name="Pilootleiders").get_by_role("listitem")).to_contain_text(LEAD[1])
    j.shot(page, "the committee appoints the pilot lead")


# --- 6. the pilot workspace -------------------------------------------------------------------------------------------


def add_milestone(page: Page, title: str, due_in_days: int, weight: str, per_city: bool) -> None:
    page.get_by_role("link", name="Mijlpaal toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nieuwe mijlpaal")
    page.get_by_label("Titel", exact=True).fill(title)
    page.get_by_label("Beschrijving").fill("Afgesproken op de startvergadering van de pilot.")
    page.get_by_label("Start", exact=True).fill(TODAY.isoformat())
    page.get_by_label("Uiterste datum").fill((TODAY + timedelta(days=due_in_days)).isoformat())
    if per_city:
        page.get_by_label("Per stad: elke deelnemende stad heeft haar eigen status").check()
    page.get_by_label("Gewicht in de voortgang van de pilot").fill(weight)
    page.get_by_role("button", name="Mijlpaal bewaren").click()
    expect(status(page)).to_contain_text("Mijlpaal toegevoegd.")


def milestone_row(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name="Mijlpalen").locator("tr[id^='milestone-']").filter(has_text=title)


def lead_adds_milestones(j: Journey, lead: Person) -> None:
    page = lead.page
    open_pilot(page, GENT.title)
    add_milestone(page, SHARED_MILESTONE, 30, "1", per_city=False)
    add_milestone(page, CITY_MILESTONE, 90, "2", per_city=True)
    expect(page.locator("#gantt-chart .main-svg").first).to_be_visible()  # the timeline is drawn
    shared = milestone_row(page, SHARED_MILESTONE)
    shared.get_by_label("Status", exact=True).select_option(label="Klaar")
    shared.get_by_role("button", name=f"Bijwerken {SHARED_MILESTONE}").click()
    expect(status(page)).to_contain_text("Mijlpaal bijgewerkt.")
    expect(shared).to_contain_text(f"klaar op {TODAY.isoformat()}")
    expect(shared.locator("td").last).to_have_text("100%")
    expect(milestone_row(page, CITY_MILESTONE)).to_contain_text("per stad")
    expect(page.get_by_label("Status voor Gent")).to_have_value("planned")  # only Gent takes part so far
    expect(page.get_by_role("progressbar", name="Voortgang")).to_have_attribute("aria-valuenow", str(round(100 / 3)))
    j.shot(page, "the lead adds the milestones")


def ask_to_join(j: Journey, city: Person, name: str) -> None:
    page = city.page
    open_pilot(page, GENT.title)
    cities = page.get_by_role("region", name="Deelnemende steden")
    expect(cities.get_by_label("Stad").locator("option:checked")).to_have_text(name)
    cities.get_by_label("Rol").select_option(label="Deelnemer")
    cities.get_by_role("button", name="Deelname aanvragen").click()
    expect(status(page)).to_contain_text("Jouw stad vroeg om deel te nemen; de pilootleider antwoordt.")
    expect(page.get_by_role("region", name="Deelnemende steden").get_by_role("row").filter(has_text=name)).to_contain_text(
        "deelname gevraagd"
    )
    if name == JOINERS[0][1]:
        j.shot(page, f"{name} asks to join the pilot")


def lead_accepts(j: Journey, lead: Person) -> None:
    page = lead.page
    page.reload()
    for _, name in JOINERS:
        page.get_by_role("region", name="Deelnemende steden").get_by_role("button", name=f"Aanvaarden {name}").click()
        expect(status(page)).to_contain_text("Stad aanvaard.")
        row = page.get_by_role("region", name="Deelnemende steden").get_by_role("row").filter(has_text=name)
        expect(row).to_contain_text("Deelnemer")
        expect(row).not_to_contain_text("deelname gevraagd")
        # The per-city milestone now has a row for the city.
        expect(page.get_by_label(f"Status voor {name}")).to_have_value("planned")
    j.shot(page, "the lead accepts antwerpen and mechelen")


def publish_and_check(j: Journey, city: Person, slug: str, name: str, endpoint: DatasetEndpoint) -> None:
    page = city.page
    title_nl, title_en = dataset_titles(name)
    access_url = endpoint.url(slug)
    page.reload()
    datasets = page.get_by_role("region", name="Gepubliceerde datasets")
    datasets.get_by_role("link", name="Gepubliceerde dataset registreren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gepubliceerde dataset registreren")
    expect(page.get_by_label("Publicerende stad")).to_have_text(name)
    page.get_by_label("Titel (Nederlands)").fill(title_nl)
    page.get_by_label("Titel (Engels)").fill(title_en)
    page.get_by_label("Beschrijving (Nederlands)").fill("Vrije plaatsen per parkeergarage, elke minuut bijgewerkt.")
    page.get_by_label("Beschrijving (Engels)").fill("Free spaces per car park, updated every minute.")
    page.get_by_label("Toegangs-URL").fill(access_url)
    page.get_by_label("Formaat").select_option(label="RDF Turtle")
    page.get_by_label("Licentie").select_option(label="Vlaamse Modellicentie Gratis Hergebruik")
    page.get_by_label("Updatefrequentie").select_option(label="Continu (realtime)")
    page.get_by_label("Realtime data").check()
    page.get_by_label("Volgt de standaard").fill("OSLO Parkeren")
    page.get_by_label("Trefwoorden").fill("parkeren, bezetting, realtime")
    page.get_by_label("Uitgegeven op").fill(TODAY.isoformat())
    page.get_by_role("button", name="Dataset bewaren").click()
    expect(status(page)).to_contain_text("Dataset geregistreerd. Toets hem aan de technische principes.")

    dataset = page.get_by_role("article", name=title_nl)
    expect(dataset.locator(".badge")).to_have_text("nog niet gecontroleerd")
    generated = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    endpoint.generated = generated  # real-time data: the endpoint has just generated what it serves
    dataset.get_by_role("button", name=f"Nu controleren {title_nl}").click()
    # The check runs in the worker (flask worker, queue in Redis), not in the request.
    expect(status(page)).to_contain_text("De controle is gestart. De checklist verschijnt hier binnen een minuut")
    dataset = page.get_by_role("article", name=title_nl)
    expect(dataset.get_by_role("button", name=f"Nu controleren {title_nl}")).to_be_disabled()
    reload_until_checked(page, dataset)
    expect(dataset.locator(".badge")).to_have_text("slaagt niet voor alle controles")
    dataset.get_by_text(re.compile(r"^Checklist van ")).click()
    checklist = dataset.get_by_role("table", name="Conformiteitscontroles")
    results = {
        "reachable": "geslaagd",
        "https": "niet geslaagd",
        "cors": "geslaagd",
        "caching": "geslaagd",
        "media_type": "geslaagd",
        "rdf_parses": "geslaagd",
        "content_negotiation": "geslaagd",
        "licence": "geslaagd",
        "generated_at": "geslaagd",
        "history_links": "geslaagd",
        "freshness": "geslaagd",
    }
    names = checklist.locator("tbody tr td:first-child")
    assert names.evaluate_all("cells => cells.map(cell => cell.title)") == list(results)  # each check named in words
    expect(names.first).to_have_text("Bereikbaar")
    expect(checklist.locator("tbody tr td:nth-child(2)")).to_have_text(list(results.values()))

    def row(check: str) -> Locator:
        return checklist.get_by_role("row").filter(has=page.locator(f'td[title="{check}"]'))

    expect(row("https")).to_contain_text(f"aangeboden via gewone HTTP, zonder versleuteling: {access_url}")
    expect(row("generated_at")).to_contain_text(generated.removesuffix("Z"))

    cities = page.get_by_role("region", name="Deelnemende steden")
    cities.get_by_label(f"Fase van {name}").select_option(label="Gepubliceerd")
    cities.get_by_role("button", name=f"Bewaren {name}").click()
    expect(status(page)).to_contain_text("Fase bewaard.")
    row = page.get_by_role("region", name="Deelnemende steden").get_by_role("row").filter(has_text=name)
    expect(row).to_contain_text("Gepubliceerd")
    expect(row).to_contain_text(f"sinds {TODAY.isoformat()}")

    page.get_by_label(f"Status voor {name}").select_option(label="Klaar")
    page.get_by_role("button", name=f"Bijwerken {name}").click()
    expect(status(page)).to_contain_text("Mijlpaal bijgewerkt.")
    expect(page.get_by_label(f"Status voor {name}")).to_have_value("done")
    j.shot(page, f"{name} publishes and checks its dataset")


def reload_until_checked(page: Page, dataset: Locator, timeout: float = 60) -> None:
    """Reload the workspace, as the flash message asks, until the worker has stored the verdict."""
    deadline = time.monotonic() + timeout
    while dataset.locator(".badge").filter(has_text="controle bezig").count():
        assert time.monotonic() < deadline, "the worker stored no verdict within a minute"
        page.reload()


# --- 7. the dashboard and the report, in Dutch and English -------------------------------------------------------------


def check_dashboard(j: Journey, page: Page, language: str) -> None:
    nl = language == "nl"
    t = (lambda dutch, english: dutch) if nl else (lambda dutch, english: english)
    nav(page, language).get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Programmadashboard", "Programme dashboard"))
    expect(page.get_by_text(t("Weergave voor de stuurgroep", "Steering committee view"))).to_be_visible()
    for name, value in (("cities-active", "14"), ("rounds", "1"), ("pilots", "2"), ("pilots-planned", "2"), ("datasets", "2")):
        expect(figure(page, name)).to_have_attribute("data-value", value)
        expect(figure(page, name)).to_have_text(value)
    expect(figure(page, "challenges-total")).to_have_text(t("3 in totaal", "3 in total"))
    expect(figure(page, "rounds-published")).to_have_text(t("1 met gepubliceerde resultaten", "1 with published results"))
    expect(figure(page, "pass-share")).to_have_attribute("data-value", "0.0000")
    expect(figure(page, "datasets-checked")).to_contain_text(t("0 van 2 gecontroleerde datasets", "0 of 2 checked datasets"))

    progress = page.get_by_role("region", name=t("Voortgang van de pilots", "Pilot progress"))
    expect(page.locator("#pilots-chart svg.main-svg").first).to_be_attached()
    show_table(progress)
    table = progress.get_by_role("table", name=t("Pilots, hun status en voortgang", "Pilots, their status and progress"))
    planned = t("Gepland", "Planned")
    expect(table.get_by_role("row").filter(has_text=GENT.title).get_by_role("cell")).to_have_text(
        [str(YEAR), planned, "Gent", "3", "2", "0", f"{PROGRESS}%"]
    )
    expect(table.get_by_role("row").filter(has_text=LEUVEN.title).get_by_role("cell")).to_have_text(
        [str(YEAR), planned, "Leuven", "1", "0", "0", "0%"]
    )

    stages = page.get_by_role("region", name=t("Steden in de pilots", "Cities in the pilots"))
    show_table(stages)
    matrix = stages.get_by_role("table")
    expect(matrix.get_by_role("columnheader")).to_have_text([t("Stad", "City"), GENT.title, LEUVEN.title])
    published, committed = t("Gepubliceerd", "Published"), t("Geëngageerd", "Committed")
    # Only the cities taking part in a pilot, in alphabetical order, with their stage in each pilot.
    expect(matrix.get_by_role("rowheader")).to_have_text(["Antwerpen", "Gent", "Leuven", "Mechelen"])
    for city, stages_of_city in (
        ("Antwerpen", [published, "–"]),
        ("Gent", [committed, "–"]),
        ("Leuven", ["–", committed]),
        ("Mechelen", [published, "–"]),
    ):
        expect(matrix.get_by_role("row").filter(has_text=city).get_by_role("cell")).to_have_text(stages_of_city)

    conformance = page.get_by_role("region", name=t("Conformiteit per stad", "Conformance per city"))
    show_table(conformance)
    for _, name in JOINERS:
        cells = conformance.get_by_role("row").filter(has_text=name).get_by_role("cell")
        expect(cells.nth(0)).to_have_text("1")  # published
        expect(cells.nth(1)).to_have_text("0")  # passing
        expect(cells.nth(2)).to_have_text("1")  # failing (plain HTTP)
    j.shot(page, f"the dashboard in {t('dutch', 'english')}")


def check_report(j: Journey, page: Page, language: str) -> None:
    nl = language == "nl"
    t = (lambda dutch, english: dutch) if nl else (lambda dutch, english: english)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        t("Voortgangsrapport van het programma", "Progress report of the programme")
    )
    summary = section(page, t("Samenvatting", "Summary"))
    expect(summary.locator("p").first).to_have_text(
        t(
            f"Steden: 14. Pilots: 2. Mijlpalen klaar: {MILESTONES_DONE}. Gepubliceerde datasets: 2. "
            "Stemrondes met gepubliceerde resultaten: 1.",
            f"Cities: 14. Pilots: 2. Milestones done: {MILESTONES_DONE}. Published datasets: 2. "
            "Rounds with published results: 1.",
        )
    )
    for _, name in JOINERS:
        city = section(page, name)
        pilots = city.get_by_role("table", name=t(f"Pilots waaraan {name} deelneemt", f"Pilots {name} takes part in"))
        expect(pilots.get_by_role("row").filter(has_text=GENT.title).get_by_role("cell")).to_contain_text(
            [t("Deelnemer", "Participant"), t("Gepubliceerd", "Published")]
        )
        done = city.get_by_role("table", name=t("Mijlpalen klaar", "Milestones done"))
        expect(done.get_by_role("rowheader")).to_have_text([CITY_MILESTONE, SHARED_MILESTONE])
        datasets = city.get_by_role("table", name=t(f"Datasets die {name} gepubliceerd had", f"Datasets {name} had published"))
        expect(datasets.get_by_role("rowheader")).to_have_text([dataset_titles(name)[0 if nl else 1]])
    round_ = section(page, ROUND)
    expect(round_).to_contain_text(t("Ingediende stembrieven: 14 van 14.", "Ballots submitted: 14 of 14."))
    expect(round_).to_contain_text(
        t(f"Bevestigd op {TODAY.isoformat()} door Stijn Stuurgroep.", f"Confirmed on {TODAY.isoformat()} by Stijn Stuurgroep.")
    )
    confirmed = round_.get_by_role("table", name=t("De bevestigde selectie", "The confirmed selection"))
    expect(confirmed.get_by_role("rowheader")).to_have_text([GENT.title, LEUVEN.title])
    j.shot(page, f"the progress report in {t('dutch', 'english')}")


# --- the journey ------------------------------------------------------------------------------------------------------


def test_a_programme_year_from_round_to_report(journey: Journey, server: Gunicorn, endpoint: DatasetEndpoint):
    j = journey

    # 1. The steering committee sets up next year's round; the weights come from pairwise comparisons.
    steering = j.sign_in("steering@demo.local", "Stijn Stuurgroep")
    round_id = create_round(j, steering)

    # 2. Three cities propose a challenge with a candidate dataset; the committee screens them as eligible.
    people = {p.slug: j.sign_in(f"{p.slug}@demo.local", f"Demo {p.city}") for p in PROPOSALS}
    for proposal in PROPOSALS:
        propose(j, people[proposal.slug], proposal)
    for proposal in PROPOSALS:
        screen_eligible(steering, proposal)
    open_round(steering.page)
    candidates = steering.page.get_by_role("region", name="Tot nu toe in aanmerking")
    expect(candidates.get_by_role("listitem")).to_have_text([re.compile(p.title) for p in PROPOSALS])

    # 3. Voting opens: the three challenges are on the ballot, and each of the 14 cities has a ballot.
    advance(steering.page, "Stemming openen (legt de stembrief vast)", "Stemming open")
    on_ballot = steering.page.get_by_role("region", name="Op de stembrief")
    for proposal in PROPOSALS:
        expect(on_ballot.get_by_role("listitem").filter(has_text=proposal.title)).to_contain_text(f"({proposal.city})")
    expect(steering.page.get_by_role("table", name="0 van 14 steden hebben ingediend").get_by_role("row")).to_have_count(15)
    j.shot(steering.page, "voting opens for the 14 cities")

    # Every city's voter submits its ballot. The proposers are signed in already; the other voters follow the link
    # to the round (as in the committee's invitation) and sign in. The two cities that will join Gent's pilot stay;
    # the others close their browser once they voted.
    stay = {p.slug for p in PROPOSALS} | {slug for slug, _ in JOINERS}
    round_link = f"/rounds/{round_id}"
    for index, (slug, city) in enumerate(VOTERS):
        if slug in people:
            voter = people[slug]
            open_round(voter.page)
        else:
            voter = j.sign_in(f"{slug}@demo.local", f"Demo {city}", link=round_link)
        vote(j, voter, index, slug, city, shots=index == 0)
        if slug in stay:
            people[slug] = voter
        else:
            j.leave(voter)
    steering.page.reload()
    ballots = steering.page.get_by_role("table", name="14 van 14 steden hebben ingediend")
    expect(ballots.get_by_role("cell", name="ingediend", exact=True)).to_have_count(14)
    j.shot(steering.page, "all 14 cities submitted their ballot")

    # 4. The committee closes voting and publishes the results, with how robust they are.
    advance(steering.page, "Stemming sluiten en resultaat berekenen", "Stemming gesloten")
    advance(steering.page, "Resultaten publiceren", "Resultaten gepubliceerd")
    read_results_and_confirm(j, steering)

    # 5. Two pilots: the committee appoints Lotte (Gent) to lead Gent's.
    appoint_lead(j, steering)

    # 6. The workspace: milestones, two cities join, publish a dataset each and check it against their endpoint.
    lead = j.sign_in(*LEAD)
    lead_adds_milestones(j, lead)
    for slug, name in JOINERS:
        ask_to_join(j, people[slug], name)
    lead_accepts(j, lead)
    for slug, name in JOINERS:
        publish_and_check(j, people[slug], slug, name, endpoint)
    lead.page.reload()
    expect(lead.page.get_by_role("progressbar", name="Voortgang")).to_have_attribute("aria-valuenow", str(PROGRESS))
    city_rows = milestone_row(lead.page, CITY_MILESTONE)
    expect(city_rows.locator("td").last).to_have_text(f"{round(100 * 2 / 3)}%")
    j.shot(lead.page, "the pilot in progress")
    # The checker really fetched each city's endpoint.
    fetched = {request["path"] for request in endpoint.requests}
    assert fetched == {f"/{slug}/parkeerbezetting" for slug, _ in JOINERS}

    # 7. The dashboard and the progress report, in Dutch, then in English.
    page = steering.page
    check_dashboard(j, page, "nl")
    nav(page).get_by_role("link", name="Rapporten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Voortgangsrapport")
    expect(page.get_by_label("Rapport over")).to_have_value("programme")
    expect(page.get_by_label("Datum")).to_have_value(TODAY.isoformat())
    page.get_by_role("button", name="Rapport tonen").click()
    check_report(j, page, "nl")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    check_report(j, page, "en")
    check_dashboard(j, page, "en")

    assert j.errors == [], f"the pages reported errors (CSP violations and failed resources show here): {j.errors}"
    log = server.log_path.read_text()
    assert "Traceback" not in log, log
