"""What the builder puts in the catalogue, and what it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from pilots.dcat import Agent, CatalogError, DistributionInfo, UriScheme, build_graph, dataset_problems
from tests.dcat import terms
from tests.dcat.parking import MODELLICENTIE, URIS, catalog_info, city_agent, parking_dataset, parking_datasets

EU = "http://publications.europa.eu/resource/authority/"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(catalog_info(), parking_datasets())


def one(graph: Graph, subject, predicate):
    values = list(graph.objects(URIRef(subject) if type(subject) is str else subject, predicate))
    assert len(values) == 1, values
    return values[0]


def texts(graph: Graph, subject: str, predicate) -> dict[str, str]:
    return {value.language: str(value) for value in graph.objects(URIRef(subject), predicate)}


def test_the_catalogue_lists_its_datasets_and_has_a_publisher(graph):
    catalog = URIRef(URIS.catalog())
    assert (catalog, terms.RDF.type, terms.DCAT.Catalog) in graph
    assert set(graph.objects(catalog, terms.DCAT.dataset)) == {URIRef(URIS.dataset(n)) for n in (1, 2, 3, 4)}
    publisher = one(graph, catalog, terms.DCTERMS.publisher)
    assert publisher == URIRef("https://datapilots.example.org/#organisation")
    assert (publisher, terms.RDF.type, terms.FOAF.Agent) in graph
    assert one(graph, publisher, terms.DCTERMS.type) == URIRef("http://purl.org/adms/publishertype/RegionalAuthority")
    assert one(graph, catalog, terms.FOAF.homepage) == URIRef("https://datapilots.example.org/")
    assert set(graph.objects(catalog, terms.DCTERMS.language)) == {URIRef(EU + "language/NLD"), URIRef(EU + "language/ENG")}
    assert one(graph, catalog, terms.DCAT.themeTaxonomy) == URIRef(EU + "data-theme")


def test_dutch_and_english_texts_carry_language_tags(graph):
    assert texts(graph, URIS.catalog(), terms.DCTERMS.title) == {
        "nl": "Catalogus van de Smart Flanders-datapilots",
        "en": "Catalogue of the Smart Flanders data pilots",
    }
    assert texts(graph, URIS.dataset(1), terms.DCTERMS.title) == {
        "nl": "Realtime bezetting van de parkings in Gent",
        "en": "Real-time car-park occupancy in Ghent",
    }
    assert set(texts(graph, URIS.dataset(1), terms.DCTERMS.description)) == {"nl", "en"}
    assert texts(graph, URIS.city("gent"), terms.FOAF.name) == {"nl": "Stad Gent", "en": "City of Ghent"}


def test_empty_english_text_is_left_out(graph):
    """Sint-Niklaas has no English texts (empty or blank): only the Dutch ones appear."""
    assert set(texts(graph, URIS.dataset(4), terms.DCTERMS.title)) == {"nl"}
    assert set(texts(graph, URIS.dataset(4), terms.DCTERMS.description)) == {"nl"}
    assert set(texts(graph, URIS.city("sint-niklaas"), terms.FOAF.name)) == {"nl"}
    assert set(texts(graph, URIS.dataset(4) + "#distribution", terms.DCTERMS.title)) == {"nl"}
    literals = [o for o in graph.objects() if isinstance(o, Literal)]
    assert literals and all(str(literal).strip() == str(literal) and str(literal) for literal in literals)
    # every text is language-tagged, except identifiers, dates and standards' names
    untagged = {o for o in literals if o.language is None and o.datatype is None}
    assert untagged == {Literal(URIS.dataset(n)) for n in (1, 2, 3, 4)} | {Literal("DATEX II")}


def test_a_dataset_has_every_field(graph):
    dataset = URIS.dataset(1)
    assert one(graph, dataset, terms.DCTERMS.publisher) == URIRef(URIS.city("gent"))
    assert one(graph, dataset, terms.DCAT.theme) == URIRef(EU + "data-theme/TRAN")
    assert texts(graph, EU + "data-theme/TRAN", terms.SKOS.prefLabel) == {"nl": "Vervoer", "en": "Transport"}
    assert one(graph, dataset, terms.DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/CONT")
    assert one(graph, dataset, terms.DCTERMS.issued) == Literal("2017-09-01", datatype=terms.XSD.date)
    assert one(graph, dataset, terms.DCTERMS.modified) == Literal("2017-12-14T09:30:00+00:00", datatype=terms.XSD.dateTime)
    assert one(graph, dataset, terms.DCTERMS.language) == URIRef(EU + "language/NLD")
    assert one(graph, dataset, terms.DCTERMS.spatial) == URIRef("https://data.vlaanderen.be/id/gemeente/44021")
    standard = one(graph, dataset, terms.DCTERMS.conformsTo)
    assert standard == URIRef("http://vocab.datex.org/terms#")
    assert (standard, terms.RDF.type, terms.DCTERMS.Standard) in graph
    keywords = {(str(k), k.language) for k in graph.objects(URIRef(dataset), terms.DCAT.keyword)}
    assert keywords == {
        ("parkeren", "nl"),
        ("parking", "en"),
        ("mobiliteit", "nl"),
        ("mobility", "en"),
        ("realtime", "nl"),
        ("real-time", "en"),
    }
    contact = one(graph, dataset, terms.DCAT.contactPoint)
    assert (contact, terms.RDF.type, terms.VCARD.Kind) in graph
    assert one(graph, contact, terms.VCARD.hasEmail) == URIRef("mailto:opendata@gent.example.org")


def test_a_distribution_has_urls_format_media_type_and_licence(graph):
    distribution = URIS.dataset(2) + "#distribution"
    assert one(graph, URIS.dataset(2), terms.DCAT.distribution) == URIRef(distribution)
    assert one(graph, distribution, terms.DCAT.accessURL) == URIRef("https://kortrijk.datapiloten.be/parking")
    assert one(graph, distribution, terms.DCAT.downloadURL) == URIRef("https://kortrijk.datapiloten.be/parking")
    assert one(graph, distribution, terms.DCTERMS["format"]) == URIRef(EU + "file-type/RDF_TURTLE")
    media_type = one(graph, distribution, terms.DCAT.mediaType)
    assert media_type == URIRef("http://www.iana.org/assignments/media-types/text/turtle")
    assert (media_type, terms.RDF.type, terms.DCTERMS.MediaType) in graph
    licence = one(graph, distribution, terms.DCTERMS.license)
    assert licence == URIRef(MODELLICENTIE)
    assert (licence, terms.RDF.type, terms.DCTERMS.LicenseDocument) in graph
    assert one(graph, licence, terms.DCTERMS.type) == URIRef("http://purl.org/adms/licencetype/Attribution")
    assert texts(graph, distribution, terms.DCTERMS.description) == {
        "nl": "Toegang tot de gegevens in het formaat RDF Turtle.",
        "en": "Access to the data in RDF Turtle format.",
    }
    availability = one(graph, distribution, terms.DCATAP.availability)
    assert availability == URIRef(EU + "planned-availability/STABLE")


def test_extra_distributions_follow_the_first(graph):
    history = URIRef(URIS.dataset(1) + "#distribution-2")
    assert set(graph.objects(URIRef(URIS.dataset(1)), terms.DCAT.distribution)) == {
        URIRef(URIS.dataset(1) + "#distribution"),
        history,
    }
    assert one(graph, history, terms.DCAT.accessURL) == URIRef("https://linked.open.gent/parking/rangegate")
    assert one(graph, history, terms.DCTERMS.license) == URIRef(MODELLICENTIE)  # the dataset's licence
    assert texts(graph, str(history), terms.DCTERMS.title)["en"] == "History of car-park occupancy in Ghent"


def test_the_catalogue_modified_date_defaults_to_the_latest_dataset_change():
    datasets = [
        parking_dataset("gent"),
        parking_dataset("leuven", modified=datetime(2018, 3, 1, 10, tzinfo=timezone(timedelta(hours=1)))),
    ]
    graph = build_graph(catalog_info(), datasets)
    assert one(graph, URIS.catalog(), terms.DCTERMS.modified) == Literal("2018-03-01T09:00:00+00:00", datatype=terms.XSD.dateTime)
    explicit = build_graph(catalog_info(modified=date(2019, 1, 2)), datasets)
    assert one(explicit, URIS.catalog(), terms.DCTERMS.modified) == Literal("2019-01-02", datatype=terms.XSD.date)


@pytest.mark.parametrize(
    ("realtime", "given", "expected"),
    [
        (True, "CONT", "CONT"),
        (True, "UPDATE_CONT", "UPDATE_CONT"),
        (True, "DAILY", "CONT"),
        (True, None, "CONT"),
        (False, "DAILY", "DAILY"),
        (False, None, None),
    ],
)
def test_real_time_sets_a_continuous_frequency_and_keywords(realtime, given, expected):
    graph = build_graph(catalog_info(), [parking_dataset("gent", realtime=realtime, frequency_code=given, keywords=[])])
    frequencies = list(graph.objects(URIRef(URIS.dataset(1)), terms.DCTERMS.accrualPeriodicity))
    assert frequencies == ([URIRef(EU + "frequency/" + expected)] if expected else [])
    keywords = {str(k) for k in graph.objects(URIRef(URIS.dataset(1)), terms.DCAT.keyword)}
    assert keywords == ({"realtime", "real-time"} if realtime else set())


def test_a_standard_known_only_by_name_or_by_uri():
    named = build_graph(catalog_info(), [parking_dataset("gent", conforms_to="OSLO Mobiliteit: Trips en Aanbod")])
    standard = one(named, URIS.dataset(1), terms.DCTERMS.conformsTo)
    assert isinstance(standard, BNode) and str(standard) == "standard-oslo-mobiliteit-trips-en-aanbod"
    assert one(named, standard, terms.DCTERMS.title) == Literal("OSLO Mobiliteit: Trips en Aanbod")
    assert (standard, terms.RDF.type, terms.DCTERMS.Standard) in named
    uri = "https://data.vlaanderen.be/ns/mobiliteit"
    by_uri = build_graph(catalog_info(), [parking_dataset("gent", conforms_to=uri)])
    assert one(by_uri, URIS.dataset(1), terms.DCTERMS.conformsTo) == URIRef(uri)
    assert (URIRef(uri), terms.RDF.type, terms.DCTERMS.Standard) in by_uri


def test_optional_fields_may_be_left_out():
    minimal = parking_dataset(
        "kortrijk",
        contact_email=None,
        keywords=[],
        theme_code=None,
        download_url=None,
        file_type_code="OTHER",
        licence_uri=None,
        conforms_to=None,
        frequency_code=None,
        realtime=False,
        issued=None,
        modified=None,
        language_codes=(),
        spatial_uris=(),
        availability_code=None,
    )
    graph = build_graph(catalog_info(issued=None, licence_uri=None, homepage=None, spatial_uris=()), [minimal])
    dataset = URIRef(URIS.dataset(2))
    assert {p for p, _ in graph.predicate_objects(dataset)} == {
        terms.RDF.type,
        terms.DCTERMS.title,
        terms.DCTERMS.description,
        terms.DCTERMS.identifier,
        terms.DCTERMS.publisher,
        terms.DCAT.distribution,
    }
    distribution = one(graph, dataset, terms.DCAT.distribution)
    assert {p for p, _ in graph.predicate_objects(distribution)} == {
        terms.RDF.type,
        terms.DCTERMS.title,
        terms.DCTERMS.description,
        terms.DCAT.accessURL,
    }
    assert texts(graph, str(distribution), terms.DCTERMS.description)["en"] == "Access to the data."
    assert list(graph.objects(URIRef(URIS.catalog()), terms.DCTERMS.modified)) == []


def test_landing_page_and_media_type_override():
    graph = build_graph(
        catalog_info(),
        [
            parking_dataset(
                "gent",
                landing_page="https://data.stad.gent/parking",
                file_type_code="JSON",
                media_type="application/vnd.api+json",
            )
        ],
    )
    assert one(graph, URIS.dataset(1), terms.DCAT.landingPage) == URIRef("https://data.stad.gent/parking")
    assert (URIRef("https://data.stad.gent/parking"), terms.RDF.type, terms.FOAF.Document) in graph
    distribution = URIS.dataset(1) + "#distribution"
    assert one(graph, distribution, terms.DCAT.mediaType) == URIRef(
        "http://www.iana.org/assignments/media-types/application/vnd.api+json"
    )


# --- refusals -------------------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once():
    bad = parking_dataset(
        "gent",
        title={"nl": "  ", "en": ""},
        access_url="ftp://example.org/parking",
        theme_code="PARK",
        frequency_code="SOMETIMES",
        file_type_code="DOCX",
        licence_uri="other",
        modified=datetime(2017, 1, 1, 12),  # naive
        language_codes=("Dutch",),
        contact_email="not an address",
        keywords=[("parking", "EN")],
    )
    with pytest.raises(CatalogError) as error:
        build_graph(catalog_info(), [bad])
    where = f"dataset <{URIS.dataset(1)}>"
    assert set(error.value.problems) == {
        f"{where}: title is missing (no non-empty text in any language)",
        f"{where}: 'not an address' is not an e-mail address",
        f"{where}: keyword 'parking' has an invalid language tag 'EN'",
        f"{where}: theme_code 'PARK' is not an EU data theme",
        f"{where}: licence_uri 'other' is not an absolute http(s) URI",
        f"{where}: frequency_code 'SOMETIMES' is not an EU frequency",
        f"{where}: modified is a naive datetime (give it a timezone)",
        f"{where}: language 'Dutch' is neither an EU language code (NLD) nor a known tag (nl)",
        f"{where} distribution 1: access_url 'ftp://example.org/parking' is not an absolute http(s) URI",
        f"{where} distribution 1: file_type_code 'DOCX' is not an EU file type the catalogue knows",
    }
    assert str(error.value).startswith(f"{where}: title is missing")


def test_dataset_problems_lets_the_web_layer_skip_incomplete_datasets():
    assert dataset_problems(parking_dataset("gent")) == []
    incomplete = parking_dataset("gent", access_url="", publisher=Agent(uri=URIS.city("gent"), name={}))
    assert dataset_problems(incomplete) == [
        f"agent <{URIS.city('gent')}>: name is missing (no non-empty text in any language)",
        f"dataset <{URIS.dataset(1)}> distribution 1: access_url is missing",
    ]


def test_catalogue_level_problems():
    gent = parking_dataset("gent")
    other_gent = parking_dataset("kortrijk", publisher=Agent(uri=URIS.city("gent"), name={"nl": "Gent"}))
    with pytest.raises(CatalogError) as error:
        build_graph(catalog_info(description={"en": ""}, homepage="/"), [gent, gent, other_gent])
    assert set(error.value.problems) == {
        f"catalogue <{URIS.catalog()}>: description is missing (no non-empty text in any language)",
        f"catalogue <{URIS.catalog()}>: homepage '/' is not an absolute http(s) URI",
        f"dataset <{URIS.dataset(1)}>: its URI is used twice",
        f"agent <{URIS.city('gent')}> is given twice with different details",
    }


def test_an_unknown_publisher_type_or_a_bad_extra_distribution_is_refused():
    agent = Agent(uri=URIS.city("gent"), name={"nl": "Stad Gent"}, type_uri="http://example.org/City")
    extra = DistributionInfo(access_url=None, availability_code="SOMEDAY", media_type="json")
    problems = dataset_problems(parking_dataset("gent", publisher=agent, extra_distributions=(extra,)))
    assert problems == [
        f"agent <{URIS.city('gent')}>: type_uri 'http://example.org/City' is not an ADMS publisher type",
        f"dataset <{URIS.dataset(1)}> distribution 2: access_url is missing",
        f"dataset <{URIS.dataset(1)}> distribution 2: media_type 'json' is not a media type (type/subtype)",
        f"dataset <{URIS.dataset(1)}> distribution 2: availability_code 'SOMEDAY' is not an EU planned availability",
    ]


def test_an_empty_catalogue_is_still_a_catalogue():
    graph = build_graph(catalog_info(), [])
    assert (URIRef(URIS.catalog()), terms.RDF.type, terms.DCAT.Catalog) in graph
    assert list(graph.objects(URIRef(URIS.catalog()), terms.DCAT.dataset)) == []


def test_the_uri_scheme():
    uris = UriScheme("https://datapilots.example.org/")
    assert uris.catalog() == "https://datapilots.example.org/catalog"
    assert uris.organisation() == "https://datapilots.example.org/#organisation"
    assert uris.city("sint-niklaas") == "https://datapilots.example.org/cities/sint-niklaas#agent"
    assert uris.dataset(7) == "https://datapilots.example.org/datasets/7"
    with pytest.raises(CatalogError):
        UriScheme("datapilots.example.org")
    assert city_agent("gent").uri == "https://datapilots.example.org/cities/gent#agent"


def test_timezones_are_normalised_to_utc():
    brussels_summer = timezone(timedelta(hours=2))
    graph = build_graph(
        catalog_info(), [parking_dataset("gent", modified=datetime(2017, 7, 1, 12, 0, 5, 123456, tzinfo=brussels_summer))]
    )
    assert one(graph, URIS.dataset(1), terms.DCTERMS.modified) == Literal(
        "2017-07-01T10:00:05+00:00", datatype=terms.XSD.dateTime
    )
    assert datetime(2017, 7, 1, 10, 0, 5, tzinfo=UTC) == one(graph, URIS.dataset(1), terms.DCTERMS.modified).toPython()
