"""The 14 cities of the programme and the demo accounts."""

from __future__ import annotations

from sqlalchemy import select

from pilots.extensions import db
from pilots.models import City, CityKind, CityRole, User
from pilots.services import accounts, cities
from pilots.services.accounts import UserData
from pilots.services.cities import CityData

# The 13 centrumsteden and the VGC, with province and NIS code (shared/reference/smart-flanders.md).
CITIES: tuple[tuple[str, str, str, str | None, CityKind], ...] = (
    ("Aalst", "aalst", "Oost-Vlaanderen", "41002", CityKind.CENTRUMSTAD),
    ("Antwerpen", "antwerpen", "Antwerpen", "11002", CityKind.CENTRUMSTAD),
    ("Brugge", "brugge", "West-Vlaanderen", "31005", CityKind.CENTRUMSTAD),
    ("Genk", "genk", "Limburg", "71016", CityKind.CENTRUMSTAD),
    ("Gent", "gent", "Oost-Vlaanderen", "44021", CityKind.CENTRUMSTAD),
    ("Hasselt", "hasselt", "Limburg", "71022", CityKind.CENTRUMSTAD),
    ("Kortrijk", "kortrijk", "West-Vlaanderen", "34022", CityKind.CENTRUMSTAD),
    ("Leuven", "leuven", "Vlaams-Brabant", "24062", CityKind.CENTRUMSTAD),
    ("Mechelen", "mechelen", "Antwerpen", "12025", CityKind.CENTRUMSTAD),
    ("Oostende", "oostende", "West-Vlaanderen", "35013", CityKind.CENTRUMSTAD),
    ("Roeselare", "roeselare", "West-Vlaanderen", "36015", CityKind.CENTRUMSTAD),
    ("Sint-Niklaas", "sint-niklaas", "Oost-Vlaanderen", "46021", CityKind.CENTRUMSTAD),
    ("Turnhout", "turnhout", "Antwerpen", "13040", CityKind.CENTRUMSTAD),
    ("VGC (Brussel)", "vgc", "Brussels Hoofdstedelijk Gewest", None, CityKind.VGC),
)

# email, name, is_admin, is_steering
PROGRAMME_USERS = (
    ("admin@demo.local", "Ada Admin", True, False),
    ("steering@demo.local", "Stijn Stuurgroep", False, True),
    ("lead@demo.local", "Lotte Pilootleider", False, False),
)


def seed_cities() -> int:
    created = 0
    for name, slug, province, nis_code, kind in CITIES:
        if cities.get_city_by_slug(slug) is None:
            cities.create_city(None, CityData(name=name, slug=slug, nis_code=nis_code, province=province, kind=kind))
            created += 1
    return created


def seed_accounts(password: str) -> int:
    existing = set(db.session.scalars(select(User.email)))
    created = 0
    for email, name, is_admin, is_steering in PROGRAMME_USERS:
        if email not in existing:
            accounts.create_user(None, UserData(email=email, name=name, is_admin=is_admin, is_steering=is_steering), password)
            created += 1
    lead = accounts.find_user_by_email("lead@demo.local")
    gent = cities.get_city_by_slug("gent")
    if lead is not None and gent is not None and not lead.is_staff_of(gent.id):
        # The demo pilot lead works for Gent, which led the first (parking) pilot.
        accounts.set_membership(None, lead.id, gent.id, CityRole.STAFF)
        created += 1
    for city in db.session.scalars(select(City).order_by(City.name)):
        email = f"{city.slug}@demo.local"
        if email not in existing:
            accounts.create_user(
                None,
                UserData(email=email, name=f"Demo {city.name}"),
                password,
                memberships=((city.id, CityRole.VOTER),),
            )
            created += 1
    return created
