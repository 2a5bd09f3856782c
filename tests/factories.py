"""factory_boy factories. Use them inside an app context (the ``in_app`` fixture)."""

from __future__ import annotations

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy import select

from pilots.config import TestingConfig
from pilots.extensions import db
from pilots.models import Availability, Challenge, City, CityKind, CityRole, Membership, User


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731 - resolved per app context
        sqlalchemy_session_persistence = "commit"


class CityFactory(BaseFactory):
    class Meta:
        model = City

    name = factory.Sequence(lambda n: f"Stad {n}")
    slug = factory.Sequence(lambda n: f"stad-{n}")
    nis_code = factory.Sequence(lambda n: f"{90000 + n:05d}")
    province = "Oost-Vlaanderen"
    kind = CityKind.CENTRUMSTAD
    active = True


class UserFactory(BaseFactory):
    class Meta:
        model = User
        exclude = ("password",)

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name", locale="nl_BE")
    password = "correct-horse-battery"
    password_hash = factory.LazyAttribute(lambda o: _hash(o.password))
    locale = "nl"
    active = True
    is_admin = False
    is_steering = False


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    city = factory.SubFactory(CityFactory)
    role = CityRole.VOTER


_HASHES: dict[str, str] = {}


def _hash(password: str) -> str:
    """Hash once per password per run, with the tests' fast method (production uses scrypt)."""
    from werkzeug.security import generate_password_hash

    if password not in _HASHES:
        _HASHES[password] = generate_password_hash(password, method=TestingConfig.PASSWORD_HASH_METHOD)
    return _HASHES[password]


def city(slug: str) -> City:
    """The city with this slug, created on first use (name derived from the slug)."""
    found = db.session.scalar(select(City).where(City.slug == slug))
    if found is not None:
        return found
    return CityFactory(slug=slug, name=slug.replace("-", " ").title())


def parking_dataset(title_nl: str, title_en: str = "", city: str = "gent"):
    """What a city registers for its real-time parking dataset (workspaces.DatasetData)."""
    from pilots.services.workspaces import DatasetData
    from pilots.vocabularies import LICENCE_MODELLICENTIE

    return DatasetData(
        title_nl=title_nl,
        title_en=title_en,
        access_url=f"https://data.{city}.be/parking",
        contact_email=f"open@{city}.be",
        theme="TRAN",
        file_type="RDF_TURTLE",
        licence=LICENCE_MODELLICENTIE,
    )


def submitted_challenge(
    author: User,
    city_id: int,
    title: str,
    year: int,
    *,
    n: int = 1,
    summary: str = "A summary.",
    description: str = "A description.",
) -> Challenge:
    """A challenge of ``city_id`` proposed by ``author`` with one open dataset (the ``n``-th) and submitted to the
    committee, through the services as a city would."""
    from pilots.services import challenges as challenge_service
    from pilots.services.challenges import ChallengeData, DatasetData
    from pilots.vocabularies import LICENCE_MODELLICENTIE

    challenge = challenge_service.create_challenge(
        author, city_id, ChallengeData(title, summary, description, "TRAN", "Impact.", year)
    )
    challenge_service.add_dataset(
        author,
        challenge.id,
        DatasetData(
            title=f"Dataset {n}",
            holder_city_id=city_id,
            availability=Availability.OPEN,
            url=f"https://data.example/{n}",
            file_type="CSV",
            licence=LICENCE_MODELLICENTIE,
        ),
    )
    challenge_service.submit(author, challenge.id)
    return challenge
