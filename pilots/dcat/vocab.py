"""Namespaces and the controlled vocabularies the catalogue uses, with their URIs and labels.

The codes are those of the EU Publications Office authority tables (the same codes as
``pilots.vocabularies``, which cannot be imported here because it needs Flask-Babel). Labels are only
needed for the concepts the DCAT-AP shapes ask a label for (``skos:Concept`` needs ``skos:prefLabel``).
"""

from __future__ import annotations

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
LOCN = Namespace("http://www.w3.org/ns/locn#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")

#: Prefixes bound in every serialisation (and the JSON-LD ``@context``).
PREFIXES: dict[str, Namespace] = {
    "adms": ADMS,
    "dcat": DCAT,
    "dcatap": DCATAP,
    "dct": DCTERMS,
    "foaf": FOAF,
    "locn": LOCN,
    "rdf": RDF,
    "rdfs": RDFS,
    "skos": SKOS,
    "vcard": VCARD,
    "xsd": XSD,
}

EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
EU_THEME = EU_AUTHORITY + "data-theme/"
EU_THEME_SCHEME = EU_AUTHORITY + "data-theme"
EU_FREQUENCY = EU_AUTHORITY + "frequency/"
EU_FILE_TYPE = EU_AUTHORITY + "file-type/"
EU_LANGUAGE = EU_AUTHORITY + "language/"
EU_AVAILABILITY = EU_AUTHORITY + "planned-availability/"
IANA_MEDIA_TYPE = "http://www.iana.org/assignments/media-types/"
ADMS_PUBLISHER_TYPE = "http://purl.org/adms/publishertype/"
ADMS_LICENCE_TYPE = "http://purl.org/adms/licencetype/"

#: EU data themes: code -> {language: label} (the authority table's own Dutch and English labels).
THEMES: dict[str, dict[str, str]] = {
    "AGRI": {"nl": "Landbouw, visserij, bosbouw en voeding", "en": "Agriculture, fisheries, forestry and food"},
    "ECON": {"nl": "Economie en financiën", "en": "Economy and finance"},
    "EDUC": {"nl": "Onderwijs, cultuur en sport", "en": "Education, culture and sport"},
    "ENER": {"nl": "Energie", "en": "Energy"},
    "ENVI": {"nl": "Milieu", "en": "Environment"},
    "GOVE": {"nl": "Overheid en publieke sector", "en": "Government and public sector"},
    "HEAL": {"nl": "Gezondheid", "en": "Health"},
    "INTR": {"nl": "Internationale vraagstukken", "en": "International issues"},
    "JUST": {"nl": "Justitie, rechtsstelsel en openbare veiligheid", "en": "Justice, legal system and public safety"},
    "REGI": {"nl": "Regio's en steden", "en": "Regions and cities"},
    "SOCI": {"nl": "Bevolking en samenleving", "en": "Population and society"},
    "TECH": {"nl": "Wetenschap en technologie", "en": "Science and technology"},
    "TRAN": {"nl": "Vervoer", "en": "Transport"},
}
THEME_SCHEME_TITLE = {"nl": "Datathema", "en": "Data theme"}

#: EU frequencies the catalogue accepts.
FREQUENCIES: frozenset[str] = frozenset(
    {
        "CONT",
        "UPDATE_CONT",
        "HOURLY",
        "BIHOURLY",
        "TRIHOURLY",
        "DAILY",
        "DAILY_2",
        "WEEKLY",
        "WEEKLY_2",
        "WEEKLY_3",
        "BIWEEKLY",
        "MONTHLY",
        "MONTHLY_2",
        "MONTHLY_3",
        "BIMONTHLY",
        "QUARTERLY",
        "ANNUAL",
        "ANNUAL_2",
        "ANNUAL_3",
        "BIENNIAL",
        "TRIENNIAL",
        "IRREG",
        "NEVER",
        "UNKNOWN",
        "OTHER",
    }
)
#: Frequencies that say "real time"; a real-time dataset with any other frequency gets ``REALTIME_FREQUENCY``.
REALTIME_FREQUENCIES: frozenset[str] = frozenset({"CONT", "UPDATE_CONT"})
REALTIME_FREQUENCY = "CONT"
#: Keywords added to every real-time dataset (unless it already has them).
REALTIME_KEYWORDS: tuple[tuple[str, str], ...] = (("realtime", "nl"), ("real-time", "en"))

#: EU file types: code -> IANA media type (``None``: no registered media type, so no ``dcat:mediaType``).
#: ``OTHER`` (the platform's "other format") is not an EU code: such a distribution gets no format at all.
FILE_TYPES: dict[str, str | None] = {
    "CSV": "text/csv",
    "TSV": "text/tab-separated-values",
    "JSON": "application/json",
    "GEOJSON": "application/geo+json",
    "XML": "application/xml",
    "RDF_TURTLE": "text/turtle",
    "JSON_LD": "application/ld+json",
    "RDF_XML": "application/rdf+xml",
    "RDF_N_TRIPLES": "application/n-triples",
    "RDF_TRIG": "application/trig",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "XLS": "application/vnd.ms-excel",
    "ODS": "application/vnd.oasis.opendocument.spreadsheet",
    "SHP": None,
    "KML": "application/vnd.google-earth.kml+xml",
    "GML": "application/gml+xml",
    "PDF": "application/pdf",
    "HTML": "text/html",
    "TXT": "text/plain",
    "ZIP": "application/zip",
}
NO_FILE_TYPE = "OTHER"

#: Planned availability of a distribution (DCAT-AP ``dcatap:availability``): code -> English label.
AVAILABILITIES: dict[str, str] = {
    "AVAILABLE": "available",
    "EXPERIMENTAL": "experimental",
    "STABLE": "stable",
    "TEMPORARY": "temporary",
}

#: ADMS publisher types (``dct:type`` of an agent): URI -> English label.
PUBLISHER_TYPES: dict[str, str] = {
    ADMS_PUBLISHER_TYPE + code: label
    for code, label in {
        "Academia-ScientificOrganisation": "Academia/Scientific organisation",
        "Company": "Company",
        "IndustryConsortium": "Industry consortium",
        "LocalAuthority": "Local authority",
        "NationalAuthority": "National authority",
        "NonGovernmentalOrganisation": "Non-governmental organisation",
        "NonProfitOrganisation": "Non-profit organisation",
        "PrivateIndividual(s)": "Private individual(s)",
        "RegionalAuthority": "Regional authority",
        "StandardisationBody": "Standardisation body",
        "SupraNationalAuthority": "Supra-national authority",
    }.items()
}
LOCAL_AUTHORITY = ADMS_PUBLISHER_TYPE + "LocalAuthority"
REGIONAL_AUTHORITY = ADMS_PUBLISHER_TYPE + "RegionalAuthority"

#: ADMS licence types (``dct:type`` of a licence document): URI -> English label.
LICENCE_TYPES: dict[str, str] = {
    ADMS_LICENCE_TYPE + "Attribution": "Attribution",
    ADMS_LICENCE_TYPE + "PublicDomain": "Public domain",
}

LICENCE_MODELLICENTIE = "http://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0"
LICENCE_CC0_VLAANDEREN = "http://data.vlaanderen.be/id/licentie/creative-commons-zero-verklaring/v1.0"
LICENCE_CC0 = "https://creativecommons.org/publicdomain/zero/1.0/"
LICENCE_CC_BY = "https://creativecommons.org/licenses/by/4.0/"


#: Licences the platform offers: URI -> (ADMS licence type, {language: title}). Other URIs are accepted
#: too; they are described as a licence document without a type (the recommended shapes then warn).
LICENCES: dict[str, tuple[str, dict[str, str]]] = {
    LICENCE_MODELLICENTIE: (
        ADMS_LICENCE_TYPE + "Attribution",
        {"nl": "Modellicentie Gratis Hergebruik", "en": "Flemish model licence for free reuse"},
    ),
    LICENCE_CC0_VLAANDEREN: (
        ADMS_LICENCE_TYPE + "PublicDomain",
        {"nl": "Creative Commons Zero-verklaring", "en": "Creative Commons Zero declaration"},
    ),
    LICENCE_CC0: (ADMS_LICENCE_TYPE + "PublicDomain", {"en": "CC0 1.0 Universal"}),
    LICENCE_CC_BY: (ADMS_LICENCE_TYPE + "Attribution", {"en": "Creative Commons Attribution 4.0 International"}),
}

#: Standards known by name (lower case, spaces and hyphens removed) -> (URI, title).
STANDARDS: dict[str, tuple[str, str]] = {
    "datexii": ("http://vocab.datex.org/terms#", "DATEX II"),
    "datex2": ("http://vocab.datex.org/terms#", "DATEX II"),
}

#: BCP 47 language tags the platform writes -> EU language codes.
LANGUAGE_CODES: dict[str, str] = {"nl": "NLD", "en": "ENG", "fr": "FRA", "de": "DEU"}
