"""The platform's DCAT-AP catalogue over HTTP: what the demo programme publishes conforms to the DCAT-AP 3.0.0
shapes, follows the technical principles (CORS, caching, ETag) and is the same as `flask export-dcat`."""

from __future__ import annotations

from dataclasses import replace

import pytest
from rdflib import Graph
from rdflib.namespace import DCAT, RDF
from sqlalchemy import delete, select

from pilots.models import City
from pilots.services import cities
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
    assert client.get("/catalog", headers={"Accept": ""}).mimetype == "text/turtle"  # no preference: any type
    assert client.get("/catalog.exe").status_code == 404
    jsonld = Graph().parse(data=client.get("/catalog.jsonld").data, format="json-ld")
    assert jsonld.isomorphic(Graph().parse(data=response.data, format="turtle"))


def test_export_dcat_writes_the_same_catalogue(client, runner, programme):
    result = runner.invoke(args=["export-dcat", "--format", "turtle"])
    assert result.exit_code == 0
    assert result.stdout_bytes == client.get("/catalog.ttl").data


def forget_warm_renders(in_app) -> None:
    from pilots.models import RenderedCatalogue

    with in_app() as session:
        session.execute(delete(RenderedCatalogue))
        session.commit()


def test_catalogue_queries_are_bounded(app, client, programme, in_app):
    from pilots.models import PublishedDataset
    from pilots.services import catalogue

    forget_warm_renders(in_app)  # a cold render both times
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
        assert len(catalogue.published_datasets()) == 16
    with count_queries(app) as after:
        client.get("/catalog.ttl")
    assert len(after) == len(before)


def test_the_catalogue_is_rendered_once_until_its_data_changes(app, client, programme, in_app, monkeypatch):
    """Rendering 5,000 datasets takes seconds, so a worker keeps what it rendered; any change shows at once."""
    from pilots.models import City, PublishedDataset
    from pilots.services import catalogue

    renders = []
    original = catalogue.render
    monkeypatch.setattr(catalogue, "render", lambda *args: renders.append(args) or original(*args))
    forget_warm_renders(in_app)  # as before the warm-up job has run
    first = client.get("/catalog.ttl")
    again = client.get("/catalog.ttl")
    assert (first.data, first.headers["ETag"]) == (again.data, again.headers["ETag"])
    assert len(renders) == 1
    assert client.get("/catalog.ttl", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert len(renders) == 1  # a conditional request for the current ETag builds nothing
    client.get("/catalog.jsonld")
    assert len(renders) == 2  # each format once

    with in_app() as session:
        dataset = session.query(PublishedDataset).order_by(PublishedDataset.id).first()
        dataset.title_nl = "Parkeerbezetting, hernoemd"
        dataset_id, city_id = dataset.id, dataset.city_id
        session.commit()
    edited = client.get("/catalog.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert edited.status_code == 200 and b"Parkeerbezetting, hernoemd" in edited.data
    assert edited.headers["ETag"] != first.headers["ETag"]

    with in_app() as session:
        city = session.get(City, city_id)
        city.name = "Stad Hernoemd"
        session.commit()
    assert b"Stad Hernoemd" in client.get("/catalog.ttl").data

    with in_app() as session:
        session.delete(session.get(PublishedDataset, dataset_id))
        session.commit()
    graph = Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 5


def test_a_change_warms_the_catalogue_for_every_process(app, client, programme, in_app, monkeypatch):
    """Issue 13: after a change to the published datasets (or a city), a job renders the catalogue in every format
    and stores it, so that no visitor of any web process waits for a cold render."""
    from pilots import cache, dcat
    from pilots.models import PublishedDataset, RenderedCatalogue, User
    from pilots.services import catalogue, workspaces

    with in_app() as session:
        dataset = session.scalars(select(PublishedDataset).order_by(PublishedDataset.id)).first()
        lead = session.scalars(select(User).where(User.is_steering.is_(True))).first()
        data = workspaces.DatasetData(**{name: getattr(dataset, name) for name in workspaces.DatasetData.__dataclass_fields__})
        workspaces.update_dataset(lead, dataset.pilot_id, dataset.id, replace(data, title_nl="Hernoemd"), None)
        city_id, lead_id = dataset.city_id, lead.id
        stored = {row.format: (row.body, row.etag) for row in session.scalars(select(RenderedCatalogue))}
        assert set(stored) == set(dcat.FORMATS)  # the job ran after the commit (the test queue runs it at once)
        assert b"Hernoemd" in stored["turtle"][0]
        assert catalogue.warm(app.config["BASE_URL"]) == 0  # all there already: nothing rendered again

    cache.clear_all()  # another web process: nothing in its memory
    renders = []
    monkeypatch.setattr(catalogue, "render", lambda *args: renders.append(args))
    for extension, format in (("ttl", "turtle"), ("jsonld", "json-ld"), ("rdf", "rdf/xml"), ("nt", "n-triples")):
        response = client.get(f"/catalog.{extension}")
        assert response.status_code == 200 and response.data == stored[format][0]
        assert response.headers["ETag"] == f'"{stored[format][1]}"'
    assert renders == []  # every format came from the warm store

    with in_app() as session:
        city = session.get(City, city_id)
        data = cities.CityData(**{name: getattr(city, name) for name in cities.CityData.__dataclass_fields__})
        cities.update_city(session.get(User, lead_id), city.id, replace(data, name="Stad Hernoemd"), None)
        rows = session.scalars(select(RenderedCatalogue)).all()
        assert len(rows) == len(dcat.FORMATS)  # the renders of the old data are gone
        assert all(b"Stad Hernoemd" in row.body for row in rows)


def test_a_dataset_the_catalogue_cannot_describe_is_reported_not_dropped_silently(client, runner, programme, in_app, caplog):
    """Regression (issue 11): a dataset whose stored address is not a URI (typed before addresses were checked
    by RFC 3986, or restored from an old backup) silently disappeared from /catalog.*."""
    from pilots.models import PublishedDataset

    with in_app() as session:
        dataset = session.query(PublishedDataset).order_by(PublishedDataset.id).first()
        dataset.access_url = 'https://example.org/"><svg/onload=alert(1)>'
        session.commit()
        dataset_id, title = dataset.id, dataset.title_nl
    with caplog.at_level("WARNING", logger="pilots.services.catalogue"):
        graph = Graph().parse(data=client.get("/catalog.ttl").data, format="turtle")
    assert len(set(graph.subjects(RDF.type, DCAT.Dataset))) == 5
    assert any(f"dataset {dataset_id}" in message and "access_url" in message for message in caplog.messages), caplog.messages
    result = runner.invoke(args=["export-dcat"])
    assert result.exit_code == 0
    assert f"Left out dataset {dataset_id} ({title}): " in result.stderr
    assert "is not an absolute http(s) URI" in result.stderr
