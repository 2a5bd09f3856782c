"""The seeded world the attack tests share (tests/test_attacks.py, tests/browser/test_xss.py).

It is the demo programme (``pilots.demo.seed``) plus what the attacks need and the demo lacks: a staff-only member
of Gent and of Turnhout, a fresh Gent challenge (submitted, with a candidate dataset, a co-sponsor and an editable
comment) and a Gent draft, a pending request to join the parking pilot, a voting round whose results are published
but not yet confirmed, and a round still in draft. Seeding takes seconds, so the world is built once per run,
copied row by row, and put back before each test that asks for it (milliseconds), on SQLite as on PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask

from pilots.extensions import db
from pilots.models import utcnow
from tests.conftest import empty_tables

PASSWORD = "pilot-demo"  # every account of the world (the demo's password)

#: The roles the access matrix tries, and the account that plays each one (None: not signed in).
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "staff": "staff@gent.example.org",  # staff of Gent, not a voter: the city that owns the objects tried
    "other_staff": "staff@turnhout.example.org",  # staff of Turnhout, another city
    "voter": "gent@demo.local",  # staff and voter of Gent
    "lead": "lead@demo.local",  # staff of Gent and lead of the parking pilot
    "steering": "steering@demo.local",
    "admin": "admin@demo.local",
}
NEXT_YEAR_TITLES = ("Aanval: slimme verlichting", "Aanval: luchtkwaliteit", "Aanval: parkeerbeleid")


@dataclass(frozen=True)
class World:
    """Ids of the objects the attacks aim at (plain values: usable outside an app context)."""

    city: dict[str, int]  # slug -> id
    user: dict[str, int]  # role (or demo email) -> id
    challenge: int  # Gent, submitted, editable: not on any ballot
    candidate: int  # its candidate dataset
    comment: int  # on it, by Gent's voter, just posted (still editable)
    old_comment: int  # a demo comment on another challenge, by another city, long past its edit window
    old_comment_challenge: int
    draft: int  # Gent's draft challenge
    draft_candidate: int
    other_draft: int  # Hasselt's draft challenge (the demo's)
    locked_challenge: int  # a Gent challenge on a published ballot: no longer editable
    pilot: int  # the parking pilot, led by lead@demo.local; Gent publishes in it
    other_pilot: int  # a pilot Gent does not take part in, that lead@demo.local does not lead
    participation: int  # Gent's (accepted) participation in the parking pilot
    pending: int  # Turnhout's request to join the parking pilot, not accepted yet
    milestone: int  # the parking pilot's per-city milestone
    dataset: int  # Gent's published dataset in the parking pilot
    other_dataset: int  # Leuven's
    voting_round: int  # this year's round, voting open; Gent's ballot is a draft again
    published_round: int  # next year's round: results published, selection not confirmed
    confirmed_round: int  # the 2017 round: published and confirmed
    draft_round: int  # a round still in draft, with the default criteria
    criterion: int  # a criterion of the draft round
    ballot_city: str  # slug of a city whose ballot in the voting round is submitted (reopen it)
    ballot_version: int  # that ballot's version
    maturity_year: int  # the year of the self-assessment the cities fill in now
    membership: int  # the Gent membership of the staff-only account
    other_candidate: int  # a candidate dataset of another challenge (Hasselt's draft)
    led_pilot: int  # the other pilot lead@demo.local leads
    other_milestone: int  # a milestone of that pilot
    voting_entries: tuple[int, ...]  # the challenges on the voting round's ballot
    cities_round: int  # a round that ranks with the cities' weights, voting open: Gent's ballot is a draft
    cities_criteria: tuple[int, ...]  # its criteria
    voting_criteria: tuple[int, ...]
    draft_criteria: tuple[int, ...]
    published_entries: tuple[int, ...]
    reset_token: str  # a valid "choose a password" link's token for the staff-only account
    notification: int  # the lead's notification of Turnhout's request to join


_CACHE: dict[int, tuple[dict[str, list[dict[str, Any]]], World]] = {}


def world(app: Flask) -> World:
    """Put the world in the (empty) database and return its ids. The first call in a run builds it."""
    cached = _CACHE.get(id(app))
    if cached is None:
        with app.app_context():
            built = _build()  # the testing configuration hashes passwords cheaply (PASSWORD_HASH_METHOD)
            rows = {table.name: [dict(row._mapping) for row in db.session.execute(sa.select(table))] for table in _tables()}
            db.session.remove()
        cached = _CACHE[id(app)] = (rows, built)
    else:
        empty_tables(app)
        with app.app_context():
            _restore(cached[0])
            # The fresh comment stays editable (30 minutes after posting) however long ago the world was built.
            comments = db.metadata.tables["comments"]
            with db.engine.begin() as connection:
                connection.execute(comments.update().where(comments.c.id == cached[1].comment).values(created_at=utcnow()))
    return cached[1]


def _tables() -> list[sa.Table]:
    return list(db.metadata.sorted_tables)


def _restore(rows: dict[str, list[dict[str, Any]]]) -> None:
    with db.engine.begin() as connection:
        for table in _tables():
            if rows[table.name]:
                connection.execute(table.insert(), rows[table.name])
        if db.engine.dialect.name == "postgresql":  # explicit ids were inserted: move the sequences past them
            for table in _tables():
                if "id" in table.c and table.c.id.primary_key and rows[table.name]:
                    connection.execute(
                        sa.text(f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), :top)"),
                        {"top": max(row["id"] for row in rows[table.name])},
                    )
    db.session.remove()


def database_rows(app: Flask) -> dict[str, list[tuple]]:
    """Every row of every table, to show that a refused request changed nothing."""
    with app.app_context():
        db.session.remove()
        with db.engine.connect() as connection:
            return {
                table.name: sorted((tuple(map(repr, row)) for row in connection.execute(sa.select(table))), key=repr)
                for table in _tables()
            }


def _build() -> World:
    from datetime import date

    from pilots.demo import seed
    from pilots.models import (
        Availability,
        Ballot,
        BallotStatus,
        Challenge,
        ChallengeStatus,
        City,
        CityRole,
        Comment,
        Notification,
        ParticipantRole,
        Pilot,
        Round,
        RoundPhase,
        User,
        WeightSource,
    )
    from pilots.services import account_links, accounts, city_status, voting, workspaces
    from pilots.services import challenges as challenge_service
    from pilots.services.accounts import UserData
    from pilots.services.challenges import ChallengeData, DatasetData
    from pilots.vocabularies import LICENCE_MODELLICENTIE

    seed()
    session = db.session
    city = {c.slug: c.id for c in session.scalars(sa.select(City))}
    accounts.create_user(
        None, UserData(email=ROLES["staff"], name="Staf Gent"), PASSWORD, memberships=((city["gent"], CityRole.STAFF),)
    )
    accounts.create_user(
        None,
        UserData(email=ROLES["other_staff"], name="Staf Turnhout"),
        PASSWORD,
        memberships=((city["turnhout"], CityRole.STAFF),),
    )
    user = {role: accounts.find_user_by_email(email).id for role, email in ROLES.items() if email}

    def person(email: str) -> User:
        return accounts.find_user_by_email(email)

    steering, voter, lead = person(ROLES["steering"]), person(ROLES["voter"]), person(ROLES["lead"])
    next_year = challenge_service.year_range()[-1]

    # --- challenges ---------------------------------------------------------------------------------------------
    def propose(author: User, slug: str, title: str, year: int) -> Challenge:
        return challenge_service.create_challenge(
            author, city[slug], ChallengeData(title, "Een korte samenvatting.", "Een **beschrijving**.", "TRAN", "Impact.", year)
        )

    def candidate(author: User, challenge_id: int, slug: str) -> int:
        return challenge_service.add_dataset(
            author,
            challenge_id,
            DatasetData(
                title="Tellingen",
                holder_city_id=city[slug],
                availability=Availability.OPEN,
                url="https://data.example.org/tellingen",
                file_type="CSV",
                licence=LICENCE_MODELLICENTIE,
            ),
        ).id

    fresh = propose(voter, "gent", "Aanval: realtime bezetting van deelfietsen", next_year)
    fresh_candidate = candidate(voter, fresh.id, "gent")
    challenge_service.submit(voter, fresh.id)
    challenge_service.cosponsor(person(ROLES["other_staff"]), fresh.id, city["turnhout"], "Ook bij ons.")
    comment = challenge_service.add_comment(voter, fresh.id, "Een *verse* reactie.")
    draft = propose(voter, "gent", "Aanval: een ontwerp van Gent", next_year)
    draft_candidate = candidate(voter, draft.id, "gent")
    other_draft = session.scalar(
        sa.select(Challenge.id).where(Challenge.city_id == city["hasselt"], Challenge.status == ChallengeStatus.DRAFT)
    )
    old_comment = session.scalars(
        sa.select(Comment).join(Challenge).where(Challenge.city_id != city["gent"]).order_by(Comment.id)
    ).first()

    # --- next year's round: results published, selection not confirmed ----------------------------------------
    on_ballot = []
    for slug, title in zip(("gent", "leuven", "antwerpen"), NEXT_YEAR_TITLES, strict=True):
        author = person(f"{slug}@demo.local")
        challenge = propose(author, slug, title, next_year)
        candidate(author, challenge.id, slug)
        challenge_service.submit(author, challenge.id)
        challenge_service.screen(steering, challenge.id, True, "Past binnen het programma.")
        on_ballot.append(challenge.id)
    published = voting.create_round(
        steering, voting.RoundData(title=f"Datapilots {next_year}", year=next_year, pilots_to_select=1, sensitivity_samples=200)
    )
    for phase in (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN):
        voting.advance(steering, published.id, phase)
    published = voting.get_round(published.id)
    for number, slug in enumerate(("gent", "leuven", "antwerpen", "brugge")):
        ballot = voting.get_ballot(published, city[slug])
        excluded = voting.excluded_cells(published, ballot)
        cells = {
            (entry.challenge_id, criterion.id): str(1 + (entry.challenge_id + criterion.id + number) % 5)
            for entry in published.entries
            if entry.challenge_id not in excluded
            for criterion in published.criteria
        }
        voting.save_ballot(
            person(f"{slug}@demo.local"), published.id, city[slug], voting.BallotInput(cells, {}), ballot.version, submit=True
        )
    for phase in (RoundPhase.VOTING_OPEN, RoundPhase.CLOSED):
        voting.advance(steering, published.id, phase)

    # --- a round in draft, and this year's round with Gent's ballot reopened -------------------------------------
    draft_round = voting.create_round(
        steering, voting.RoundData(title="Aanval: ronde in opmaak", year=next_year, sensitivity_samples=200)
    )
    voting_round = voting.get_round(
        session.scalar(sa.select(Round.id).where(Round.phase == RoundPhase.VOTING_OPEN).order_by(Round.id))
    )
    gent_ballot = voting.get_ballot(voting_round, city["gent"])
    voting.reopen_ballot(voter, voting_round.id, city["gent"], gent_ballot.version)
    submitted = session.scalars(
        sa.select(Ballot).where(
            Ballot.round_id == voting_round.id, Ballot.status == BallotStatus.SUBMITTED, Ballot.city_id != city["gent"]
        )
    ).first()
    ballot_city = session.get(City, submitted.city_id).slug

    # --- a round that ranks with the cities' weights, voting open: each city weighs the criteria on its ballot ------
    cities_round = voting.create_round(
        steering,
        voting.RoundData(
            title="Aanval: gewichten van de steden",
            year=next_year,
            pilots_to_select=1,
            sensitivity_samples=200,
            weight_source=WeightSource.CITIES,
        ),
    )
    for phase in (RoundPhase.DRAFT, RoundPhase.PROPOSALS_OPEN):
        voting.advance(steering, cities_round.id, phase)

    # --- pilots ------------------------------------------------------------------------------------------------
    parking = session.scalar(sa.select(Pilot).where(Pilot.title == "Realtime open parkeerdata"))
    lead_pilots = workspaces.lead_pilot_ids(lead.id)
    other_pilot = next(
        pilot
        for pilot in session.scalars(sa.select(Pilot).where(Pilot.id.not_in(lead_pilots)).order_by(Pilot.id))
        if all(p.city_id != city["gent"] for p in pilot.participants)
    )
    led_pilot = next(workspaces.get_pilot(i) for i in sorted(lead_pilots) if i != parking.id)
    pending = workspaces.request_to_join(person(ROLES["other_staff"]), parking.id, city["turnhout"], ParticipantRole.PARTICIPANT)
    parking = workspaces.get_pilot(parking.id)
    gent_dataset = next(d for d in parking.datasets if d.city_id == city["gent"])
    leuven_dataset = next(d for d in parking.datasets if d.city_id == city["leuven"])
    locked = session.scalars(
        sa.select(Challenge.id).where(
            Challenge.city_id == city["gent"], Challenge.status.in_((ChallengeStatus.SELECTED, ChallengeStatus.NOT_SELECTED))
        )
    ).first()
    assert locked is not None, "the demo has no Gent challenge on a published ballot"
    assert date.today().year in city_status.assessment_years()

    return World(
        city=city,
        user=user,
        challenge=fresh.id,
        candidate=fresh_candidate,
        comment=comment.id,
        old_comment=old_comment.id,
        old_comment_challenge=old_comment.challenge_id,
        draft=draft.id,
        draft_candidate=draft_candidate,
        other_draft=other_draft,
        locked_challenge=locked,
        pilot=parking.id,
        other_pilot=other_pilot.id,
        participation=next(p.id for p in parking.participants if p.city_id == city["gent"]),
        pending=pending.id,
        milestone=next(m.id for m in parking.milestones if m.per_city),
        dataset=gent_dataset.id,
        other_dataset=leuven_dataset.id,
        voting_round=voting_round.id,
        published_round=published.id,
        confirmed_round=session.scalar(sa.select(Round.id).where(Round.year == 2017)),
        draft_round=draft_round.id,
        criterion=draft_round.criteria[0].id,
        ballot_city=ballot_city,
        ballot_version=submitted.version,
        maturity_year=city_status.assessment_years()[-1],
        membership=person(ROLES["staff"]).memberships[0].id,
        other_candidate=session.get(Challenge, other_draft).datasets[0].id,
        led_pilot=led_pilot.id,
        other_milestone=led_pilot.milestones[0].id,
        voting_entries=tuple(e.challenge_id for e in voting_round.entries),
        cities_round=cities_round.id,
        cities_criteria=tuple(c.id for c in voting.get_round(cities_round.id).criteria),
        voting_criteria=tuple(c.id for c in voting_round.criteria),
        draft_criteria=tuple(c.id for c in draft_round.criteria),
        published_entries=tuple(on_ballot),
        reset_token=account_links.make_token(person(ROLES["staff"]), account_links.Purpose.RESET),
        notification=session.scalar(
            sa.select(Notification.id).where(Notification.user_id == lead.id, Notification.kind == "join_requested")
        ),
    )


class _Forms(HTMLParser):
    """The forms of a page as a browser would submit them untouched: {action: {name: value or [values]}}."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: dict[str, dict[str, Any]] = {}
        self.current: dict[str, Any] | None = None
        self.select: str | None = None
        self.first_option: str | None = None
        self.textarea: str | None = None

    def _add(self, name: str, value: str) -> None:
        if self.current is None:
            return
        if name in self.current:
            existing = self.current[name]
            self.current[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            self.current[name] = value

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        name = attributes.get("name")
        if tag == "form":
            self.current = self.forms.setdefault(attributes.get("action", ""), {})
        elif tag == "input" and name and attributes.get("type") not in ("submit", "button", "file", "image", "reset"):
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self._add(name, attributes.get("value", "y" if attributes.get("type") == "checkbox" else ""))
        elif tag == "textarea" and name:
            self.textarea = name
            self._add(name, "")
        elif tag == "select" and name:
            self.select, self.first_option = name, None
        elif tag == "option" and self.select:
            value = attributes.get("value", "")
            if self.first_option is None:
                self.first_option = value
            if "selected" in attributes:
                self._add(self.select, value)

    def handle_data(self, data: str) -> None:
        if self.textarea and self.current is not None:
            self.current[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            if self.current is not None and self.textarea is not None:  # a browser drops the newline after <textarea>
                self.current[self.textarea] = self.current[self.textarea].removeprefix("\r\n").removeprefix("\n")
            self.textarea = None
        elif tag == "select" and self.select:
            if self.current is not None and self.select not in self.current and self.first_option is not None:
                self.current[self.select] = self.first_option
            self.select = None
        elif tag == "form":
            self.current = None


def rendered_form(html: str, action: str) -> dict[str, Any] | None:
    """The form of the page that posts to ``action`` (or to the page itself), filled in as the page shows it,
    without its CSRF token."""
    parser = _Forms()
    parser.feed(html)
    found = parser.forms.get(action, parser.forms.get(""))
    if found is None:
        return None
    return {name: value for name, value in found.items() if name != "csrf_token"}
