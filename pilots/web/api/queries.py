"""The reads behind the public API: only what is public, in a fixed number of queries per request.

They reuse the services' own queries where those fit (``challenges.list_query``/``get_visible`` with no user,
``workspaces.list_query``/``get_pilot``, ``cities.get_city_by_slug``, ``voting.ballot_counts``) and add the few
selects the services do not have yet: paging, published rounds, the latest check of each dataset. These are
read-only and change nothing; they could move into the services as they are.

What "public" means here:

* cities: every city;
* challenges: every status but draft (``challenges.PUBLIC_STATUSES``);
* rounds: only those whose results are published (phase ``published``);
* pilots and their accepted cities, milestones and published datasets: all of them (the workspace pages are public).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import joinedload, selectinload

from pilots.extensions import db
from pilots.models import (
    BallotEntry,
    Challenge,
    City,
    DatasetCheck,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
    RoundPhase,
    RoundSnapshot,
)
from pilots.models.challenge import PUBLIC_STATUSES
from pilots.services import challenges as challenge_service
from pilots.services import cities as city_service
from pilots.services import voting, workspaces
from pilots.services.errors import NotFound


@dataclass(frozen=True)
class Page:
    """One page of a list: ``items`` are whatever the select returns (objects or rows)."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.per_page)


def paginate(query: Select, page: int, per_page: int, *, rows: bool = False) -> Page:
    """Two queries whatever the page holds: the count, and the page itself."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = list(result.all()) if rows else list(result.scalars().all())
    return Page(items=items, total=total, page=page, per_page=per_page)


# --- cities ------------------------------------------------------------------------------------------------------


def cities_query() -> Select:
    return select(City).order_by(City.name, City.id)


def city(slug: str) -> City | None:
    return city_service.get_city_by_slug(slug)


# --- challenges --------------------------------------------------------------------------------------------------


def challenges_query(year: int | None, theme: str | None, city: str | None, status: str | None) -> Select:
    """Rows ``(Challenge, dataset_count, cosponsor_count)`` of public challenges, newest first (city joined)."""
    filters = challenge_service.Filters(year=year, theme=theme, city=city, status=status, include_own_drafts=False, sort="newest")
    return challenge_service.list_query(None, filters)  # no user: drafts are never visible


def challenge(challenge_id: int) -> Challenge | None:
    """A public challenge with its candidate datasets and co-sponsors (the service also loads its comments)."""
    try:
        found = challenge_service.get_visible(challenge_id, None)
    except NotFound:
        return None
    return found if found.status in PUBLIC_STATUSES else None


def pilot_of_challenge(challenge_id: int) -> Pilot | None:
    return db.session.scalar(select(Pilot).where(Pilot.challenge_id == challenge_id))


def published_rounds_of_challenge(challenge_id: int) -> list[Round]:
    return list(
        db.session.scalars(
            select(Round)
            .join(BallotEntry, BallotEntry.round_id == Round.id)
            .where(BallotEntry.challenge_id == challenge_id, Round.phase == RoundPhase.PUBLISHED)
            .order_by(Round.year.desc(), Round.id.desc())
        )
    )


# --- rounds --------------------------------------------------------------------------------------------------------


def _round_options(query: Select) -> Select:
    # The snapshot's document (every ballot) is left out: only the snapshot endpoint reads it.
    return query.options(
        selectinload(Round.criteria),
        selectinload(Round.entries),  # each with its challenge and that challenge's city (joined)
        selectinload(Round.snapshot).defer(RoundSnapshot.document),
    )


def rounds_query(year: int | None) -> Select:
    query = select(Round).where(Round.phase == RoundPhase.PUBLISHED)
    if year is not None:
        query = query.where(Round.year == year)
    return _round_options(query).order_by(Round.year.desc(), Round.id.desc())


def published_round(round_id: int) -> Round | None:
    return db.session.scalar(_round_options(select(Round).where(Round.id == round_id, Round.phase == RoundPhase.PUBLISHED)))


def snapshot_document(round_id: int) -> tuple[Round, str | None] | None:
    """The published round and its stored snapshot document (None when it has none)."""
    round_ = db.session.scalar(
        select(Round).where(Round.id == round_id, Round.phase == RoundPhase.PUBLISHED).options(selectinload(Round.snapshot))
    )
    if round_ is None:
        return None
    return round_, round_.snapshot.document if round_.snapshot else None


def ballot_counts(round_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(submitted, total) ballots per round."""
    return voting.ballot_counts(list(round_ids))


def pilots_of_round(round_id: int) -> list[Pilot]:
    return list(db.session.scalars(select(Pilot).where(Pilot.round_id == round_id).order_by(Pilot.id)))


def published_rounds_by_id(round_ids: Sequence[int]) -> dict[int, Round]:
    ids = sorted({round_id for round_id in round_ids if round_id is not None})
    if not ids:
        return {}
    rounds = db.session.scalars(select(Round).where(Round.id.in_(ids), Round.phase == RoundPhase.PUBLISHED))
    return {round_.id: round_ for round_ in rounds}


# --- pilots --------------------------------------------------------------------------------------------------------


def pilots_query(status: str | None, city: str | None) -> Select:
    """Pilots with their participations and milestones (for the progress), lead city and challenge joined.
    ``city`` keeps the pilots in which that city takes part (accepted)."""
    query = workspaces.list_query(status, None, None).options(joinedload(Pilot.lead_city), joinedload(Pilot.challenge))
    if city:
        query = query.where(
            Pilot.participants.any(and_(Participation.accepted.is_(True), Participation.city.has(City.slug == city)))
        )
    return query


def pilot(pilot_id: int) -> Pilot | None:
    """The pilot with its participations (and their stage changes), milestones and datasets."""
    try:
        return workspaces.get_pilot(pilot_id)
    except NotFound:
        return None


# --- published datasets ----------------------------------------------------------------------------------------------


def datasets_query(city: str | None, pilot_id: int | None) -> Select:
    query = select(PublishedDataset).options(joinedload(PublishedDataset.pilot))  # the city comes joined
    if city:
        query = query.where(PublishedDataset.city.has(City.slug == city))
    if pilot_id is not None:
        query = query.where(PublishedDataset.pilot_id == pilot_id)
    return query.order_by(PublishedDataset.id)


def dataset(dataset_id: int) -> PublishedDataset | None:
    return db.session.scalar(
        select(PublishedDataset).where(PublishedDataset.id == dataset_id).options(joinedload(PublishedDataset.pilot))
    )


def last_checks(dataset_ids: Sequence[int]) -> dict[int, DatasetCheck]:
    """The latest conformance check of each dataset, in one query (the history stays in the database)."""
    if not dataset_ids:
        return {}
    latest = (
        select(
            DatasetCheck.id,
            func.row_number()
            .over(partition_by=DatasetCheck.dataset_id, order_by=(DatasetCheck.checked_at.desc(), DatasetCheck.id.desc()))
            .label("position"),
        )
        .where(DatasetCheck.dataset_id.in_(list(dataset_ids)))
        .subquery()
    )
    checks = db.session.scalars(select(DatasetCheck).join(latest, and_(latest.c.id == DatasetCheck.id, latest.c.position == 1)))
    return {check.dataset_id: check for check in checks}
