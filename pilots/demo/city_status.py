"""Demo open-data status for every city: where it stands on the 20 charter principles, and its maturity
self-assessments of 2017, 2019, 2021, 2023 and 2025, each city with its own plausible path.

The paths follow the programme's story: the cities that published real-time parking data first (Gent, Kortrijk,
Leuven, Sint-Niklaas) and Antwerpen start ahead; most centrumsteden grow steadily after the charter of 2018; a few
start late or stall for a while (a reorganisation, a new platform); the VGC did not sign the charter of the
centrumsteden but follows parts of it. Rows are inserted directly, dated in the year they describe, as history.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pilots.extensions import db
from pilots.models import CharterLevel, CharterStatus, City, MaturityAssessment, MaturityScore, User
from pilots.models.city_status import MATURITY_DOMAINS, PRINCIPLES

YEARS = (2017, 2019, 2021, 2023, 2025)

# Per city: the scores of 2017 and of 2025 per domain, in the order of MATURITY_DOMAINS (data strategy, open-data
# strategy, organisation, working with data, technology and procurement, stakeholders). The years between follow
# the city's own pace: "early" moves most in the first years, "late" in the last ones, "steady" evenly.
PATHS: dict[str, tuple[tuple[int, ...], tuple[int, ...], str]] = {
    "gent": ((3, 3, 2, 3, 2, 3), (5, 5, 4, 5, 4, 5), "early"),
    "antwerpen": ((3, 2, 3, 3, 3, 2), (5, 4, 4, 5, 5, 4), "early"),
    "kortrijk": ((2, 3, 2, 2, 2, 3), (4, 5, 4, 4, 3, 5), "early"),
    "leuven": ((2, 3, 2, 3, 2, 2), (4, 5, 3, 4, 4, 4), "steady"),
    "sint-niklaas": ((2, 2, 1, 2, 2, 2), (4, 4, 3, 3, 4, 3), "early"),
    "brugge": ((2, 1, 2, 2, 2, 1), (4, 3, 4, 4, 3, 3), "steady"),
    "mechelen": ((2, 2, 2, 2, 1, 2), (4, 4, 3, 4, 3, 4), "steady"),
    "hasselt": ((1, 1, 1, 2, 2, 1), (3, 3, 3, 4, 3, 3), "late"),
    "genk": ((1, 1, 1, 1, 2, 2), (3, 3, 2, 3, 4, 3), "steady"),
    "aalst": ((1, 1, 1, 1, 1, 1), (3, 3, 2, 3, 3, 2), "late"),
    "oostende": ((1, 2, 1, 1, 2, 1), (3, 3, 3, 2, 3, 3), "late"),
    "roeselare": ((2, 1, 1, 2, 1, 1), (4, 3, 3, 4, 3, 2), "steady"),
    "turnhout": ((1, 1, 1, 1, 1, 2), (3, 2, 2, 3, 2, 3), "late"),
    "vgc": ((1, 1, 2, 1, 1, 2), (2, 2, 3, 3, 2, 3), "late"),
}
# Share of the whole way travelled by each year (2017 .. 2025), per pace.
PACE = {
    "early": (0.0, 0.4, 0.6, 0.75, 1.0),
    "steady": (0.0, 0.25, 0.5, 0.75, 1.0),
    "late": (0.0, 0.2, 0.4, 0.65, 1.0),
}
# Setbacks: (city, year, domain) -> (points lost that year, the note that says why).
SETBACKS = {
    ("mechelen", 2021, "organisation"): (1, "Herstructurering van de stadsdiensten: het datateam viel tijdelijk uiteen."),
    ("brugge", 2021, "technology"): (1, "Migratie naar een nieuw dataplatform; de oude API's werden uitgezet."),
    ("oostende", 2023, "stakeholders"): (1, "De gebruikersgroep van hergebruikers viel stil na het vertrek van de trekker."),
    ("roeselare", 2019, "working_with_data"): (1, "Het BI-project werd herbekeken na een wissel van leverancier."),
}

NOTES = {
    "data_strategy": (
        "Data is nog geen thema in het meerjarenplan.",
        "Eerste nota over data als strategisch middel, nog zonder budget.",
        "Datastrategie goedgekeurd door het college; uitvoering per dienst.",
        "Datastrategie met doelen en budget, jaarlijks opgevolgd door het managementteam.",
        "Datagedreven werken is een vast onderdeel van het meerjarenplan en van de beleidsopvolging.",
    ),
    "open_data_strategy": (
        "Nog geen open-databeleid; datasets enkel op vraag.",
        "Principebeslissing om data open te stellen, geval per geval.",
        "Open-databeleid vastgelegd; het charter geldt als leidraad.",
        "Open by default in de praktijk, met een jaarlijkse open-dataplanning.",
        "Open data is de standaard; uitzonderingen worden publiek gemotiveerd.",
    ),
    "organisation": (
        "Geen aanspreekpunt voor data.",
        "Eén enthousiaste medewerker trekt open data naast andere taken.",
        "Aanspreekpunt open data aangesteld; een netwerk van datacontactpersonen in de diensten.",
        "Datateam met vaste rollen (data-eigenaars, datastewards).",
        "Datagovernance ingebed in de organisatie, met een datacomité en vaste processen.",
    ),
    "working_with_data": (
        "Data zit verspreid in Excel-bestanden per dienst.",
        "Eerste dashboards voor enkele diensten.",
        "Gedeelde datasets met metadata; dashboards voor het management.",
        "Data-analyse ondersteunt beslissingen in de meeste diensten.",
        "Data wordt overal hergebruikt en de kwaliteit wordt systematisch bewaakt.",
    ),
    "technology": (
        "Geen platform voor publicatie; bestanden op de website.",
        "Datasets op het Vlaamse open-dataportaal geplaatst, met de hand.",
        "Eigen open-dataportaal; open-dataclausules in enkele nieuwe aanbestedingen.",
        "API's en Linked Data voor de belangrijkste datasets; clausules standaard in bestekken.",
        "Automatische publicatie vanuit de bronsystemen; metadata stroomt door naar de portalen.",
    ),
    "stakeholders": (
        "Nog geen contact met hergebruikers.",
        "Eerste contacten met hergebruikers op een hackathon.",
        "Jaarlijkse open-datadag met bedrijven, onderzoekers en burgers.",
        "Vaste gebruikersgroep en afspraken met partners over datadeling.",
        "Structurele samenwerking met hergebruikers, andere steden en de Vlaamse overheid.",
    ),
}

# How hard a principle is to adopt (0: easy, 3: hard), so that the checklists look like the real ones.
DIFFICULTY = {
    1: 1, 2: 2, 3: 1, 4: 0, 5: 0, 6: 2, 7: 2, 8: 1, 9: 1, 10: 3,
    11: 2, 12: 1, 13: 2, 14: 1, 15: 3, 16: 0, 17: 1, 18: 1, 19: 3, 20: 0,
}  # fmt: skip
CHARTER_NOTES = {
    1: ("Open by default staat in het open-databeleid.", "Geldt voor nieuwe datasets; oude bestanden nog niet."),
    2: ("Gesloten datasets staan met hun reden in het data-register.", "Redenen worden bijgehouden, maar nog niet gepubliceerd."),
    3: (
        "Elke dataset wordt één keer gepubliceerd, door de dienst die hem beheert.",
        "Enkele datasets worden nog door de communicatiedienst overgezet.",
    ),
    4: (
        "Alle open data mag vrij hergebruikt worden, ook commercieel.",
        "Enkele oudere datasets hebben nog beperkende voorwaarden.",
    ),
    5: (
        "Het aanspreekpunt open data is bekend bij alle diensten.",
        "Aanspreekpunt aangesteld, nog niet bekend bij alle diensten.",
    ),
    6: ("Metadatabeleid goedgekeurd en toegepast.", "Metadatabeleid in opmaak."),
    7: ("De bronsystemen leveren hun metadata zelf aan.", "Metadata wordt nog deels achteraf aangevuld."),
    8: ("Jaarlijkse opleiding voor datacontactpersonen.", "Eenmalige opleiding gegeven; vervolg gepland."),
    9: ("Publicatie in CSV, JSON en RDF.", "Meeste datasets in CSV; enkele nog als PDF."),
    10: ("Nieuwe bronnen worden als Linked Data gepubliceerd (OSLO).", "Pilot met Linked Data voor parkeren en adressen."),
    11: ("Dezelfde data voor intern gebruik en publicatie.", "Gepubliceerde versie loopt soms achter op de interne."),
    12: ("Publicatie op het eigen portaal, met persistente URI's.", "Eigen portaal in opbouw."),
    13: ("Realtime data binnen de minuut, met historiek in fragmenten.", "Realtime data beschikbaar, historiek nog niet."),
    14: ("Afgestemd met Digitaal Vlaanderen en de andere centrumsteden.", "Afstemming via het Smart Flanders-netwerk."),
    15: ("Metadata stroomt automatisch naar het Vlaamse en Europese portaal.", "Harvesting door het Vlaamse portaal in test."),
    16: ("Enkel de Vlaamse modellicentie en CC0.", "Nieuwe datasets onder de modellicentie; oudere nog te herzien."),
    17: ("Vaste gebruikersgroep van hergebruikers.", "Feedback via het portaal, nog geen structureel overleg."),
    18: ("Datasets worden onderhouden zolang ze intern gebruikt worden.", "Onderhoud afhankelijk van de dienst."),
    19: ("Open-dataclausule standaard in bestekken en concessies.", "Clausule gebruikt in enkele recente aanbestedingen."),
    20: ("De stad stelt het charter voor aan partners en buurgemeenten.", "Het charter wordt vermeld op het open-dataportaal."),
}
NOT_YET_NOTE = "Nog niet aan bod gekomen; opgenomen in het actieplan."
VGC_NOTE = "De VGC heeft het charter niet ondertekend, maar volgt dit principe waar het kan."


def _scores(slug: str) -> dict[int, dict[str, tuple[int, str]]]:
    """Per year, per domain: the score and its note."""
    start, end, pace = PATHS.get(slug, ((1, 1, 1, 1, 1, 1), (3, 3, 3, 3, 3, 3), "steady"))
    rng = random.Random(f"maturity-{slug}")  # noqa: S311 - demo data, reproducible
    result: dict[int, dict[str, tuple[int, str]]] = {}
    reached = dict.fromkeys(MATURITY_DOMAINS, 1)  # progress is not lost, except in a setback year
    for year, share in zip(YEARS, PACE[pace], strict=True):
        row = {}
        for index, domain in enumerate(MATURITY_DOMAINS):
            value = start[index] + (end[index] - start[index]) * share
            score = int(value + 0.5 + rng.uniform(-0.2, 0.2)) if 0 < share < 1 else round(value)
            score = reached[domain] = max(reached[domain], min(5, max(1, score)))
            note = NOTES[domain][score - 1]
            setback = SETBACKS.get((slug, year, domain))
            if setback:
                score, note = score - setback[0], setback[1]
            row[domain] = (min(5, max(1, score)), note)
        result[year] = row
    return result


def _charter(slug: str, scores: dict[str, tuple[int, str]]) -> dict[int, tuple[CharterLevel, str]]:
    """Where the city stands today on each principle, from its latest open-data maturity and the principle's difficulty."""
    rng = random.Random(f"charter-{slug}")  # noqa: S311 - demo data, reproducible
    level = (scores["open_data_strategy"][0] + scores["technology"][0] + scores["organisation"][0]) / 3
    result = {}
    for number in PRINCIPLES:
        margin = level - DIFFICULTY[number] + rng.uniform(-0.8, 0.8) - (0.8 if slug == "vgc" else 0)
        adopted_note, partly_note = CHARTER_NOTES[number]
        if margin >= 1.6:
            result[number] = (CharterLevel.ADOPTED, adopted_note)
        elif margin >= 0.6:
            result[number] = (CharterLevel.PARTLY, partly_note)
        else:
            result[number] = (CharterLevel.NOT_YET, NOT_YET_NOTE)
        if slug == "vgc" and result[number][0] is not CharterLevel.NOT_YET:
            result[number] = (result[number][0], VGC_NOTE)
    return result


def seed_city_status() -> int:
    """Charter statuses and self-assessments for every city; adds only what is missing. Returns how many rows it added."""
    made = 0
    cities = list(db.session.scalars(select(City).order_by(City.name)))
    users = {user.email: user for user in db.session.scalars(select(User).where(User.email.like("%@demo.local")))}
    charter_rows = {(row.city_id, row.principle) for row in db.session.scalars(select(CharterStatus))}
    assessed = {
        (city_id, year) for city_id, year in db.session.execute(select(MaturityAssessment.city_id, MaturityAssessment.year))
    }
    for city in cities:
        author = users.get(f"{city.slug}@demo.local")
        history = _scores(city.slug)
        offset = timedelta(days=sum(map(ord, city.slug)) % 40)  # each city fills it in on another day
        for year in YEARS:
            if (city.id, year) in assessed:
                continue
            when = datetime(year, 10, 1, 9, 30, tzinfo=UTC) + offset
            assessment = MaturityAssessment(
                city_id=city.id, year=year, created_at=when, updated_at=when, updated_by_id=author.id if author else None
            )
            for domain in MATURITY_DOMAINS:
                score, note = history[year][domain]
                assessment.scores.append(MaturityScore(domain=domain, score=score, note=note))
            db.session.add(assessment)
            made += 1
        when = datetime(YEARS[-1], 11, 1, 10, 0, tzinfo=UTC) + offset
        for number, (status, note) in _charter(city.slug, history[YEARS[-1]]).items():
            if (city.id, number) in charter_rows:
                continue
            db.session.add(
                CharterStatus(
                    city_id=city.id,
                    principle=number,
                    status=status,
                    note=note,
                    updated_at=when,
                    updated_by_id=author.id if author else None,
                )
            )
            made += 1
    db.session.commit()
    return made
