"""The command-line commands: seed-demo and create-user."""

from __future__ import annotations

from sqlalchemy import func, select

from pilots.demo.accounts import CITIES
from pilots.models import AuditEvent, City, CityKind, CityRole, User


def _counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count(model.id))) for model in (City, User, AuditEvent))


def test_seed_demo_creates_the_programme(runner, in_app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "pilot-demo" in result.output
    with in_app() as session:
        cities = {city.slug: city for city in session.scalars(select(City))}
        assert len(cities) == 14
        assert cities["gent"].nis_code == "44021" and cities["gent"].province == "Oost-Vlaanderen"
        assert cities["sint-niklaas"].nis_code == "46021"
        assert cities["vgc"].kind is CityKind.VGC and cities["vgc"].nis_code is None
        assert sum(city.kind is CityKind.CENTRUMSTAD for city in cities.values()) == 13
        users = {user.email: user for user in session.scalars(select(User))}
        assert users["admin@demo.local"].is_admin
        assert users["steering@demo.local"].is_steering
        for slug in cities:
            user = users[f"{slug}@demo.local"]
            assert user.role_in(cities[slug].id) is CityRole.VOTER
            assert user.check_password("pilot-demo")
        assert users["lead@demo.local"].is_staff_of(cities["gent"].id)


def test_seed_demo_is_idempotent(runner, in_app):
    runner.invoke(args=["seed-demo"])
    with in_app() as session:
        before = _counts(session)
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    with in_app() as session:
        assert _counts(session) == before


def test_seed_demo_first_run_leaves_a_used_database_alone(runner, make_user, in_app):
    make_user("real@example.org")
    result = runner.invoke(args=["seed-demo", "--first-run"])
    assert "not added" in result.output
    with in_app() as session:
        assert session.scalar(select(func.count(City.id))) == 0


def test_create_user(runner, in_app):
    runner.invoke(args=["seed-demo"])
    result = runner.invoke(
        args=[
            "create-user",
            "--email",
            "New@Leuven.be",
            "--name",
            "Nieuwe Medewerker",
            "--password",
            "long-enough-pw",
            "--city",
            "leuven",
            "--role",
            "voter",
        ]
    )
    assert result.exit_code == 0, result.output
    with in_app() as session:
        user = session.scalar(select(User).where(User.email == "new@leuven.be"))
        leuven = session.scalar(select(City).where(City.slug == "leuven"))
        assert user.role_in(leuven.id) is CityRole.VOTER
        assert not user.is_admin


def test_create_user_refuses_bad_input(runner, in_app):
    runner.invoke(args=["seed-demo"])
    for args, message in [
        (["--city", "atlantis"], "no city with slug"),
        (["--password", "short"], "10"),
        (["--email", "admin@demo.local"], "gebruikt dit e-mailadres al"),
    ]:
        base = {"--email": "x@example.org", "--name": "X", "--password": "long-enough-pw"}
        base.update(dict(zip(args[::2], args[1::2], strict=True)))
        result = runner.invoke(args=["create-user", *[item for pair in base.items() for item in pair]])
        assert result.exit_code != 0
        assert message in result.output


def test_cities_match_the_reference(shared_reference):
    """The seeded cities carry the province and NIS code of the programme's reference."""
    for name, _slug, province, nis_code, _kind in CITIES:
        if nis_code:
            assert f"| {name} | {province} | {nis_code} |" in shared_reference
