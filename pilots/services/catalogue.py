"""The platform's DCAT-AP catalogue from the published datasets (see docs/dcat.md)."""

from __future__ import annotations

from pilots import dcat
from pilots.services import workspaces
from pilots.vocabularies import LICENCE_CC0_VLAANDEREN

#: The statistical-sector municipality URIs of Flanders' base registry, by NIS code.
MUNICIPALITY = "https://data.vlaanderen.be/id/gemeente/{nis}"


def _texts(nl: str, en: str) -> dict[str, str]:
    return {lang: text for lang, text in (("nl", nl), ("en", en)) if text}


def build(base_url: str) -> tuple[dcat.CatalogInfo, list[dcat.DatasetInfo]]:
    """The catalogue and its datasets as the plain input of :mod:`pilots.dcat`; incomplete datasets are left out."""
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
    for dataset in workspaces.published_datasets():
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
        if not dcat.dataset_problems(info):
            datasets.append(info)
    return catalog, datasets


def render(base_url: str, format: str) -> tuple[bytes, str]:
    catalog, datasets = build(base_url)
    return dcat.serialize(dcat.build_graph(catalog, datasets), format)
