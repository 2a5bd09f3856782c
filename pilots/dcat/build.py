"""Build the DCAT-AP 3.0.0 graph of the catalogue from plain data.

Every resource the graph points to gets the class the DCAT-AP range shapes ask for (a licence is a
``dct:LicenseDocument``, a language a ``dct:LinguisticSystem``, a theme a ``skos:Concept`` with a label...),
so the graph validates against the shapes without any ontology or inference. The input is checked first
and every problem is reported in one :class:`CatalogError`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from rdflib.term import Node

from pilots.dcat.errors import CatalogError
from pilots.dcat.model import Agent, CatalogInfo, DatasetInfo, DistributionInfo, Texts, When
from pilots.dcat.uris import is_web_uri
from pilots.dcat.vocab import (
    AVAILABILITIES,
    DCATAP,
    EU_AVAILABILITY,
    EU_FILE_TYPE,
    EU_FREQUENCY,
    EU_LANGUAGE,
    EU_THEME,
    EU_THEME_SCHEME,
    FILE_TYPES,
    FREQUENCIES,
    IANA_MEDIA_TYPE,
    LANGUAGE_CODES,
    LICENCE_TYPES,
    LICENCES,
    NO_FILE_TYPE,
    PREFIXES,
    PUBLISHER_TYPES,
    REALTIME_FREQUENCIES,
    REALTIME_FREQUENCY,
    REALTIME_KEYWORDS,
    STANDARDS,
    THEME_SCHEME_TITLE,
    THEMES,
    VCARD,
)

_LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_EU_LANGUAGE = re.compile(r"^[A-Z]{3}$")
_EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")

#: Generated distribution descriptions, per language; ``{format}`` is the format's name.
_DISTRIBUTION_DESCRIPTION = {
    "nl": "Toegang tot de gegevens in het formaat {format}.",
    "en": "Access to the data in {format} format.",
}
_DISTRIBUTION_DESCRIPTION_NO_FORMAT = {"nl": "Toegang tot de gegevens.", "en": "Access to the data."}
_FORMAT_NAMES = {
    "RDF_TURTLE": "RDF Turtle",
    "JSON_LD": "JSON-LD",
    "RDF_XML": "RDF/XML",
    "RDF_N_TRIPLES": "N-Triples",
    "RDF_TRIG": "TriG",
    "GEOJSON": "GeoJSON",
    "SHP": "Shapefile",
}


def build_graph(catalog: CatalogInfo, datasets: Sequence[DatasetInfo]) -> Graph:
    """The catalogue as an RDF graph (DCAT-AP 3.0.0). Raises :class:`CatalogError` listing every problem."""
    problems = catalog_problems(catalog, datasets)
    if problems:
        raise CatalogError(problems)
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace)
    _Builder(graph).catalog(catalog, datasets)
    return graph


def catalog_problems(catalog: CatalogInfo, datasets: Sequence[DatasetInfo]) -> list[str]:
    """Every reason the catalogue cannot be built (empty when it can)."""
    problems: list[str] = []
    where = f"catalogue <{catalog.uri}>"
    _check_uri(problems, where, "uri", catalog.uri)
    _check_texts(problems, where, "title", catalog.title, required=True)
    _check_texts(problems, where, "description", catalog.description, required=True)
    _check_uri(problems, where, "homepage", catalog.homepage, required=False)
    _check_languages(problems, where, catalog.language_codes)
    _check_when(problems, where, "issued", catalog.issued)
    _check_when(problems, where, "modified", catalog.modified)
    _check_uri(problems, where, "licence_uri", catalog.licence_uri, required=False)
    for uri in catalog.spatial_uris:
        _check_uri(problems, where, "spatial_uris", uri)

    agents: dict[str, Agent] = {}
    for agent in [catalog.publisher, *(dataset.publisher for dataset in datasets)]:
        known = agents.setdefault(agent.uri, agent)
        if known is agent:
            problems.extend(agent_problems(agent))
        elif known != agent:
            problems.append(f"agent <{agent.uri}> is given twice with different details")

    seen: set[str] = {catalog.uri}
    for dataset in datasets:
        if dataset.uri in seen:
            problems.append(f"dataset <{dataset.uri}>: its URI is used twice")
        seen.add(dataset.uri)
        problems.extend(dataset_problems(dataset, check_publisher=False))
    return problems


def agent_problems(agent: Agent) -> list[str]:
    problems: list[str] = []
    where = f"agent <{agent.uri}>"
    _check_uri(problems, where, "uri", agent.uri)
    _check_texts(problems, where, "name", agent.name, required=True)
    if agent.type_uri is not None and agent.type_uri not in PUBLISHER_TYPES:
        problems.append(f"{where}: type_uri {agent.type_uri!r} is not an ADMS publisher type")
    _check_email(problems, where, agent.email)
    _check_uri(problems, where, "homepage", agent.homepage, required=False)
    return problems


def dataset_problems(dataset: DatasetInfo, *, check_publisher: bool = True) -> list[str]:
    """Every reason this dataset cannot go into the catalogue (empty when it can).

    The web layer may use it to leave out (and report) incomplete datasets instead of failing the catalogue.
    """
    problems: list[str] = []
    where = f"dataset <{dataset.uri}>"
    _check_uri(problems, where, "uri", dataset.uri)
    _check_texts(problems, where, "title", dataset.title, required=True)
    _check_texts(problems, where, "description", dataset.description, required=True)
    if check_publisher:
        problems.extend(agent_problems(dataset.publisher))
    _check_email(problems, where, dataset.contact_email)
    for index, keyword in enumerate(dataset.keywords):
        if not (isinstance(keyword, tuple | list) and len(keyword) == 2 and all(isinstance(part, str) for part in keyword)):
            problems.append(f"{where}: keyword {index + 1} must be a (text, language) pair")
        elif keyword[0].strip() and not _LANGUAGE_TAG.match(keyword[1]):
            problems.append(f"{where}: keyword {keyword[0]!r} has an invalid language tag {keyword[1]!r}")
    if dataset.theme_code is not None and dataset.theme_code not in THEMES:
        problems.append(f"{where}: theme_code {dataset.theme_code!r} is not an EU data theme")
    _check_uri(problems, where, "licence_uri", dataset.licence_uri, required=False)
    if dataset.conforms_to is not None and not dataset.conforms_to.strip():
        problems.append(f"{where}: conforms_to is blank")
    elif dataset.conforms_to and _looks_like_uri(dataset.conforms_to):
        _check_uri(problems, where, "conforms_to", dataset.conforms_to)
    if dataset.frequency_code is not None and dataset.frequency_code not in FREQUENCIES:
        problems.append(f"{where}: frequency_code {dataset.frequency_code!r} is not an EU frequency")
    _check_when(problems, where, "issued", dataset.issued)
    _check_when(problems, where, "modified", dataset.modified)
    _check_languages(problems, where, dataset.language_codes)
    _check_uri(problems, where, "landing_page", dataset.landing_page, required=False)
    for uri in dataset.spatial_uris:
        _check_uri(problems, where, "spatial_uris", uri)
    for index, distribution in enumerate(_distributions(dataset), start=1):
        _check_distribution(problems, f"{where} distribution {index}", distribution)
    return problems


# --- checks ---------------------------------------------------------------------------------------------


def _looks_like_uri(value: str) -> bool:
    return bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", value.strip()))


def _check_uri(problems: list[str], where: str, name: str, value: object, *, required: bool = True) -> None:
    if value is None or value == "":
        if required:
            problems.append(f"{where}: {name} is missing")
        return
    if not isinstance(value, str):
        problems.append(f"{where}: {name} must be a URI string")
        return
    if not is_web_uri(value):
        problems.append(f"{where}: {name} {value!r} is not an absolute http(s) URI")


def _check_texts(problems: list[str], where: str, name: str, texts: Texts, *, required: bool) -> None:
    if not isinstance(texts, Mapping):
        problems.append(f"{where}: {name} must be a mapping of language tag to text")
        return
    present = False
    for language, text in texts.items():
        if not isinstance(text, str) or not isinstance(language, str):
            problems.append(f"{where}: {name} must map language tags to strings")
            continue
        if not text.strip():
            continue
        present = True
        if not _LANGUAGE_TAG.match(language):
            problems.append(f"{where}: {name} has an invalid language tag {language!r}")
    if required and not present:
        problems.append(f"{where}: {name} is missing (no non-empty text in any language)")


def _check_languages(problems: list[str], where: str, codes: Sequence[str]) -> None:
    for code in codes:
        if _language_code(code) is None:
            problems.append(f"{where}: language {code!r} is neither an EU language code (NLD) nor a known tag (nl)")


def _check_when(problems: list[str], where: str, name: str, value: object) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            problems.append(f"{where}: {name} is a naive datetime (give it a timezone)")
    elif not isinstance(value, date):
        problems.append(f"{where}: {name} must be a date or a datetime")


def _check_email(problems: list[str], where: str, email: str | None) -> None:
    if email is None or email == "":
        return
    if not isinstance(email, str) or not _EMAIL.match(_strip_mailto(email)):
        problems.append(f"{where}: {email!r} is not an e-mail address")


def _check_distribution(problems: list[str], where: str, distribution: DistributionInfo) -> None:
    _check_uri(problems, where, "access_url", distribution.access_url)
    _check_uri(problems, where, "download_url", distribution.download_url, required=False)
    _check_uri(problems, where, "uri", distribution.uri, required=False)
    _check_uri(problems, where, "licence_uri", distribution.licence_uri, required=False)
    code = distribution.file_type_code
    if code is not None and code != NO_FILE_TYPE and code not in FILE_TYPES:
        problems.append(f"{where}: file_type_code {code!r} is not an EU file type the catalogue knows")
    if distribution.media_type is not None and not _MEDIA_TYPE.match(distribution.media_type):
        problems.append(f"{where}: media_type {distribution.media_type!r} is not a media type (type/subtype)")
    if distribution.availability_code is not None and distribution.availability_code not in AVAILABILITIES:
        problems.append(f"{where}: availability_code {distribution.availability_code!r} is not an EU planned availability")
    _check_texts(problems, where, "title", distribution.title, required=False)
    _check_texts(problems, where, "description", distribution.description, required=False)


# --- helpers --------------------------------------------------------------------------------------------


def _strip_mailto(email: str) -> str:
    email = email.strip()
    return email[len("mailto:") :] if email.lower().startswith("mailto:") else email


def _language_code(code: str) -> str | None:
    if not isinstance(code, str):
        return None
    if _EU_LANGUAGE.match(code):
        return code
    return LANGUAGE_CODES.get(code.lower())


def _child(uri: str, name: str) -> URIRef:
    """A resource that belongs to ``uri``: a fragment of it (or a longer fragment if it has one already)."""
    return URIRef(f"{uri}-{name}" if "#" in uri else f"{uri}#{name}")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "standard"


def _when_literal(value: When) -> Literal:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(microsecond=0)
        return Literal(value.isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def _as_datetime(value: When) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _distributions(dataset: DatasetInfo) -> list[DistributionInfo]:
    first = DistributionInfo(
        access_url=dataset.access_url,
        download_url=dataset.download_url,
        file_type_code=dataset.file_type_code,
        media_type=dataset.media_type,
        licence_uri=None,  # the dataset's, checked with the dataset
        title=dataset.distribution_title,
        description=dataset.distribution_description,
        availability_code=dataset.availability_code,
    )
    return [first, *dataset.extra_distributions]


class _Builder:
    def __init__(self, graph: Graph):
        self.graph = graph

    def add(self, subject: Node, predicate: URIRef, obj: Node) -> None:
        self.graph.add((subject, predicate, obj))

    def texts(self, subject: Node, predicate: URIRef, texts: Texts) -> None:
        for language, text in sorted(texts.items()):
            if text.strip():
                self.add(subject, predicate, Literal(text.strip(), lang=language))

    def typed(self, uri: str, cls: URIRef) -> URIRef:
        node = URIRef(uri)
        self.add(node, RDF.type, cls)
        return node

    # --- shared resources ---

    def agent(self, agent: Agent) -> URIRef:
        node = self.typed(agent.uri, FOAF.Agent)
        self.texts(node, FOAF.name, agent.name)
        if agent.type_uri is not None:
            self.add(node, DCTERMS.type, self.concept(agent.type_uri, {"en": PUBLISHER_TYPES[agent.type_uri]}))
        if agent.email:
            self.add(node, FOAF.mbox, URIRef("mailto:" + _strip_mailto(agent.email)))
        if agent.homepage:
            self.add(node, FOAF.homepage, self.typed(agent.homepage, FOAF.Document))
        return node

    def concept(self, uri: str, labels: Mapping[str, str], scheme: URIRef | None = None) -> URIRef:
        node = self.typed(uri, SKOS.Concept)
        self.texts(node, SKOS.prefLabel, labels)
        if scheme is not None:
            self.add(node, SKOS.inScheme, scheme)
        return node

    def theme_scheme(self) -> URIRef:
        node = self.typed(EU_THEME_SCHEME, SKOS.ConceptScheme)
        self.texts(node, DCTERMS.title, THEME_SCHEME_TITLE)
        return node

    def language(self, code: str) -> URIRef:
        return self.typed(EU_LANGUAGE + (_language_code(code) or ""), DCTERMS.LinguisticSystem)

    def licence(self, uri: str) -> URIRef:
        node = self.typed(uri, DCTERMS.LicenseDocument)
        if uri in LICENCES:
            licence_type, titles = LICENCES[uri]
            self.add(node, DCTERMS.type, self.concept(licence_type, {"en": LICENCE_TYPES[licence_type]}))
            self.texts(node, DCTERMS.title, titles)
        return node

    def standard(self, value: str) -> Node:
        value = value.strip()
        known = STANDARDS.get(re.sub(r"[\s_-]+", "", value.lower()))
        if known is not None:
            node: Node = URIRef(known[0])
            self.add(node, DCTERMS.title, Literal(known[1]))
        elif _looks_like_uri(value):
            node = URIRef(value)
        else:
            # A standard known only by name: a blank node with a stable id, so the output is the same every time.
            node = BNode(f"standard-{_slug(value)}")
            self.add(node, DCTERMS.title, Literal(value))
        self.add(node, RDF.type, DCTERMS.Standard)
        return node

    def locations(self, subject: URIRef, uris: Iterable[str]) -> None:
        for uri in uris:
            self.add(subject, DCTERMS.spatial, self.typed(uri, DCTERMS.Location))

    # --- the three levels ---

    def catalog(self, catalog: CatalogInfo, datasets: Sequence[DatasetInfo]) -> None:
        node = self.typed(catalog.uri, DCAT.Catalog)
        self.texts(node, DCTERMS.title, catalog.title)
        self.texts(node, DCTERMS.description, catalog.description)
        self.add(node, DCTERMS.publisher, self.agent(catalog.publisher))
        if catalog.homepage:
            self.add(node, FOAF.homepage, self.typed(catalog.homepage, FOAF.Document))
        for code in catalog.language_codes:
            self.add(node, DCTERMS.language, self.language(code))
        if catalog.issued is not None:
            self.add(node, DCTERMS.issued, _when_literal(catalog.issued))
        modified = catalog.modified
        if modified is None:
            dates = [when for dataset in datasets for when in (dataset.issued, dataset.modified) if when is not None]
            modified = max(dates, key=_as_datetime) if dates else None
        if modified is not None:
            self.add(node, DCTERMS.modified, _when_literal(modified))
        if catalog.licence_uri:
            self.add(node, DCTERMS.license, self.licence(catalog.licence_uri))
        self.locations(node, catalog.spatial_uris)
        self.add(node, DCAT.themeTaxonomy, self.theme_scheme())
        for dataset in datasets:
            self.add(node, DCAT.dataset, self.dataset(dataset))

    def dataset(self, dataset: DatasetInfo) -> URIRef:
        node = self.typed(dataset.uri, DCAT.Dataset)
        self.texts(node, DCTERMS.title, dataset.title)
        self.texts(node, DCTERMS.description, dataset.description)
        self.add(node, DCTERMS.identifier, Literal(dataset.uri))
        self.add(node, DCTERMS.publisher, self.agent(dataset.publisher))
        if dataset.contact_email:
            contact = _child(dataset.uri, "contact-point")
            self.add(contact, RDF.type, VCARD.Kind)
            self.texts(contact, VCARD.fn, dataset.publisher.name)
            self.add(contact, VCARD.hasEmail, URIRef("mailto:" + _strip_mailto(dataset.contact_email)))
            self.add(node, DCAT.contactPoint, contact)
        keywords = [(text.strip(), language) for text, language in dataset.keywords if text.strip()]
        if dataset.realtime:
            present = {text.lower() for text, _ in keywords}
            keywords += [(text, language) for text, language in REALTIME_KEYWORDS if text not in present]
        for text, language in keywords:
            self.add(node, DCAT.keyword, Literal(text, lang=language))
        if dataset.theme_code:
            theme = self.concept(EU_THEME + dataset.theme_code, THEMES[dataset.theme_code], URIRef(EU_THEME_SCHEME))
            self.add(node, DCAT.theme, theme)
        if dataset.conforms_to:
            self.add(node, DCTERMS.conformsTo, self.standard(dataset.conforms_to))
        frequency = dataset.frequency_code
        if dataset.realtime and frequency not in REALTIME_FREQUENCIES:
            frequency = REALTIME_FREQUENCY
        if frequency:
            self.add(node, DCTERMS.accrualPeriodicity, self.typed(EU_FREQUENCY + frequency, DCTERMS.Frequency))
        if dataset.issued is not None:
            self.add(node, DCTERMS.issued, _when_literal(dataset.issued))
        if dataset.modified is not None:
            self.add(node, DCTERMS.modified, _when_literal(dataset.modified))
        for code in dataset.language_codes:
            self.add(node, DCTERMS.language, self.language(code))
        if dataset.landing_page:
            self.add(node, DCAT.landingPage, self.typed(dataset.landing_page, FOAF.Document))
        self.locations(node, dataset.spatial_uris)
        for index, distribution in enumerate(_distributions(dataset), start=1):
            uri = distribution.uri or _child(dataset.uri, "distribution" if index == 1 else f"distribution-{index}")
            self.add(node, DCAT.distribution, self.distribution(URIRef(uri), distribution, dataset))
        return node

    def distribution(self, node: URIRef, distribution: DistributionInfo, dataset: DatasetInfo) -> URIRef:
        self.add(node, RDF.type, DCAT.Distribution)
        code = distribution.file_type_code if distribution.file_type_code != NO_FILE_TYPE else None
        format_name = _FORMAT_NAMES.get(code, code) if code else None
        title = {language: text for language, text in distribution.title.items() if text.strip()}
        if not title:
            suffix = f" ({format_name})" if format_name else ""
            title = {language: text.strip() + suffix for language, text in dataset.title.items() if text.strip()}
        self.texts(node, DCTERMS.title, title)
        description = {language: text for language, text in distribution.description.items() if text.strip()}
        if not description:
            templates = _DISTRIBUTION_DESCRIPTION if format_name else _DISTRIBUTION_DESCRIPTION_NO_FORMAT
            description = {
                language: templates[language].format(format=format_name) for language in title if language in templates
            }
        self.texts(node, DCTERMS.description, description)
        self.add(node, DCAT.accessURL, URIRef(distribution.access_url or ""))
        if distribution.download_url:
            self.add(node, DCAT.downloadURL, URIRef(distribution.download_url))
        if code:
            self.add(node, DCTERMS["format"], self.typed(EU_FILE_TYPE + code, DCTERMS.MediaTypeOrExtent))
        media_type = distribution.media_type or (FILE_TYPES.get(code) if code else None)
        if media_type:
            self.add(node, DCAT.mediaType, self.typed(IANA_MEDIA_TYPE + media_type, DCTERMS.MediaType))
        licence = distribution.licence_uri or dataset.licence_uri
        if licence:
            self.add(node, DCTERMS.license, self.licence(licence))
        if distribution.availability_code:
            code_uri = EU_AVAILABILITY + distribution.availability_code
            self.add(node, DCATAP.availability, self.concept(code_uri, {"en": AVAILABILITIES[distribution.availability_code]}))
        return node
