"""The catalogue conforms to the official DCAT-AP 3.0.0 SHACL shapes (../shared/standards/dcat-ap/).

The shapes are validated with pyshacl without any ontology: every node the catalogue points to carries
the class the range shapes ask for, so no inference is needed ("none"); "rdfs" gives the same result.
The recommended shapes only report warnings. Mutated catalogues show that the validation can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef

from pilots.dcat import CatalogError, build_graph
from tests.conftest import shared_file
from tests.dcat import terms
from tests.dcat.parking import MODELLICENTIE, URIS, catalog_info, parking_dataset, parking_datasets

STANDARDS = "standards/dcat-ap/"


class Result(NamedTuple):
    severity: str  # "Violation", "Warning", "Info"
    focus: str
    path: str
    component: str
    message: str


def results(report: Graph) -> list[Result]:
    found = []
    for node in report.objects(None, terms.SH.result):
        severity = report.value(node, terms.SH.resultSeverity)
        found.append(
            Result(
                str(severity).rsplit("#", 1)[-1],
                str(report.value(node, terms.SH.focusNode)),
                str(report.value(node, terms.SH.resultPath)),
                str(report.value(node, terms.SH.sourceConstraintComponent)).rsplit("#", 1)[-1],
                str(report.value(node, terms.SH.resultMessage)),
            )
        )
    return sorted(found)


def load_shapes(*names: str) -> Graph:
    shapes = Graph()
    for name in names:
        shapes.parse(shared_file(STANDARDS + name), format="turtle")
    return shapes


def check(data: Graph, shapes: Graph, inference: str = "none") -> tuple[bool, list[Result]]:
    conforms, report, _ = validate(data, shacl_graph=shapes, inference=inference, allow_warnings=False)
    return conforms, results(report)


@pytest.fixture(scope="module")
def core_shapes() -> Graph:
    """The mandatory constraints: the 3.0.0 shapes plus the class-range shapes."""
    return load_shapes("dcat-ap-3.0.0-shapes.ttl", "dcat-ap-3.0.0-range.ttl")


@pytest.fixture(scope="module")
def catalogue() -> Graph:
    return build_graph(catalog_info(), parking_datasets())


@pytest.fixture(scope="module", params=["none", "rdfs"])
def core_report(request, catalogue, core_shapes) -> tuple[bool, list[Result]]:
    return check(catalogue, core_shapes, request.param)


def test_the_parking_catalogue_conforms_to_dcat_ap_3_with_zero_violations(core_report):
    conforms, found = core_report
    violations = [result for result in found if result.severity == "Violation"]
    assert violations == []
    assert found == []  # not even a warning or an info
    assert conforms


def test_the_shapes_do_reach_every_part_of_the_catalogue(catalogue, core_shapes):
    """Guard against a vacuous pass: every class the shapes target that the catalogue uses is present."""
    targeted = set(core_shapes.objects(None, terms.SH.targetClass))
    used = set(catalogue.objects(None, terms.RDF.type))
    for cls in (terms.DCAT.Catalog, terms.DCAT.Dataset, terms.DCAT.Distribution, terms.FOAF.Agent, terms.DCTERMS.LicenseDocument):
        assert cls in targeted and cls in used
    assert len(set(catalogue.subjects(terms.RDF.type, terms.DCAT.Dataset))) == 4
    assert len(set(catalogue.subjects(terms.RDF.type, terms.DCAT.Distribution))) == 5  # Gent also publishes its history


def test_a_dataset_without_access_url_is_refused_by_the_builder():
    datasets = [*parking_datasets()[:3], parking_dataset("sint-niklaas", access_url=None)]
    with pytest.raises(CatalogError) as error:
        build_graph(catalog_info(), datasets)
    assert error.value.problems == (f"dataset <{URIS.dataset(4)}> distribution 1: access_url is missing",)


def _drop(predicate: URIRef, subject: str | None = None) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.remove((URIRef(subject) if subject else None, predicate, None))

    return mutate


def _untyped(node: str, cls: URIRef) -> Callable[[Graph], None]:
    def mutate(graph: Graph) -> None:
        graph.remove((URIRef(node), terms.RDF.type, cls))

    return mutate


def _untyped_date(graph: Graph) -> None:
    catalog = URIRef(URIS.catalog())
    graph.set((catalog, terms.DCTERMS.issued, Literal(str(graph.value(catalog, terms.DCTERMS.issued)))))  # a plain string


def _two_publishers(graph: Graph) -> None:
    graph.add((URIRef(URIS.catalog()), terms.DCTERMS.publisher, URIRef(URIS.city("gent"))))


MUTATIONS = {
    # name: (mutation, focus node, path, constraint component)
    "no access URL": (
        _drop(terms.DCAT.accessURL, URIS.dataset(4) + "#distribution"),
        URIS.dataset(4) + "#distribution",
        terms.DCAT.accessURL,
        "MinCountConstraintComponent",
    ),
    "no dataset title": (
        _drop(terms.DCTERMS.title, URIS.dataset(2)),
        URIS.dataset(2),
        terms.DCTERMS.title,
        "MinCountConstraintComponent",
    ),
    "no catalogue description": (
        _drop(terms.DCTERMS.description, URIS.catalog()),
        URIS.catalog(),
        terms.DCTERMS.description,
        "MinCountConstraintComponent",
    ),
    "licence not a LicenseDocument": (
        _untyped(MODELLICENTIE, terms.DCTERMS.LicenseDocument),
        URIS.dataset(1) + "#distribution",
        terms.DCTERMS.license,
        "ClassConstraintComponent",
    ),
    "publisher not an Agent": (
        _untyped(URIS.city("leuven"), terms.FOAF.Agent),
        URIS.dataset(3),
        terms.DCTERMS.publisher,
        "ClassConstraintComponent",
    ),
    "issued not a date": (_untyped_date, URIS.catalog(), terms.DCTERMS.issued, "NodeConstraintComponent"),
    "two catalogue publishers": (_two_publishers, URIS.catalog(), terms.DCTERMS.publisher, "MaxCountConstraintComponent"),
}


@pytest.mark.parametrize("name", MUTATIONS)
def test_a_broken_catalogue_is_reported_with_a_violation(name, catalogue, core_shapes):
    mutate, focus, path, component = MUTATIONS[name]
    broken = Graph()
    for triple in catalogue:
        broken.add(triple)
    mutate(broken)
    conforms, found = check(broken, core_shapes)
    assert not conforms
    assert Result("Violation", focus, str(path), component, "") in [result._replace(message="") for result in found], found


def test_the_recommended_shapes_give_warnings_only(catalogue):
    """What DCAT-AP recommends and the catalogue lacks: temporal coverage of the datasets, and bounding
    boxes and centroids of the places (we point to the municipalities' URIs and do not copy their geometry)."""
    conforms, found = check(catalogue, load_shapes("dcat-ap-3.0.0-shapes_recommended.ttl"))
    assert {result.severity for result in found} == {"Warning"}
    assert {result.path for result in found} == {str(terms.DCTERMS.temporal), str(terms.DCAT.bbox), str(terms.DCAT.centroid)}
    assert len([r for r in found if r.path == str(terms.DCTERMS.temporal)]) == 4  # one per dataset
    assert len(found) == 4 + 2 * 5  # + bbox and centroid of four municipalities and of Belgium
    assert not conforms  # pyshacl counts warnings as non-conformance unless allow_warnings


def test_the_catalogue_also_conforms_to_dcat_ap_2_1_1(catalogue):
    conforms, found = check(catalogue, load_shapes("dcat-ap-2.1.1-shapes.ttl"))
    assert [result for result in found if result.severity == "Violation"] == []
    assert conforms


def test_dates_are_typed_literals(catalogue):
    """The 3.0.0 Dataset shape names its date check with the non-standard ``sh:shape``, which SHACL ignores,
    so check the datatypes here."""
    for predicate in (terms.DCTERMS.issued, terms.DCTERMS.modified):
        for value in catalogue.objects(None, predicate):
            assert value.datatype in (terms.XSD.date, terms.XSD.dateTime), value
