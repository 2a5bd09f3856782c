"""The platform's DCAT-AP catalogue from the published datasets (see docs/dcat.md)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from pilots import dcat
from pilots.cache import LruCache, register
from pilots.extensions import db
from pilots.models import City, PublishedDataset, RenderedCatalogue
from pilots.services.transaction import after_commit, unit_of_work
from pilots.vocabularies import LICENCE_CC0_VLAANDEREN

log = logging.getLogger(__name__)

#: The statistical-sector municipality URIs of Flanders' base registry, by NIS code.
MUNICIPALITY = "https://data.vlaanderen.be/id/gemeente/{nis}"


def _texts(nl: str, en: str) -> dict[str, str]:
    return {lang: text for lang, text in (("nl", nl), ("en", en)) if text}


@dataclass(frozen=True)
class LeftOut:
    """A published dataset the catalogue cannot describe, and why (the builder's own words)."""

    dataset_id: int
    title: str
    problems: tuple[str, ...]


def published_datasets() -> list[PublishedDataset]:
    """Every published dataset with its city (joined): one statement whatever their number."""
    return list(db.session.scalars(sa.select(PublishedDataset).order_by(PublishedDataset.id)))


def build(base_url: str) -> tuple[dcat.CatalogInfo, list[dcat.DatasetInfo], list[LeftOut]]:
    """The catalogue and its datasets as the plain input of :mod:`pilots.dcat`. A dataset the catalogue cannot
    describe is left out, never silently: each is logged with its problems and returned as a :class:`LeftOut`."""
    uris = dcat.UriScheme(base_url.rstrip("/"))
    organisation = dcat.Agent(
        uri=uris.organisation(),
        name={"nl": "Smart Flanders datapilots", "en": "Smart Flanders data pilots"},
        type_uri=dcat.REGIONAL_AUTHORITY,
        homepage=base_url,
    )
    catalog = dcat.CatalogInfo(
        uri=uris.catalog(),
        title={
            "nl": "Datapilots: datasets van de Smart Flanders-steden",
            "en": "Datapilots: datasets of the Smart Flanders cities",
        },
        description={
            "nl": "De datasets die de steden publiceren in hun gezamenlijke datapilots.",
            "en": "The datasets the cities publish in their joint data pilots.",
        },
        publisher=organisation,
        homepage=base_url,
        licence_uri=LICENCE_CC0_VLAANDEREN,
    )
    datasets = []
    skipped: list[LeftOut] = []
    for dataset in published_datasets():
        city = dataset.city
        # One agent per city; each dataset's own contact point carries its email address.
        agent = dcat.Agent(uri=uris.city(city.slug), name={"nl": city.name})
        info = dcat.DatasetInfo(
            uri=uris.dataset(dataset.id),
            title=_texts(dataset.title_nl, dataset.title_en),
            description=_texts(dataset.description_nl or dataset.title_nl, dataset.description_en),
            publisher=agent,
            access_url=dataset.access_url,
            contact_email=dataset.contact_email,
            keywords=[(keyword.strip(), "nl") for keyword in dataset.keywords.split(",") if keyword.strip()],
            theme_code=dataset.theme,
            download_url=dataset.download_url,
            file_type_code=None if dataset.file_type == "OTHER" else dataset.file_type,
            licence_uri=dataset.licence,
            conforms_to=dataset.conforms_to,
            frequency_code=dataset.frequency,
            realtime=dataset.realtime,
            issued=dataset.issued,
            modified=dataset.modified,
            language_codes=(dataset.language,),
            landing_page=f"{base_url.rstrip('/')}/pilots/{dataset.pilot_id}",
            spatial_uris=(MUNICIPALITY.format(nis=city.nis_code),) if city.nis_code else (),
        )
        problems = dcat.dataset_problems(info)
        if problems:
            log.warning("catalogue: dataset %s (%r) left out: %s", dataset.id, dataset.title_nl, "; ".join(problems))
            skipped.append(LeftOut(dataset.id, dataset.title_nl, tuple(problems)))
        else:
            datasets.append(info)
    return catalog, datasets, skipped


def render_reporting(base_url: str, format: str) -> tuple[bytes, str, list[LeftOut]]:
    """The serialised catalogue, its media type, and the datasets it left out (one build for all three)."""
    catalog, datasets, skipped = build(base_url)
    body, media_type = dcat.serialize(dcat.build_graph(catalog, datasets), format)
    return body, media_type, skipped


def render(base_url: str, format: str) -> tuple[bytes, str]:
    body, media_type, _skipped = render_reporting(base_url, format)
    return body, media_type


def fingerprint() -> str:
    """A short value that changes whenever the catalogue's content can change, from one aggregate statement.

    Adding a dataset raises the count and the id sum (ids only grow), removing one lowers the count, and
    every edit of a dataset or a city raises its ``version`` (optimistic locking bumps it on each update);
    the latest creation and update times tell apart databases that were filled separately.
    """
    statement = sa.select(
        sa.func.count(PublishedDataset.id),
        sa.func.coalesce(sa.func.sum(PublishedDataset.id), 0),
        sa.func.coalesce(sa.func.max(PublishedDataset.id), 0),
        sa.func.coalesce(sa.func.sum(PublishedDataset.version), 0),
        sa.func.max(PublishedDataset.created_at),
        sa.select(sa.func.count(City.id)).scalar_subquery(),
        sa.select(sa.func.coalesce(sa.func.sum(City.version), 0)).scalar_subquery(),
        sa.select(sa.func.max(City.updated_at)).scalar_subquery(),
    )
    row = db.session.execute(statement).one()
    return hashlib.sha256(repr(tuple(row)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    etag: str


#: The last few rendered catalogues of this process, by (fingerprint, base URL, format): building and
#: serialising 5,000 datasets takes seconds, and the catalogue is read far more often than it changes.
CACHE: LruCache[Rendered] = register(LruCache(size=8))


def etag_for(key: tuple[str, str, str]) -> str:
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:32]


def _stored(etag: str) -> Rendered | None:
    """The render the background job stored for this ETag (shared by every process), if it is there yet."""
    row = db.session.get(RenderedCatalogue, etag)
    return None if row is None else Rendered(row.body, row.media_type, etag)


def current(base_url: str, format: str) -> tuple[str, Callable[[], Rendered]]:
    """``(etag, load)``: the ETag of the catalogue as it is now (one statement), and a function that returns the
    :class:`Rendered` catalogue: from this process's cache, else as the warm-up job stored it, else rendered
    now (only until the job has run after the latest change)."""
    name = dcat.format_name(format)
    key = (fingerprint(), base_url, name)
    etag = etag_for(key)

    def load() -> Rendered:
        return CACHE.get_or_make(key, lambda: _stored(etag) or Rendered(*render(base_url, name), etag))

    return etag, load


def warm(base_url: str) -> int:
    """The job after a change to the published datasets or the cities: render the catalogue as it is now in every
    format (one build), store what is not stored yet, and drop older renders. Returns how many were rendered."""
    fingerprint_now = fingerprint()
    wanted = {etag_for((fingerprint_now, base_url, name)): name for name in dcat.FORMATS}
    have = set(db.session.scalars(sa.select(RenderedCatalogue.etag).where(RenderedCatalogue.etag.in_(wanted))))
    missing = [etag for etag in wanted if etag not in have]
    renders: dict[str, tuple[bytes, str]] = {}
    if missing:
        catalog, datasets, _skipped = build(base_url)
        graph = dcat.build_graph(catalog, datasets)
        renders = {etag: dcat.serialize(graph, wanted[etag]) for etag in missing}
    with unit_of_work():
        db.session.execute(sa.delete(RenderedCatalogue).where(RenderedCatalogue.etag.not_in(wanted)))
        for etag, (body, media_type) in renders.items():
            db.session.add(RenderedCatalogue(etag=etag, format=wanted[etag], media_type=media_type, body=body))
    return len(renders)


def warm_later() -> None:
    """After the caller's commit, queue the warm-up job (a queue that does not answer only means that the next
    visitor renders the catalogue, as before)."""
    after_commit(_queue_warm)


def _queue_warm() -> None:
    from pilots import jobs

    try:
        jobs.enqueue("warm_catalogue")
    except jobs.QueueUnavailable:
        log.warning("catalogue warm-up not queued; the next visitor renders it")
