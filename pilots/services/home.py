"""What needs the signed-in user now, for the home page: one short list per role, each item a link to where it
is handled. Each part is one or two statements, whatever the size of the programme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pilots.extensions import db
from pilots.models import (
    Ballot,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    City,
    CityRole,
    DatasetCheck,
    Milestone,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
    RoundPhase,
    User,
)
from pilots.models.pilot import pilot_leads
from pilots.services import voting, workspaces


@dataclass(frozen=True)
class Item:
    """One thing to do: ``kind`` picks the sentence (the template says it in the reader's language)."""

    kind: str
    link: str
    params: dict[str, Any]


def agenda(user: User, on: date | None = None) -> list[Item]:
    """Everything that waits for ``user``: ballots, screening and rounds, join requests and overdue milestones,
    failing datasets, in that order."""
    on = on or workspaces.today()
    return [*_ballots(user), *_steering(user), *_leading(user, on), *_failing_datasets(user)]


def _ballots(user: User) -> list[Item]:
    voter_cities = [m.city_id for m in user.memberships if m.role is CityRole.VOTER]
    if not voter_cities:
        return []
    rows = db.session.execute(
        select(Round.id, Round.year, Round.voting_deadline, City.slug, City.name)
        .join(Ballot, Ballot.round_id == Round.id)
        .join(City, City.id == Ballot.city_id)
        .where(Round.phase == RoundPhase.VOTING_OPEN, Ballot.city_id.in_(voter_cities), Ballot.status != BallotStatus.SUBMITTED)
        .order_by(Round.voting_deadline.nulls_last(), Round.id, City.name)
    )
    return [
        Item("ballot", voting.ballot_link(round_id, slug), {"year": year, "city": name, "deadline": deadline})
        for round_id, year, deadline, slug, name in rows
    ]


def _steering(user: User) -> list[Item]:
    if not user.is_steering:
        return []
    items = []
    waiting = db.session.scalar(select(func.count(Challenge.id)).where(Challenge.status == ChallengeStatus.SUBMITTED)) or 0
    if waiting:
        items.append(Item("screening", "/challenges?status=submitted", {"count": waiting}))
    rounds = db.session.execute(
        select(Round.id, Round.year, Round.phase).where(Round.phase != RoundPhase.PUBLISHED).order_by(Round.year, Round.id)
    )
    items += [Item("round", f"/rounds/{round_id}", {"year": year, "phase": phase}) for round_id, year, phase in rounds]
    return items


def _leading(user: User, on: date) -> list[Item]:
    led = select(pilot_leads.c.pilot_id).where(pilot_leads.c.user_id == user.id)
    requests = db.session.execute(
        select(Pilot.id, Pilot.title, City.name)
        .join(Participation, Participation.pilot_id == Pilot.id)
        .join(City, City.id == Participation.city_id)
        .where(Pilot.id.in_(led), Participation.accepted.is_(False))
        .order_by(Pilot.title, City.name)
    )
    items = [
        Item("join_request", f"/pilots/{pilot_id}#cities", {"pilot": title, "city": city}) for pilot_id, title, city in requests
    ]
    late = db.session.scalars(
        select(Milestone)
        .where(Milestone.pilot_id.in_(led), Milestone.due_date < on)
        .options(selectinload(Milestone.city_statuses))
        .order_by(Milestone.due_date, Milestone.id)
    )
    items += [
        Item("overdue", f"/pilots/{m.pilot_id}#milestone-{m.id}", {"title": m.title, "due": m.due_date})
        for m in late
        if workspaces.is_overdue(m, on)
    ]
    return items


def _failing_datasets(user: User) -> list[Item]:
    city_ids = user.city_ids
    if not city_ids:
        return []
    rows = db.session.execute(
        select(PublishedDataset.id, PublishedDataset.pilot_id, PublishedDataset.title_nl, PublishedDataset.title_en)
        .join(DatasetCheck, DatasetCheck.id == workspaces.latest_check_id())
        .where(PublishedDataset.city_id.in_(city_ids), DatasetCheck.passed.is_(False))
        .order_by(PublishedDataset.id)
    )
    return [
        Item("failing", f"/pilots/{pilot_id}/datasets/{dataset_id}/history", {"title_nl": title_nl, "title_en": title_en})
        for dataset_id, pilot_id, title_nl, title_en in rows
    ]
