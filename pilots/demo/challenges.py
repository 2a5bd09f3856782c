"""Demo challenges: real concerns of the Flemish cities, 2017 to the present, in Dutch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from pilots.models import Availability, Challenge
from pilots.services import accounts, challenges, cities
from pilots.services.challenges import ChallengeData, DatasetData
from pilots.vocabularies import LICENCE_CC0_VLAANDEREN, LICENCE_CC_BY, LICENCE_MODELLICENTIE, LICENCE_OTHER


@dataclass(frozen=True)
class DemoDataset:
    title: str
    holder: str  # a city slug, or an organisation's name
    availability: Availability
    url: str | None = None
    file_type: str | None = None
    licence: str | None = None
    frequency: str | None = None
    realtime: bool = False
    standard: str | None = None
    description: str = ""


@dataclass(frozen=True)
class DemoChallenge:
    city: str
    year: int
    theme: str
    title: str
    summary: str
    description: str
    impact: str
    datasets: tuple[DemoDataset, ...]
    status: str = "eligible"  # draft | submitted | eligible | ineligible
    cosponsors: tuple[tuple[str, str], ...] = ()  # (city slug, note)
    comments: tuple[tuple[str, str], ...] = ()  # (city slug of the demo user, text)
    screening: str = ""


OPEN, INTERNAL, MISSING = Availability.OPEN, Availability.INTERNAL, Availability.NOT_COLLECTED

CHALLENGES: tuple[DemoChallenge, ...] = (
    DemoChallenge(
        "gent",
        2017,
        "TRAN",
        "Realtime bezetting van parkeergarages",
        "Automobilisten zoeken lang naar een vrije plaats; de bezetting van de parkeergarages is niet open beschikbaar.",
        "Zoekverkeer naar een parkeerplaats zorgt voor **files en uitstoot** in de binnenstad. De parkeergarages kennen "
        "hun bezetting per minuut, maar die gegevens blijven bij de uitbaters.\n\n"
        "We willen de bezetting als open data publiceren, in een gedeelde standaard, zodat routeplanners en navigatie-apps "
        "bestuurders meteen naar een vrije plaats leiden.",
        "Minder zoekverkeer, betere luchtkwaliteit en één standaard die alle steden kunnen hergebruiken.",
        (
            DemoDataset(
                "Bezetting parkeergarages Gent",
                "gent",
                OPEN,
                "https://data.stad.gent/explore/dataset/bezetting-parkeergarages-real-time",
                "JSON_LD",
                LICENCE_MODELLICENTIE,
                "CONT",
                True,
                "DATEX II",
                "Vrije en totale plaatsen per garage, elke minuut bijgewerkt.",
            ),
            DemoDataset(
                "Parkeerroutegeleiding (borden)",
                "gent",
                INTERNAL,
                None,
                "XML",
                None,
                "CONT",
                True,
                None,
                "De gegevens achter de dynamische borden aan de invalswegen.",
            ),
        ),
        cosponsors=(
            ("kortrijk", "Ook bij ons zoekverkeer rond het centrum."),
            ("leuven", "Wij publiceren graag mee."),
            ("sint-niklaas", ""),
        ),
        comments=(
            ("kortrijk", "Kunnen we afspreken om allemaal **DATEX II** als Linked Data te gebruiken?"),
            ("gent", "Ja, dat is het voorstel. We delen ons datamodel op de werkgroep."),
        ),
        screening="Past binnen het programma: meerdere steden, hoge impact, haalbaar.",
    ),
    DemoChallenge(
        "antwerpen",
        2017,
        "ENVI",
        "Slimme afvalcontainers",
        "Ondergrondse containers lopen over of worden half leeg opgehaald; vulgraadsensoren kunnen dat voorkomen.",
        "Sensoren in de containers melden hun vulgraad. Open gepubliceerd kunnen ook burgers zien waar nog plaats is.",
        "Minder ritten van de vuilniswagens en minder sluikstort naast volle containers.",
        (DemoDataset("Vulgraad ondergrondse containers", "antwerpen", INTERNAL, None, "JSON", None, "HOURLY", True),),
        cosponsors=(("mechelen", ""),),
    ),
    DemoChallenge(
        "antwerpen",
        2018,
        "ENVI",
        "Luchtkwaliteit per straat meten",
        "Bewoners willen weten hoe gezond de lucht in hun straat is; officiële meetpunten zijn schaars.",
        "De officiële meetstations geven een goed beeld per regio, maar niet per straat. Burgermetingen en sensoren "
        "vullen dat aan, in verschillende formaten.",
        "Gerichte maatregelen in schoolomgevingen en een beter geïnformeerd publiek debat.",
        (
            DemoDataset(
                "Meetstations luchtkwaliteit",
                "Vlaamse Milieumaatschappij",
                OPEN,
                "https://www.vmm.be/data/luchtkwaliteit",
                "CSV",
                LICENCE_MODELLICENTIE,
                "HOURLY",
                False,
                None,
            ),
            DemoDataset(
                "Burgermetingen stikstofdioxide",
                "Universiteit Antwerpen",
                OPEN,
                "https://curieuzeneuzen.be/resultaten",
                "XLSX",
                LICENCE_CC_BY,
                "NEVER",
            ),
        ),
        cosponsors=(("gent", ""), ("mechelen", "Interesse voor de schoolomgevingen.")),
        comments=(("mechelen", "Zijn de sensoren gekalibreerd tegen de VMM-stations?"),),
    ),
    DemoChallenge(
        "leuven",
        2018,
        "TRAN",
        "Fietstellingen op de ring",
        "Hoeveel fietsers gebruiken de nieuwe fietsroutes? Tellingen zitten verspreid en zijn moeilijk te vergelijken.",
        "Leuven heeft vaste telpalen; burgers tellen met Telraam. Samen geven ze een beeld van het fietsverkeer, "
        "als ze in één formaat beschikbaar zijn.",
        "Investeringen in fietsinfrastructuur onderbouwen met data.",
        (
            DemoDataset(
                "Fietstelpalen", "leuven", OPEN, "https://data.leuven.be/fietstellingen", "CSV", LICENCE_MODELLICENTIE, "DAILY"
            ),
            DemoDataset("Telraam-tellingen", "Telraam", OPEN, "https://telraam.net", "JSON", LICENCE_CC_BY, "HOURLY"),
        ),
        cosponsors=(("gent", ""), ("brugge", "")),
    ),
    DemoChallenge(
        "kortrijk",
        2019,
        "ENVI",
        "Afvalophaling en sorteerstraten in kaart",
        "Burgers vinden moeilijk wanneer welk afval opgehaald wordt en waar de dichtstbijzijnde glasbol staat.",
        "Ophaalkalenders en locaties van containers zitten bij de intercommunales, vaak enkel als PDF.",
        "Minder zwerfvuil en een hogere sorteergraad.",
        (
            DemoDataset("Ophaalkalender", "Imog", OPEN, "https://www.imog.be/ophaalkalender", "PDF", LICENCE_OTHER, "ANNUAL"),
            DemoDataset("Locaties glasbollen en textielcontainers", "kortrijk", INTERNAL, None, "SHP", None, "IRREG"),
        ),
        cosponsors=(("brugge", "Zelfde vraag bij IVBO."), ("roeselare", "")),
    ),
    DemoChallenge(
        "mechelen",
        2019,
        "SOCI",
        "Evenementen in de publieke ruimte",
        "Wie organiseert wat, waar en wanneer? Evenementen, markten en wegomleggingen staan nergens samen.",
        "Evenementenvergunningen en innames van het openbaar domein worden per dienst bijgehouden.",
        "Betere planning voor hulpdiensten, openbaar vervoer en bewoners.",
        (DemoDataset("Evenementenvergunningen", "mechelen", INTERNAL, None, "XLSX", None, "WEEKLY"),),
        status="ineligible",
        screening="Waardevol, maar eerst afstemmen met het Vlaamse evenementenplatform.",
    ),
    DemoChallenge(
        "hasselt",
        2020,
        "ENER",
        "Energieverbruik van stedelijke gebouwen",
        "Steden willen hun patrimonium verduurzamen, maar het verbruik per gebouw is niet vergelijkbaar gepubliceerd.",
        "Slimme meters in scholen, sporthallen en administratieve gebouwen leveren kwartierwaarden.",
        "Gerichte renovaties en transparantie over het klimaatplan.",
        (
            DemoDataset("Kwartierwaarden slimme meters", "hasselt", INTERNAL, None, "CSV", None, "CONT", True),
            DemoDataset(
                "Energieprestatiecertificaten publieke gebouwen",
                "Vlaams Energie- en Klimaatagentschap",
                OPEN,
                "https://www.vlaanderen.be/epc",
                "CSV",
                LICENCE_MODELLICENTIE,
                "ANNUAL",
            ),
        ),
        cosponsors=(("genk", ""), ("turnhout", "")),
    ),
    DemoChallenge(
        "brugge",
        2020,
        "TRAN",
        "Drukte in de historische binnenstad",
        "Toeristen en bewoners willen drukte vermijden; de stad wil bezoekersstromen spreiden.",
        "Tellingen van voetgangers, parkeerbezetting en reservaties geven samen een drukte-index.",
        "Een aangenamere binnenstad en betere spreiding van bezoekers.",
        (DemoDataset("Voetgangerstellingen binnenstad", "brugge", INTERNAL, None, "JSON", None, "HOURLY", True),),
        cosponsors=(("gent", ""), ("oostende", "Ook relevant voor de zeedijk.")),
    ),
    DemoChallenge(
        "oostende",
        2021,
        "ENVI",
        "Kwaliteit van het zwemwater",
        "Badgasten willen weten of het zwemwater veilig is; de metingen worden laat en als PDF gepubliceerd.",
        "De stalen worden wekelijks genomen; de resultaten komen via verschillende kanalen.",
        "Veilig zwemmen en snelle waarschuwingen.",
        (
            DemoDataset(
                "Zwemwaterkwaliteit kust",
                "Vlaamse Milieumaatschappij",
                OPEN,
                "https://www.vmm.be/zwemwater",
                "PDF",
                LICENCE_MODELLICENTIE,
                "WEEKLY",
            ),
        ),
    ),
    DemoChallenge(
        "genk",
        2021,
        "TRAN",
        "Deelmobiliteit in kaart",
        "Deelfietsen, deelauto's en deelsteps: waar staan ze en hoeveel zijn er vrij?",
        "Elke aanbieder heeft een eigen API; een gedeelde standaard ontbreekt.",
        "Meer mensen laten overstappen naar duurzame mobiliteit.",
        (
            DemoDataset(
                "Beschikbaarheid deelfietsen",
                "Blue-bike",
                OPEN,
                "https://www.blue-bike.be/gbfs",
                "JSON",
                LICENCE_CC0_VLAANDEREN,
                "CONT",
                True,
                "GBFS",
            ),
        ),
        cosponsors=(("hasselt", ""), ("antwerpen", "")),
    ),
    DemoChallenge(
        "roeselare",
        2022,
        "ECON",
        "Leegstand van handelspanden",
        "De stad wil leegstand in winkelstraten sneller opmerken en aanpakken.",
        "Het leegstandsregister en de kruispuntbank ondernemingen samen tonen de evolutie per straat.",
        "Een levendige binnenstad en gerichte premies.",
        (DemoDataset("Leegstandsregister", "roeselare", INTERNAL, None, "XLSX", None, "QUARTERLY"),),
        cosponsors=(("aalst", ""),),
    ),
    DemoChallenge(
        "sint-niklaas",
        2022,
        "GOVE",
        "Werven en innames van het openbaar domein",
        "Wegenwerken en werven hinderen verkeer en handelaars; een overzicht in één kaart ontbreekt.",
        "Innames worden aangevraagd via het loket en staan in GIPOD, maar niet alle gegevens zijn open.",
        "Minder hinder en betere communicatie met bewoners.",
        (
            DemoDataset(
                "GIPOD-innames",
                "Digitaal Vlaanderen",
                OPEN,
                "https://www.vlaanderen.be/gipod",
                "JSON_LD",
                LICENCE_MODELLICENTIE,
                "DAILY",
                False,
                "OSLO Mobiliteit Hinder",
            ),
        ),
        cosponsors=(("aalst", ""), ("turnhout", "")),
    ),
    DemoChallenge(
        "turnhout",
        2023,
        "ENVI",
        "Hittestress en groen in de stad",
        "Waar is het 's zomers het heetst en waar helpt extra groen het meest?",
        "Temperatuurmetingen, boomkadaster en verharding samen tonen de hitte-eilanden.",
        "Klimaatadaptatie op de plaatsen waar ze het meeste effect heeft.",
        (
            DemoDataset(
                "Boomkadaster",
                "turnhout",
                OPEN,
                "https://www.turnhout.be/open-data/bomen",
                "GEOJSON",
                LICENCE_MODELLICENTIE,
                "ANNUAL",
            ),
        ),
        cosponsors=(("mechelen", ""),),
    ),
    DemoChallenge(
        "aalst",
        2023,
        "TRAN",
        "Laadpalen voor elektrische voertuigen",
        "Bestuurders zoeken een vrije laadpaal; de stad wil weten waar er meer nodig zijn.",
        "Laadpunten worden door verschillende operatoren beheerd, met verschillende gegevens.",
        "Een laadnetwerk dat de vraag volgt.",
        (
            DemoDataset(
                "Publieke laadpunten",
                "Vlaamse overheid",
                OPEN,
                "https://www.vlaanderen.be/laadpunten",
                "CSV",
                LICENCE_MODELLICENTIE,
                "DAILY",
            ),
        ),
        cosponsors=(("gent", ""), ("leuven", ""), ("genk", "")),
    ),
    DemoChallenge(
        "vgc",
        2024,
        "EDUC",
        "Vrijetijdsaanbod voor jongeren in Brussel",
        "Jongeren vinden het Nederlandstalige vrijetijdsaanbod in Brussel moeilijk terug.",
        "Het aanbod staat verspreid over websites van organisaties en gemeenschapscentra.",
        "Meer deelname aan sport, cultuur en jeugdwerk.",
        (
            DemoDataset(
                "UiTdatabank-activiteiten Brussel",
                "Publiq",
                OPEN,
                "https://www.uitdatabank.be",
                "JSON_LD",
                LICENCE_CC0_VLAANDEREN,
                "DAILY",
                False,
                "schema.org",
            ),
        ),
        cosponsors=(("antwerpen", ""),),
    ),
    DemoChallenge(
        "gent",
        2024,
        "HEAL",
        "Geluidsoverlast in het uitgaansleven",
        "Bewoners van uitgaansbuurten klagen over nachtlawaai; metingen zijn zeldzaam en niet publiek.",
        "Geluidsmeters op vaste locaties en meldingen van bewoners geven samen een beeld.",
        "Gerichte handhaving en een beter gesprek tussen bewoners en horeca.",
        (DemoDataset("Geluidsmetingen uitgaansbuurten", "gent", INTERNAL, None, "CSV", None, "CONT", True),),
        cosponsors=(("leuven", "Het Oude Markt-verhaal."),),
    ),
    DemoChallenge(
        "antwerpen",
        2025,
        "TRAN",
        "Verkeersveiligheid in schoolomgevingen",
        "Ouders en scholen vragen veiligere schoolroutes; ongevallen- en snelheidsdata zitten verspreid.",
        "Snelheidsmetingen, ongevallen en schoolstraten samenbrengen per schoolomgeving.",
        "Minder ongevallen en meer kinderen die te voet of met de fiets naar school gaan.",
        (
            DemoDataset(
                "Verkeersongevallen met letsel",
                "Statbel",
                OPEN,
                "https://statbel.fgov.be/nl/open-data",
                "CSV",
                LICENCE_CC_BY,
                "ANNUAL",
            ),
            DemoDataset("Snelheidsmetingen", "antwerpen", MISSING),
        ),
        cosponsors=(("mechelen", ""), ("hasselt", "")),
    ),
    DemoChallenge(
        "leuven",
        2026,
        "ENER",
        "Zonnepotentieel van daken",
        "Bewoners willen weten of zonnepanelen op hun dak renderen; de stad wil haar eigen daken benutten.",
        "De zonnekaart berekent het potentieel per dak; de gegevens zijn nog niet open herbruikbaar.",
        "Meer hernieuwbare energie, sneller.",
        (DemoDataset("Zonnekaart", "Vlaams Energie- en Klimaatagentschap", INTERNAL, None, "GEOJSON", None, "ANNUAL"),),
        status="submitted",
        cosponsors=(("hasselt", ""),),
        comments=(("hasselt", "Wij hebben een vergelijkbare vraag voor bedrijventerreinen."),),
    ),
    DemoChallenge(
        "kortrijk",
        2026,
        "TRAN",
        "Realtime bezetting van fietsenstallingen",
        "Aan stations staan fietsenstallingen vol terwijl andere leeg blijven.",
        "Sensoren in de overdekte stallingen kunnen de bezetting realtime doorgeven, zoals bij de parkeergarages.",
        "Fietsers vinden sneller een plaats; de stad plant uitbreidingen beter.",
        (DemoDataset("Bezetting fietsenstallingen", "kortrijk", MISSING, None, "JSON_LD", None, "CONT", True, "DATEX II"),),
        status="submitted",
        cosponsors=(("gent", "Ook aan Gent-Sint-Pieters."), ("leuven", "")),
    ),
    DemoChallenge(
        "mechelen",
        2026,
        "ENVI",
        "Wateroverlast en rioleringsdata",
        "Bij hevige regen lopen straten en kelders onder; waarschuwingen komen te laat.",
        "Waterpeilen in de riolering en neerslagradar kunnen vroeg waarschuwen.",
        "Minder schade en snellere interventies.",
        (DemoDataset("Waterpeilen riolering", "Aquafin", INTERNAL, None, "CSV", None, "CONT", True),),
        status="submitted",
    ),
    DemoChallenge(
        "hasselt",
        2026,
        "SOCI",
        "Toegankelijkheid van publieke gebouwen",
        "Mensen met een beperking weten niet vooraf of een gebouw toegankelijk is.",
        "Een inventaris van toegankelijkheid per gebouw, in een gedeeld model.",
        "Iedereen kan zelfstandig een bezoek plannen.",
        (DemoDataset("Toegankelijkheidsinventaris", "hasselt", MISSING),),
        status="draft",
    ),
)


def _user_for(slug: str):
    return accounts.find_user_by_email(f"{slug}@demo.local")


def seed_challenges() -> int:
    """Create the demo challenges that do not exist yet (matched by title and city)."""
    from pilots.extensions import db

    steering = accounts.find_user_by_email("steering@demo.local")
    existing = set(db.session.execute(select(Challenge.title, Challenge.city_id)).all())
    created = 0
    for demo in CHALLENGES:
        city = cities.get_city_by_slug(demo.city)
        author = _user_for(demo.city)
        if city is None or author is None or (demo.title, city.id) in existing:
            continue
        challenge = challenges.create_challenge(
            author,
            city.id,
            ChallengeData(demo.title, demo.summary, demo.description, demo.theme, demo.impact, demo.year),
        )
        for dataset in demo.datasets:
            holder_city = cities.get_city_by_slug(dataset.holder)
            challenges.add_dataset(
                author,
                challenge.id,
                DatasetData(
                    title=dataset.title,
                    description=dataset.description,
                    holder_city_id=holder_city.id if holder_city else None,
                    holder_name=None if holder_city else dataset.holder,
                    availability=dataset.availability,
                    url=dataset.url,
                    file_type=dataset.file_type,
                    licence=dataset.licence,
                    frequency=dataset.frequency,
                    realtime=dataset.realtime,
                    standard=dataset.standard,
                ),
            )
        if demo.status != "draft":
            challenges.submit(author, challenge.id)
            for slug, note in demo.cosponsors:
                sponsor_city, sponsor = cities.get_city_by_slug(slug), _user_for(slug)
                if sponsor_city and sponsor:
                    challenges.cosponsor(sponsor, challenge.id, sponsor_city.id, note)
            for slug, text in demo.comments:
                commenter = _user_for(slug)
                if commenter:
                    challenges.add_comment(commenter, challenge.id, text)
            if demo.status in ("eligible", "ineligible") and steering is not None:
                challenges.screen(steering, challenge.id, demo.status == "eligible", demo.screening)
        _backdate(challenge.id, demo.year, len(existing) + created)
        created += 1
    return created


def _backdate(challenge_id: int, year: int, offset: int) -> None:
    """Demo history: a challenge for year Y was proposed in the autumn of Y-1 (the audit log keeps the real times)."""
    from pilots.extensions import db

    challenge = db.session.get(Challenge, challenge_id)
    proposed = datetime(year - 1, 9, 1, 9, 30, tzinfo=UTC) + timedelta(days=offset % 40, hours=offset % 7)
    challenge.created_at = proposed
    if challenge.submitted_at:
        challenge.submitted_at = proposed + timedelta(days=12)
    if challenge.screened_at:
        challenge.screened_at = proposed + timedelta(days=40)
    for number, comment in enumerate(challenge.comments, start=1):
        comment.created_at = proposed + timedelta(days=14 + number, hours=number)
    db.session.commit()
