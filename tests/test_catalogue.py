"""The platform's DCAT-AP catalogue over HTTP: what the demo programme publishes conforms to the DCAT-AP 3.0.0
shapes, follows the technical principles (CORS, caching, ETag) and is the same as `flask export-dcat`."""

from __future__ import annotations

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF

from tests.conftest import count_queries
from tests.dcat.test_shacl import check, load_shapes


@pytest.fixture
def programme(app, in_app):
    from pilots.demo import seed

    with in_app():
        seed()


def test_the_demo_catalogue_conforms_to_dcat_ap_3(client, programme):
    response = client.get("/catalog.ttl")
    assert response.status_code == 200 and response.mimetype == "text/turtle"
    graph = Graph().parse(data=response.data, format="turtle")
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == 6  # the parking pilot's published datasets
    conforms, violations = check(graph, load_shapes("dcat-ap-3.0.0-shapes.ttl", "dcat-ap-3.0.0-range.ttl"))
    assert conforms, violations
    assert violations == []


def test_principles_negotiation_and_etag(client, programme):
    response = client.get("/catalog.ttl")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert client.get("/catalog.ttl", headers={"If-None-Match": etag}).status_code == 304
    for accept, mimetype in [
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        ("*/*", "text/turtle"),
    ]:
        negotiated = client.get("/catalog", headers={"Accept": accept})
        assert negotiated.mimetype == mimetype, accept
        assert "Accept" in negotiated.headers["Vary"]
    assert client.get("/catalog", headers={"Accept": "image/png"}).status_code == 406
    assert client.get("/catalog.exe").status_code == 404
    jsonld = Graph().parse(data=client.get("/catalog.jsonld").data, format="json-ld")
    assert jsonld.isomorphic(Graph().parse(data=response.data, format="turtle"))


def test_export_dcat_writes_the_same_catalogue(client, runner, programme):
    result = runner.invoke(args=["export-dcat", "--format", "turtle"])
    assert result.exit_code == 0
    assert result.stdout_bytes == client.get("/catalog.ttl").data


def test_catalogue_queries_are_bounded(app, client, programme, in_app):
    from pilots.models import PublishedDataset
    from pilots.services import workspaces

    with count_queries(app) as before:
        client.get("/catalog.ttl")
    with in_app() as session:
        template = session.query(PublishedDataset).first()
        for n in range(10):
            session.add(
                PublishedDataset(
                    pilot_id=template.pilot_id,
                    city_id=template.city_id,
                    title_nl=f"Extra {n}",
                    contact_email="a@b.be",
                    theme="TRAN",
                    access_url=f"https://data.example/{n}",
                    file_type="CSV",
                    licence=template.licence,
                )
            )
        session.commit()
        assert len(workspaces.published_datasets()) == 16
    with count_queries(app) as after:
        client.get("/catalog.ttl")
    assert len(after) == len(before)
