"""Synthetic data for benchmarks: many cities and accounts, inserted in bulk (no slow password hashing per row)."""

from __future__ import annotations

import random

from sqlalchemy import insert, select
from werkzeug.security import generate_password_hash

from pilots.extensions import db
from pilots.models import City, CityKind, CityRole, Membership, User, utcnow


def user_row(email: str, name: str, password_hash: str, now, locale: str = "nl", is_admin: bool = False) -> dict:
    """One active account for a bulk ``insert(User)`` (the column defaults give it a session token)."""
    return {
        "email": email,
        "name": name,
        "password_hash": password_hash,
        "locale": locale,
        "active": True,
        "is_admin": is_admin,
        "is_steering": False,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def programme(cities: int, users_per_city: int, seed: int = 2017) -> dict[str, int]:
    """Insert ``cities`` cities with ``users_per_city`` accounts each; return what was made."""
    rng = random.Random(seed)
    now = utcnow()
    password_hash = generate_password_hash("bench-password")
    db.session.execute(
        insert(City),
        [
            {
                "name": f"Stad {i:04d}",
                "slug": f"stad-{i:04d}",
                "nis_code": f"{10000 + i:05d}",
                "province": rng.choice(["Antwerpen", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen"]),
                "kind": CityKind.CENTRUMSTAD,
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i in range(cities)
        ],
    )
    city_ids = db.session.scalars(select(City.id)).all()
    db.session.execute(
        insert(User),
        [
            user_row(f"user{c}-{u}@bench.local", f"Gebruiker {c}-{u}", password_hash, now, is_admin=c == 0 and u == 0)
            for c in range(cities)
            for u in range(users_per_city)
        ],
    )
    users = db.session.execute(select(User.id, User.email)).all()
    memberships = []
    for user_id, email in users:
        city_index = int(email.split("-")[0].removeprefix("user"))
        memberships.append(
            {
                "user_id": user_id,
                "city_id": city_ids[city_index],
                "role": rng.choice([CityRole.STAFF, CityRole.VOTER]),
                "created_at": now,
            }
        )
    db.session.execute(insert(Membership), memberships)
    db.session.commit()
    return {"cities": len(city_ids), "users": len(users)}
