"""A realistic catalogue: the first datapilot (2017), real-time car-park occupancy in DATEX II.

Gent, Kortrijk, Leuven and Sint-Niklaas published first (shared/reference/smart-flanders.md). Titles are
Dutch and English, except Sint-Niklaas, whose English texts are left empty (they must not appear).
E-mail addresses are placeholders.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from pilots.dcat import REGIONAL_AUTHORITY, Agent, CatalogInfo, DatasetInfo, DistributionInfo, UriScheme

BASE = "https://datapilots.example.org"
URIS = UriScheme(BASE)
MODELLICENTIE = "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"

CITIES = {
    # slug: (Dutch name, English name, NIS code, access URL, file type)
    "gent": ("Stad Gent", "City of Ghent", "44021", "https://linked.open.gent/parking", "JSON_LD"),
    "kortrijk": ("Stad Kortrijk", "City of Kortrijk", "34022", "https://kortrijk.datapiloten.be/parking", "RDF_TURTLE"),
    "leuven": ("Stad Leuven", "City of Leuven", "24062", "https://leuven.datapiloten.be/parking", "JSON_LD"),
    "sint-niklaas": ("Stad Sint-Niklaas", "", "46021", "https://sint-niklaas.datapiloten.be/parking", "RDF_TURTLE"),
}
DATASET_IDS = {"gent": 1, "kortrijk": 2, "leuven": 3, "sint-niklaas": 4}


def city_agent(slug: str) -> Agent:
    name_nl, name_en, _, _, _ = CITIES[slug]
    return Agent(uri=URIS.city(slug), name={"nl": name_nl, "en": name_en}, email=f"opendata@{slug}.example.org")


def platform_agent() -> Agent:
    return Agent(
        uri=URIS.organisation(),
        name={"nl": "Smart Flanders-datapilots", "en": "Smart Flanders data pilots"},
        type_uri=REGIONAL_AUTHORITY,
        homepage="https://smartflanders.github.io/",
    )


def catalog_info(**overrides) -> CatalogInfo:
    fields = {
        "uri": URIS.catalog(),
        "title": {"nl": "Catalogus van de Smart Flanders-datapilots", "en": "Catalogue of the Smart Flanders data pilots"},
        "description": {
            "nl": "De open datasets die de centrumsteden publiceren in de datapilots van Smart Flanders.",
            "en": "The open datasets the Flemish central cities publish in the Smart Flanders data pilots.",
        },
        "publisher": platform_agent(),
        "homepage": BASE + "/",
        "language_codes": ("NLD", "ENG"),
        "issued": date(2017, 9, 1),
        "licence_uri": "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0",
        "spatial_uris": ("http://publications.europa.eu/resource/authority/country/BEL",),
    }
    fields.update(overrides)
    return CatalogInfo(**fields)


def parking_dataset(slug: str, **overrides) -> DatasetInfo:
    name_nl, name_en, nis, access_url, file_type = CITIES[slug]
    place_nl = name_nl.removeprefix("Stad ")
    place_en = name_en.removeprefix("City of ")
    fields = {
        "uri": URIS.dataset(DATASET_IDS[slug]),
        "title": {
            "nl": f"Realtime bezetting van de parkings in {place_nl}",
            "en": f"Real-time car-park occupancy in {place_en}" if place_en else "",
        },
        "description": {
            "nl": f"Het aantal vrije plaatsen in de parkings van {place_nl}, elke halve minuut bijgewerkt, als Linked Data volgens DATEX II.",
            "en": f"The number of free spaces in the car parks of {place_en}, updated every thirty seconds, as Linked Data following DATEX II."
            if place_en
            else "   ",
        },
        "publisher": city_agent(slug),
        "contact_email": f"opendata@{slug}.example.org",
        "keywords": [("parkeren", "nl"), ("parking", "en"), ("mobiliteit", "nl"), ("mobility", "en"), ("", "en")],
        "theme_code": "TRAN",
        "access_url": access_url,
        "download_url": access_url,
        "file_type_code": file_type,
        "licence_uri": MODELLICENTIE,
        "conforms_to": "DATEX II",
        "frequency_code": "CONT",
        "realtime": True,
        "issued": date(2017, 9, 1),
        "modified": datetime(2017, 12, 14, 9, 30, tzinfo=UTC),
        "language_codes": ("NLD",),
        "spatial_uris": (f"https://data.vlaanderen.be/id/gemeente/{nis}",),
    }
    if slug == "gent":
        fields["extra_distributions"] = (
            DistributionInfo(
                access_url="https://linked.open.gent/parking/rangegate",
                file_type_code="JSON_LD",
                title={"nl": "Historiek van de parkeerbezetting in Gent", "en": "History of car-park occupancy in Ghent"},
                description={
                    "nl": "De vroegere bezetting, in pagina's die naar elkaar verwijzen (hydra:next, hydra:previous).",
                    "en": "Past occupancy, in pages linked to each other (hydra:next, hydra:previous).",
                },
            ),
        )
    fields.update(overrides)
    return DatasetInfo(**fields)


def parking_datasets() -> list[DatasetInfo]:
    return [parking_dataset(slug) for slug in CITIES]
