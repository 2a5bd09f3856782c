"""A challenge's journey in a real browser: Gent proposes it with two candidate datasets, Leuven co-sponsors
and comments on it, and the steering committee screens it; Gent then reads the outcome, in Dutch and English.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.sync_api import Page, expect

TITLE = "Fietsparkeren Gent-Sint-Pieters: vrije plaatsen in realtime"
SUMMARY = "Pendelaars zoeken elke ochtend een vrije fietsplaats aan het station en vinden er vaak geen."
DESCRIPTION = (
    "De fietsenstallingen rond **Gent-Sint-Pieters** zitten 's ochtends vol.\n\n"
    "- Pendelaars zoeken te lang\n- Fietsen staan op het voetpad"
)
IMPACT = "Minder zoekverkeer en minder fietsen op het voetpad."
OPEN_DATASET = "Bezetting fietsenstallingen Gent-Sint-Pieters"
OPEN_URL = "https://data.stad.gent/explore/dataset/bezetting-fietsenstallingen-gent-sint-pieters"
INTERNAL_DATASET = "Tellingen deelfietsen stationsomgeving"
OPERATOR = "NMBS Fietspunt"
COSPONSOR_NOTE = "Aan ons station speelt hetzelfde probleem."
COMMENT = "<script>window.__xss = 1</script> **Goed idee**"
SCREENING_REASON = "Duidelijk probleem met bruikbare open data; past in het thema mobiliteit."


def sign_in(page: Page, base_url: str, email: str, name: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name="Aanmelden").click()
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill("pilot-demo")
    page.get_by_role("button", name="Aanmelden").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welkom, {name}.")


def sign_out(page: Page) -> None:
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("button", name="Afmelden").click()
    expect(page.get_by_role("status")).to_contain_text("Je bent afgemeld.")


def status_badge(page: Page):
    """The challenge's status badge, next to its title."""
    return page.get_by_role("heading", level=1).locator("xpath=following-sibling::div[1]").locator(".badge")


def open_from_list(page: Page) -> None:
    """Find the challenge with the list's search box and open it."""
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name="Uitdagingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitdagingen")
    search = page.get_by_role("search", name="Uitdagingen filteren")
    search.get_by_label("Zoeken").fill("Fietsparkeren Gent-Sint-Pieters")
    search.get_by_role("button", name="Filteren").click()
    expect(page).to_have_url(re.compile(r"q=Fietsparkeren"))
    results = page.get_by_role("table")
    expect(results.locator("caption")).to_have_text("1 uitdaging")
    results.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def test_propose_cosponsor_comment_and_screen_a_challenge(live_server, page, shots, demo):
    year = str(datetime.now(UTC).year)

    # 1. Gent proposes a challenge: a draft only Gent sees.
    sign_in(page, live_server, "gent@demo.local", "Demo Gent")
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name="Uitdagingen").click()
    page.get_by_role("link", name="Uitdaging voorstellen").click()
    expect(page).to_have_url(re.compile(r"/challenges/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitdaging voorstellen")
    expect(page.get_by_label("Voorstellende stad")).to_have_value(re.compile(r"\d+"))
    page.get_by_label("Titel", exact=True).fill(TITLE)
    page.get_by_label("Samenvatting").fill(SUMMARY)
    page.get_by_label("Beschrijving van het probleem").fill(DESCRIPTION)
    page.get_by_label("Thema").select_option(label="Mobiliteit en vervoer")
    page.get_by_label("Verwachte impact").fill(IMPACT)
    page.get_by_label("Jaar").select_option(label=year)
    shots("gent fills in the challenge")
    page.get_by_role("button", name="Bewaren").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Ontwerp bewaard. Voeg de kandidaat-datasets toe en dien daarna de uitdaging in."
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(status_badge(page)).to_have_text("Ontwerp")
    expect(page.get_by_text("Alleen jouw stad ziet dit ontwerp.")).to_be_visible()
    expect(page.get_by_text(f"Voorgesteld door Gent voor {year}")).to_be_visible()
    problem = page.get_by_role("region", name="Het probleem")
    expect(problem.locator("strong")).to_have_text("Gent-Sint-Pieters")
    expect(problem.get_by_role("listitem")).to_have_count(2)
    expect(page.get_by_text("Nog geen kandidaat-datasets.")).to_be_visible()
    shots("draft saved")

    # 2a. The first candidate dataset: open data. Forgetting its URL is caught next to the field.
    page.get_by_role("link", name="Kandidaat-dataset toevoegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kandidaat-dataset toevoegen")
    expect(page.get_by_label("Beheerd door een stad")).to_have_value(re.compile(r"[1-9]\d*"))
    page.get_by_label("Titel van de dataset").fill(OPEN_DATASET)
    page.get_by_label("Beschrijving", exact=True).fill("Vrije en bezette plaatsen per stalling, per minuut.")
    page.get_by_label("Beschikbaarheid").select_option(label="Gepubliceerd als open data")
    page.get_by_label("Formaat").select_option(label="JSON-LD")
    page.get_by_label("Licentie").select_option(label="Vlaamse Modellicentie Gratis Hergebruik")
    page.get_by_label("Updatefrequentie").select_option(label="Continu (realtime)")
    page.get_by_label("Datastandaard of vocabularium").fill("DATEX II")
    page.get_by_label("Realtime data").check()
    page.get_by_role("button", name="Bewaren en nog een toevoegen").click()

    url = page.get_by_label("Webadres (URL)")
    expect(url).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#url-error")).to_have_text("Open data heeft een adres: vul de URL in.")
    expect(url).to_have_attribute("aria-describedby", re.compile(r"\burl-error\b"))
    expect(page.get_by_label("Titel van de dataset")).to_have_value(OPEN_DATASET)
    expect(page.get_by_label("Datastandaard of vocabularium")).to_have_value("DATEX II")
    expect(page.get_by_label("Realtime data")).to_be_checked()
    shots("dataset without url is refused")

    url.fill(OPEN_URL)
    page.get_by_role("button", name="Bewaren en nog een toevoegen").click()

    # 2b. "Save and add another" comes back to an empty form: the second dataset is an operator's, internal only.
    expect(page.get_by_role("status")).to_contain_text("Dataset toegevoegd.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kandidaat-dataset toevoegen")
    expect(page.get_by_label("Titel van de dataset")).to_have_value("")
    page.get_by_label("Titel van de dataset").fill(INTERNAL_DATASET)
    page.get_by_label("Beheerd door een stad").select_option(value="0")
    page.get_by_label("beheerd door een organisatie").fill(OPERATOR)
    page.get_by_label("Beschikbaarheid").select_option(label="Bestaat, alleen intern")
    page.get_by_label("Formaat").select_option(label="CSV")
    page.get_by_label("Updatefrequentie").select_option(label="Dagelijks")
    shots("second dataset held by an organisation")
    page.get_by_role("button", name="Dataset bewaren").click()

    expect(page.get_by_role("status")).to_contain_text("Dataset toegevoegd.")
    expect(page).to_have_url(re.compile(r"/challenges/\d+#datasets$"))
    datasets = page.get_by_role("region", name=re.compile(r"^Kandidaat-datasets"))
    expect(datasets.get_by_role("article")).to_have_count(2)
    open_dataset = datasets.get_by_role("article", name=OPEN_DATASET)
    expect(open_dataset.get_by_role("img", name="5 sterren van 5")).to_be_visible()
    expect(open_dataset.get_by_role("link", name=OPEN_DATASET, exact=True)).to_have_attribute("href", OPEN_URL)
    expect(open_dataset).to_contain_text("Gepubliceerd als open data")
    expect(open_dataset).to_contain_text("Vlaamse Modellicentie Gratis Hergebruik")
    expect(open_dataset).to_contain_text("Continu (realtime)")
    expect(open_dataset).to_contain_text("DATEX II")
    internal_dataset = datasets.get_by_role("article", name=INTERNAL_DATASET)
    expect(internal_dataset.get_by_role("img", name="0 sterren van 5")).to_be_visible()
    expect(internal_dataset).to_contain_text(OPERATOR)
    expect(internal_dataset).to_contain_text("Bestaat, alleen intern")
    shots("two candidate datasets")

    # 3. Gent submits the challenge.
    page.get_by_role("button", name="Uitdaging indienen").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Uitdaging ingediend: andere steden kunnen ze nu zien, meesteunen en bespreken."
    )
    expect(status_badge(page)).to_have_text("Ingediend")
    expect(page.get_by_role("button", name="Uitdaging indienen")).to_have_count(0)
    expect(page.get_by_text("Alleen jouw stad ziet dit ontwerp.")).to_have_count(0)
    shots("submitted")
    sign_out(page)

    # 4. Leuven finds the challenge, co-sponsors it and joins the discussion.
    sign_in(page, live_server, "leuven@demo.local", "Demo Leuven")
    open_from_list(page)
    expect(status_badge(page)).to_have_text("Ingediend")
    expect(page.get_by_role("region", name="Uitdaging van jouw stad")).to_have_count(0)  # not Leuven's own challenge
    cosponsors = page.get_by_role("region", name="Steden die meesteunen")
    expect(cosponsors).to_contain_text("Nog geen andere stad steunt deze uitdaging mee.")
    expect(cosponsors.get_by_label("Meesteunen namens")).to_have_text("Leuven")
    cosponsors.get_by_label("Opmerking (optioneel)").fill(COSPONSOR_NOTE)
    shots("leuven opens the challenge")
    cosponsors.get_by_role("button", name="Meesteunen").click()

    expect(page.get_by_role("status")).to_contain_text("Jouw stad steunt deze uitdaging mee.")
    cosponsors = page.get_by_role("region", name="Steden die meesteunen")
    expect(cosponsors.get_by_role("listitem")).to_have_text(f"Leuven: {COSPONSOR_NOTE}")
    expect(cosponsors.get_by_role("button", name="Meesteunen", exact=True)).to_have_count(0)
    expect(cosponsors.get_by_role("button", name="Co-sponsoring van Leuven intrekken")).to_be_visible()
    shots("leuven co-sponsors")

    discussion = page.get_by_role("region", name="Discussie")
    expect(discussion).to_contain_text("Nog geen reacties.")
    discussion.get_by_label("Jouw reactie").fill(COMMENT)
    discussion.get_by_role("button", name="Reactie plaatsen").click()

    expect(page.get_by_role("status")).to_contain_text("Reactie geplaatst.")
    comment = page.get_by_role("article", name="Reactie van Demo Leuven")
    expect(comment.locator("strong", has_text="Goed idee")).to_be_visible()
    expect(comment.locator(".markdown")).to_contain_text("<script>window.__xss = 1</script>")
    expect(comment.locator("script")).to_have_count(0)
    expect(comment).to_contain_text("(Leuven)")
    assert page.evaluate("window.__xss") is None
    shots("leuven comments")
    sign_out(page)

    # 5. The steering committee screens the challenge as eligible.
    sign_in(page, live_server, "steering@demo.local", "Stijn Stuurgroep")
    open_from_list(page)
    cosponsors = page.get_by_role("region", name="Steden die meesteunen")
    expect(cosponsors.get_by_role("listitem")).to_have_text(f"Leuven: {COSPONSOR_NOTE}")
    screening = page.get_by_role("region", name="Screening")
    screening.get_by_label("Komt in aanmerking", exact=True).check()
    screening.get_by_label("Reden").fill(SCREENING_REASON)
    shots("steering screens the challenge")
    screening.get_by_role("button", name="Screening bewaren").click()

    expect(page.get_by_role("status")).to_contain_text("Screening bewaard.")
    expect(status_badge(page)).to_have_text("Komt in aanmerking")
    expect(page.get_by_role("note")).to_contain_text("Screening door de stuurgroep: Komt in aanmerking.")
    shots("screened eligible")
    sign_out(page)

    # 6. Gent reads the outcome on its challenge, then in English.
    sign_in(page, live_server, "gent@demo.local", "Demo Gent")
    page.get_by_role("navigation", name="Hoofdnavigatie").get_by_role("link", name="Mijn stad").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Uitdagingen van mijn stad")
    page.get_by_role("link", name=TITLE).click()
    expect(status_badge(page)).to_have_text("Komt in aanmerking")
    outcome = page.get_by_role("note")
    expect(outcome).to_contain_text("Screening door de stuurgroep: Komt in aanmerking.")
    expect(outcome).to_contain_text(SCREENING_REASON)
    expect(page.get_by_role("region", name="Steden die meesteunen")).to_contain_text("Leuven")
    shots("gent reads the screening")

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(status_badge(page)).to_have_text("Eligible")
    expect(page.get_by_role("heading", name=re.compile(r"^Candidate datasets"))).to_be_visible()
    expect(page.get_by_role("heading", name="Co-sponsoring cities")).to_be_visible()
    expect(page.get_by_role("note")).to_contain_text("Screening by the steering committee: Eligible.")
    expect(page.get_by_role("article", name=OPEN_DATASET).get_by_role("img", name="5 stars of 5")).to_be_visible()
    shots("gent reads it in English")
