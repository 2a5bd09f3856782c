"""Use cases for the cities taking part in the programme."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import City, CityKind, User
from pilots.services import audit, catalogue
from pilots.services.errors import NotFound, ServiceError
from pilots.services.transaction import check_version, unit_of_work

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NIS_RE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class CityData:
    name: str
    slug: str
    nis_code: str | None
    province: str
    kind: CityKind
    active: bool = True


def list_cities(active_only: bool = False) -> list[City]:
    query = select(City).order_by(City.name)
    if active_only:
        query = query.where(City.active.is_(True))
    return list(db.session.scalars(query))


def get_city(city_id: int) -> City:
    city = db.session.get(City, city_id)
    if city is None:
        raise NotFound(_l("This city does not exist."))
    return city


def get_city_by_slug(slug: str) -> City | None:
    return db.session.scalar(select(City).where(City.slug == slug))


def _clean(data: CityData) -> CityData:
    name = data.name.strip()
    slug = data.slug.strip().lower()
    nis = (data.nis_code or "").strip() or None
    if not name:
        raise ServiceError(_l("Enter a name."), "name")
    if not SLUG_RE.match(slug):
        raise ServiceError(_l("Use lower-case letters, digits and single hyphens, like sint-niklaas."), "slug")
    if nis is not None and not NIS_RE.match(nis):
        raise ServiceError(_l("A NIS code has five digits."), "nis_code")
    return CityData(
        name=name, slug=slug, nis_code=nis, province=data.province.strip(), kind=CityKind(data.kind), active=data.active
    )


def _ensure_unique(data: CityData, exclude_id: int | None) -> None:
    for field, column, value, message in (
        ("name", City.name, data.name, _l("Another city already has this name.")),
        ("slug", City.slug, data.slug, _l("Another city already has this slug.")),
        ("nis_code", City.nis_code, data.nis_code, _l("Another city already has this NIS code.")),
    ):
        if value is None:
            continue
        query = select(City.id).where(column == value)
        if exclude_id is not None:
            query = query.where(City.id != exclude_id)
        if db.session.scalar(query) is not None:
            raise ServiceError(message, field)


def create_city(actor: User | None, data: CityData) -> City:
    data = _clean(data)
    _ensure_unique(data, None)
    with unit_of_work(_l("Another city already has this name, slug or NIS code.")):
        city = City(**asdict(data))
        db.session.add(city)
        db.session.flush()
        audit.record(actor, "city.created", "city", city.id, **_jsonable(asdict(data)))
    return city


def update_city(actor: User, city_id: int, data: CityData, expected_version: int | None) -> City:
    city = get_city(city_id)
    check_version(city.version, expected_version)
    data = _clean(data)
    _ensure_unique(data, city.id)
    changes = {}
    for field, new in asdict(data).items():
        old = getattr(city, field)
        if old != new:
            changes[field] = _jsonable({"from": old, "to": new})
            setattr(city, field, new)
    with unit_of_work(_l("Another city already has this name, slug or NIS code.")):
        if changes:
            audit.record(actor, "city.updated", "city", city.id, changes=changes)
            catalogue.warm_later()  # the catalogue names each dataset's city
    return city


def _jsonable(values: dict) -> dict:
    return {key: value.value if isinstance(value, CityKind) else value for key, value in values.items()}
