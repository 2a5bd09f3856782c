"""Pledges: between the close of voting and the committee's confirmation of the selection, each city says for the
challenges of the round's ballot whether it would take part in their pilot. The committee sees the answers on the
confirmation page ("Gent, Leuven will take part; Brugge will not").

Who may do what:

* A city's staff (any role in the city: staff or voter) answer for their own city only, while the round is closed
  or published and its selection not yet confirmed (``can_pledge``).
* Every city sees its own answers and, for each challenge, how many cities will and will not take part.
* Which cities answered what (``can_see_names``): whoever may see the round's results (the committee once voting
  has closed, everyone signed in once they are published). Pledges are about taking part, not about scores.

The challenges are those of the ballot, every one of which the committee may confirm. Before the results are
published a city cannot see the ranking, so its page lists them in the ballot's order; whoever sees the results sees
them in rank order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from pilots.extensions import db
from pilots.models import Challenge, City, Pledge, Round, RoundPhase, User, utcnow
from pilots.services import audit, voting
from pilots.services.errors import Forbidden, NotFound, ServiceError, StaleEdit
from pilots.services.transaction import unit_of_work

#: The phases in which cities answer (until the selection is confirmed).
PLEDGE_PHASES = (RoundPhase.CLOSED, RoundPhase.PUBLISHED)


# --- rules ----------------------------------------------------------------------------------------------------------


def pledges_open(round_: Round) -> bool:
    """Do cities answer now: voting has closed and the committee has not confirmed the selection yet?"""
    return round_.phase in PLEDGE_PHASES and round_.confirmed_at is None


def can_pledge(user: User | None, round_: Round, city_id: int | None) -> bool:
    """May ``user`` say for the city ``city_id`` whether it takes part in the round's challenges?"""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and city_id is not None
        and user.is_staff_of(city_id)
        and pledges_open(round_)
    )


def can_see_names(user: User | None, round_: Round) -> bool:
    """May ``user`` see which cities take part (not only how many)? Whoever may see the round's results."""
    return voting.can_see_results(user, round_)


# --- reading --------------------------------------------------------------------------------------------------------


def city_id_of(slug: str | None) -> int | None:
    """The id of the city with this slug (for the access policy), or None."""
    return db.session.scalar(select(City.id).where(City.slug == slug)) if slug else None


def get_city(slug: str) -> City:
    city = db.session.scalar(select(City).where(City.slug == slug))
    if city is None:
        raise NotFound(_l("This city does not exist."))
    return city


@dataclass(frozen=True)
class Item:
    """A challenge a city answers for, with its rank when the reader may see the ranking (None otherwise)."""

    challenge: Challenge
    rank: int | None = None


def items(user: User | None, round_: Round) -> list[Item]:
    """The ballot's challenges: in rank order with their ranks (then the unranked ones) for whoever may see the
    results, in the ballot's order for everyone else."""
    challenges = [entry.challenge for entry in round_.entries]
    if not voting.can_see_results(user, round_):
        return [Item(challenge) for challenge in challenges]
    ranks = {int(row["alternative"]): int(row["rank"]) for row in (voting.result_of(round_) or {}).get("ranking", [])}
    ordered = sorted(challenges, key=lambda c: (c.id not in ranks, ranks.get(c.id, 0)))
    return [Item(challenge, ranks.get(challenge.id)) for challenge in ordered]


def answers(round_id: int, city_ids: list[int]) -> dict[int, dict[int, bool]]:
    """The cities' own answers: {city id: {challenge id: taking part}}, in one query."""
    found: dict[int, dict[int, bool]] = {city_id: {} for city_id in city_ids}
    if not city_ids:
        return found
    rows = db.session.execute(
        select(Pledge.city_id, Pledge.challenge_id, Pledge.taking_part).where(
            Pledge.round_id == round_id, Pledge.city_id.in_(city_ids)
        )
    )
    for city_id, challenge_id, taking_part in rows:
        found[city_id][challenge_id] = taking_part
    return found


@dataclass(frozen=True)
class Tally:
    """The cities that will and will not take part in one challenge's pilot, by name (alphabetical)."""

    taking_part: list[str] = field(default_factory=list)
    not_taking_part: list[str] = field(default_factory=list)


NO_ANSWERS = Tally()


def tally(round_: Round) -> dict[int, Tally]:
    """{challenge id: Tally} for every challenge some city answered for, in one query (the others: ``NO_ANSWERS``)."""
    rows = db.session.execute(
        select(Pledge.challenge_id, Pledge.taking_part, City.name)
        .join(City, City.id == Pledge.city_id)
        .where(Pledge.round_id == round_.id)
        .order_by(City.name, City.id)
    )
    found: dict[int, Tally] = {}
    for challenge_id, taking_part, name in rows:
        entry = found.setdefault(challenge_id, Tally())
        (entry.taking_part if taking_part else entry.not_taking_part).append(name)
    return found


# --- answering ------------------------------------------------------------------------------------------------------


def pledge(actor: User, round_id: int, city_id: int, challenge_id: int, taking_part: bool) -> Pledge:
    """The city ``city_id`` says whether it would take part in the pilot of ``challenge_id`` (a new answer or a
    changed one), audited."""
    return pledge_all(actor, round_id, city_id, {challenge_id: taking_part})[challenge_id]


def pledge_all(
    actor: User,
    round_id: int,
    city_id: int,
    given: Mapping[int, bool],
    seen: Mapping[int, bool | None] | None = None,
) -> dict[int, Pledge]:
    """A city's answers for several challenges at once, in one unit of work: each answer is stored (or changed) and
    the changes are recorded in one audit event. Returns {challenge id: Pledge}.

    ``seen``: the answers as the form showed them ({challenge id: True, False or None}). With it, only the answers
    the user changed are saved, and StaleEdit refuses the save when one of them was changed by somebody else since
    the form was opened (two staff members of one city answering at once overwrite nothing)."""
    conflict = _l("Somebody else saved this in the meantime. Reload the page and try again.")
    result: dict[int, Pledge] = {}
    with unit_of_work(conflict):  # a refusal below rolls back the lock taken first
        round_ = voting.lock_round(round_id, share=True)  # the phase and confirmation read here hold until we commit
        if not actor.is_staff_of(city_id):
            raise Forbidden(_l("You can only act for your own city."))
        if round_.confirmed_at is not None:
            raise ServiceError(_l("The selection of this round is confirmed: cities no longer say whether they take part."))
        if not pledges_open(round_):
            raise ServiceError(_l("Cities say whether they take part once voting has closed."))
        on_ballot = {entry.challenge_id for entry in round_.entries}
        if not given or any(challenge_id not in on_ballot for challenge_id in given):
            raise ServiceError(_l("Choose challenges from this round's ballot."))
        if any(not isinstance(value, bool) for value in given.values()):
            raise ServiceError(_l("Answer yes or no."))
        existing = {
            p.challenge_id: p
            for p in db.session.scalars(
                select(Pledge).where(
                    Pledge.round_id == round_.id, Pledge.city_id == city_id, Pledge.challenge_id.in_(list(given))
                )
            )
        }
        if seen is not None:

            def stored(challenge_id: int) -> bool | None:
                return existing[challenge_id].taking_part if challenge_id in existing else None

            given = {cid: value for cid, value in given.items() if seen.get(cid) is not value}
            if any(stored(cid) is not seen.get(cid) for cid in given):
                raise StaleEdit(conflict)
        changes: dict[str, dict[str, bool | None]] = {}
        for challenge_id, taking_part in sorted(given.items()):
            current = existing.get(challenge_id)
            if current is None:
                current = Pledge(round_id=round_.id, challenge_id=challenge_id, city_id=city_id, taking_part=taking_part)
                db.session.add(current)
                changes[str(challenge_id)] = {"from": None, "to": taking_part}
            elif current.taking_part != taking_part:
                changes[str(challenge_id)] = {"from": current.taking_part, "to": taking_part}
                current.taking_part = taking_part
            result[challenge_id] = current
            if str(challenge_id) in changes:
                current.updated_by_id = actor.id
                current.updated_at = utcnow()
        if changes:
            audit.record(actor, "round.pledged", "round", round_.id, city_id=city_id, pledges=changes)
    return result
