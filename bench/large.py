"""A large synthetic programme and the main pages measured on it.

``build_large_programme(app, scale, seed)`` fills the database in one transaction with SQLAlchemy Core
``insert()`` in batches (executemany; no ORM objects, one password hash for every account). At scale 1:

* 50 cities, each with its charter (14 to 20 of the 20 principles filled in) and a maturity self-assessment
  for every year from 2017 (six scores each); a steering-committee member, an administrator and one voter per city;
* 20 rounds (one per year, ending this year) with the 5 suggested criteria: all published and confirmed except the
  last, which is closed. Each round's ballot holds the 250 challenges of its year and every city submitted a
  ballot; the 1,000,000 scores are spread over them (about 18% of the cells left blank, a city never scores its own
  challenges). Each snapshot is real: the document is what ``voting.snapshot_document`` builds from those scores
  and the result is ``pilots.ranking.run`` on it (200 sensitivity samples, to keep the build short);
* 5,000 challenges (selected, not selected, or eligible in the closed round), 20,000 candidate datasets,
  5,000 co-sponsorships and 10,000 comments;
* 60 pilots (the computed selection of the confirmed rounds) with their participating cities and stage history,
  3,000 milestones (about a third per city, with a status row per participating city), 5,000 published datasets
  with one conformance check each, and a few updates per pilot.

Cities and pilots differ in size (the busiest city proposes about four times as many challenges as the quietest;
the busiest pilot has about five times the milestones and datasets of the smallest), so the city profile and the
pilot page also count the statements of the smallest one (``statements_smallest``).

Sizes scale with ``--scale`` (at least 1 of each, 3 cities, 1 round); the scores are capped by what the ballots
hold (at --scale 0.2: 10 cities × 4 rounds × 250 challenges × 5 criteria, minus own challenges = 45,000).

Slugs and e-mail addresses start with ``large-``. The programme is built once per run, by whichever of the
benchmarks below comes first; they are registered after those of bench.cases, bench.ranking and bench.voting
(imported first below), whose setups assume they run on a database without these cities.

Each benchmark times one main page (dashboard, city profile, challenge list, results, pilot page, catalogue, API
list) through the test client. A page whose route does not exist (yet) in ``app.url_map`` is not requested: its
row says ``skipped`` and times nothing. The facts hold the SQL statements of one request (after a warm-up; an
executemany counts once) and the sizes behind the page.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import func, insert, select, update
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from werkzeug.security import generate_password_hash

from bench import cases, ranking, voting  # noqa: F401  (registered first: their setups run before the large programme exists)
from bench.harness import Context, benchmark
from pilots import ranking as engine
from pilots.extensions import db
from pilots.models import (
    Availability,
    Ballot,
    BallotEntry,
    BallotStatus,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    CharterLevel,
    CharterStatus,
    City,
    CityKind,
    CityRole,
    Comment,
    CoSponsorship,
    Criterion,
    DatasetCheck,
    MaturityAssessment,
    MaturityScore,
    Membership,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PilotUpdate,
    PublishedDataset,
    Round,
    RoundPhase,
    RoundSnapshot,
    Score,
    Stage,
    StageChange,
    User,
)
from pilots.models.city_status import FIRST_ASSESSMENT_YEAR, MATURITY_DOMAINS, PRINCIPLES
from pilots.models.pilot import pilot_leads
from pilots.services.voting import DEFAULT_CRITERIA
from pilots.vocabularies import FREQUENCIES, LICENCES, THEMES
from tests.conftest import count_queries  # the statement counter the tests use for their N+1 checks

PASSWORD = "bench-password"  # noqa: S105 (synthetic accounts on a throwaway database)
SEED = 2017
BATCH = 20_000
SAMPLES = 200  # sensitivity samples per round: the closing is computed 20 times during the build

# Sizes at scale 1.
CITIES, ROUNDS, CHALLENGES, CANDIDATES = 50, 20, 5_000, 20_000
SCORES, PILOTS, MILESTONES, PUBLISHED = 1_000_000, 60, 3_000, 5_000
COSPONSORSHIPS, COMMENTS, UPDATES = 5_000, 10_000, 180

PROVINCES = ("Antwerpen", "Limburg", "Oost-Vlaanderen", "Vlaams-Brabant", "West-Vlaanderen")
THEME_CODES = tuple(THEMES)
FILE_TYPE_CODES = ("CSV", "JSON", "GEOJSON", "XML", "RDF_TURTLE", "JSON_LD", "XLSX", "SHP")
OPEN_LICENCES = tuple(uri for uri in LICENCES if uri != "other")
FREQUENCY_CODES = tuple(code for code in FREQUENCIES if code != "CONT")
CHECK_IDS = ("reachable", "https", "cors", "caching", "media_type", "rdf_parses", "content_negotiation", "licence")
STAGE_PATH = (Stage.INTERESTED, Stage.COMMITTED, Stage.PUBLISHING, Stage.PUBLISHED)


# --- the generator ---------------------------------------------------------------------------------------------


@dataclass
class Programme:
    """What was built: row counts, the ids the benchmarks need, and how long the build took."""

    counts: dict[str, int] = field(default_factory=dict)
    city_slugs: list[str] = field(default_factory=list)
    voter_emails: list[str] = field(default_factory=list)  # one per city, same order as city_slugs
    steering_email: str = ""
    admin_email: str = ""
    round_ids: list[int] = field(default_factory=list)  # oldest first
    published_round_ids: list[int] = field(default_factory=list)
    pilot_ids: list[int] = field(default_factory=list)
    pilot_sizes: dict[int, dict[str, int]] = field(default_factory=dict)  # milestones, datasets, participants
    pilot_lead_city: dict[int, int] = field(default_factory=dict)  # pilot id -> index in city_slugs
    city_challenges: list[int] = field(default_factory=list)  # challenges proposed, per city (as city_slugs)
    build_seconds: dict[str, float] = field(default_factory=dict)


def _size(base: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, int(base * scale))


def _at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _batches(rows: Iterable[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class _Writer:
    """Bulk inserts on one connection (the session's transaction), counting the rows per table."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}

    def insert(self, table: sa.Table, rows: Iterable[dict[str, Any]]) -> int:
        total = 0
        for batch in _batches(rows):
            self.connection.execute(insert(table), batch)
            total += len(batch)
        self.counts[table.name] = self.counts.get(table.name, 0) + total
        return total

    def insert_ids(self, model: type, rows: list[dict[str, Any]]) -> list[int]:
        """Insert and return the new ids in the order of ``rows`` (ids are handed out in insertion order, and
        nothing else writes meanwhile)."""
        before = self.connection.scalar(select(func.max(model.id))) or 0
        self.insert(model.__table__, rows)
        ids = list(self.connection.scalars(select(model.id).where(model.id > before).order_by(model.id)))
        assert len(ids) == len(rows), (model.__tablename__, len(ids), len(rows))
        return ids


def build_large_programme(app: Flask, scale: float = 1.0, seed: int = SEED) -> Programme:
    """Fill the app's database with a large programme (see the module's docstring); deterministic for a seed."""
    with app.app_context():
        try:
            programme = _build(scale, seed)
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return programme


def _build(scale: float, seed: int) -> Programme:
    rng = random.Random(seed)
    write = _Writer(db.session.connection())
    programme = Programme()
    started = time.perf_counter()
    today = date.today()
    now = _at(today)

    n_cities = _size(CITIES, scale, 3)
    n_rounds = _size(ROUNDS, scale)
    per_year = max(2, _size(CHALLENGES, scale) // n_rounds)
    years = list(range(today.year - n_rounds + 1, today.year + 1))
    confirmed_rounds = n_rounds - 1 if n_rounds > 1 else 1  # the last round is closed, not yet published
    n_pilots = _size(PILOTS, scale)
    to_select = [
        min(5, per_year, n_pilots // confirmed_rounds + (1 if r < n_pilots % confirmed_rounds else 0)) or 1
        for r in range(n_rounds)
    ]

    # Cities, accounts, memberships ------------------------------------------------------------------------
    slugs = [f"large-{i:03d}" for i in range(n_cities)]
    city_ids = write.insert_ids(
        City,
        [
            {
                "name": f"Grootstad {i:03d}",
                "slug": slug,
                "nis_code": f"{90000 + i:05d}" if i < 10_000 else None,
                "province": PROVINCES[i % len(PROVINCES)],
                "kind": CityKind.CENTRUMSTAD if i % 7 else CityKind.OTHER,
                "active": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i, slug in enumerate(slugs)
        ],
    )
    password_hash = generate_password_hash(PASSWORD)
    emails = ["large-steering@bench.local", "large-admin@bench.local"] + [
        f"large-voter-{i:03d}@bench.local" for i in range(n_cities)
    ]
    user_ids = write.insert_ids(
        User,
        [
            {
                "email": email,
                "name": ("Stuurgroep" if i == 0 else "Beheerder" if i == 1 else f"Stemmer {i - 2:03d}"),
                "password_hash": password_hash,
                "locale": "nl",
                "active": True,
                "is_admin": i == 1,
                "is_steering": i == 0,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for i, email in enumerate(emails)
        ],
    )
    steering, voters = user_ids[0], user_ids[2:]
    write.insert(
        Membership.__table__,
        [
            {"user_id": voter, "city_id": city, "role": CityRole.VOTER, "created_at": now}
            for voter, city in zip(voters, city_ids, strict=True)
        ],
    )
    programme.city_slugs, programme.voter_emails = slugs, emails[2:]
    programme.steering_email, programme.admin_email = emails[0], emails[1]

    # Charter and maturity ---------------------------------------------------------------------------------
    charter = []
    for c, city in enumerate(city_ids):
        for principle in sorted(rng.sample(list(PRINCIPLES), rng.randint(14, len(PRINCIPLES)))):
            charter.append(
                {
                    "city_id": city,
                    "principle": principle,
                    "status": rng.choice(list(CharterLevel)),
                    "note": f"Toelichting bij principe {principle}." if rng.random() < 0.5 else "",
                    "updated_at": now,
                    "updated_by_id": voters[c],
                    "version": 1,
                }
            )
    write.insert(CharterStatus.__table__, charter)
    assessment_years = range(FIRST_ASSESSMENT_YEAR, today.year + 1)
    assessment_ids = write.insert_ids(
        MaturityAssessment,
        [
            {
                "city_id": city,
                "year": year,
                "created_at": _at(date(year, 11, 1)),
                "updated_at": _at(date(year, 11, 1)),
                "updated_by_id": voters[c],
                "version": 1,
            }
            for c, city in enumerate(city_ids)
            for year in assessment_years
        ],
    )
    write.insert(
        MaturityScore.__table__,
        (
            {
                "assessment_id": assessment,
                "domain": domain,
                "score": min(5, 1 + (a % len(assessment_years)) // 2 + rng.randint(0, 1)),
                "note": "",
            }
            for a, assessment in enumerate(assessment_ids)
            for domain in MATURITY_DOMAINS
        ),
    )

    # Challenges, candidate datasets, co-sponsors, comments ------------------------------------------------
    challenge_rows = []
    # Cities differ in size: the busiest proposes about four times as many challenges as the quietest.
    city_weights = [1 + 3 * ((c * 7) % n_cities) / max(1, n_cities - 1) for c in range(n_cities)]
    proposer_of = rng.choices(range(n_cities), weights=city_weights, k=n_rounds * per_year)  # index into city_ids
    for r, year in enumerate(years):
        for i in range(per_year):
            c = proposer_of[r * per_year + i]
            created = _at(date(year, 1, 1) + timedelta(days=rng.randrange(120)), hour=8 + i % 10)
            challenge_rows.append(
                {
                    "title": f"Uitdaging {year}-{i:03d}: {rng.choice(['parkeren', 'afval', 'luchtkwaliteit', 'fietsen', 'evenementen', 'energie'])}",
                    "summary": f"Samenvatting van uitdaging {i} van {year}.",
                    "description": "Wat de stad wil oplossen met data. " * 4,
                    "theme": THEME_CODES[(r + i) % len(THEME_CODES)],
                    "expected_impact": "Minder files, meer open data.",
                    "year": year,
                    # confirmed rounds: not selected unless the ranking selects it (set below); the last round: eligible
                    "status": ChallengeStatus.NOT_SELECTED if r < confirmed_rounds else ChallengeStatus.ELIGIBLE,
                    "city_id": city_ids[c],
                    "author_id": voters[c],
                    "screening_reason": "",
                    "screened_at": created + timedelta(days=130),
                    "screened_by_id": steering,
                    "submitted_at": created + timedelta(days=1),
                    "created_at": created,
                    "updated_at": created + timedelta(days=130),
                    "version": 1,
                }
            )
    challenge_ids = write.insert_ids(Challenge, challenge_rows)
    titles = {cid: row["title"] for cid, row in zip(challenge_ids, challenge_rows, strict=True)}
    n_challenges = len(challenge_ids)

    n_candidates = _size(CANDIDATES, scale)
    write.insert(
        CandidateDataset.__table__,
        (
            {
                "challenge_id": challenge_ids[k % n_challenges],
                "position": k // n_challenges,
                "title": f"Dataset {k}",
                "description": "Een dataset die kan helpen.",
                "holder_city_id": city_ids[(k * 7) % n_cities] if k % 3 else None,
                "holder_name": None if k % 3 else "Een organisatie",
                "availability": (Availability.OPEN, Availability.INTERNAL, Availability.NOT_COLLECTED)[k % 3],
                "url": f"https://data.example.org/dataset/{k}" if k % 3 == 0 else None,
                "file_type": FILE_TYPE_CODES[k % len(FILE_TYPE_CODES)],
                "licence": OPEN_LICENCES[k % len(OPEN_LICENCES)] if k % 3 == 0 else None,
                "frequency": FREQUENCY_CODES[k % len(FREQUENCY_CODES)],
                "realtime": k % 11 == 0,
                "standard": "OSLO" if k % 5 == 0 else None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for k in range(n_candidates)
        ),
    )
    cosponsors: dict[int, list[int]] = {}  # challenge index -> city indexes
    pairs: set[tuple[int, int]] = set()
    n_cosponsorships = _size(COSPONSORSHIPS, scale) if n_cities > 1 else 0
    attempts = 0
    while len(pairs) < n_cosponsorships and attempts < 10 * n_cosponsorships:
        attempts += 1
        k, c = rng.randrange(n_challenges), rng.randrange(n_cities)
        if c != proposer_of[k] and (k, c) not in pairs:
            pairs.add((k, c))
            cosponsors.setdefault(k, []).append(c)
    write.insert(
        CoSponsorship.__table__,
        [
            {
                "challenge_id": challenge_ids[k],
                "city_id": city_ids[c],
                "user_id": voters[c],
                "note": "Wij ook.",
                "created_at": challenge_rows[k]["created_at"] + timedelta(days=5),
            }
            for k, c in sorted(pairs)
        ],
    )
    write.insert(
        Comment.__table__,
        (
            {
                "challenge_id": challenge_ids[k],
                "author_id": voters[c],
                "body": f"Reactie van stad {c} op deze uitdaging.",
                "hidden": False,
                "created_at": challenge_rows[k]["created_at"] + timedelta(days=10),
                "version": 1,
            }
            for k, c in ((rng.randrange(n_challenges), rng.randrange(n_cities)) for _ in range(_size(COMMENTS, scale)))
        ),
    )
    programme.build_seconds["challenges"] = round(time.perf_counter() - started, 1)

    # Rounds: criteria, frozen ballot, ballots, scores, snapshot ------------------------------------------
    cells_per_round = len(DEFAULT_CRITERIA) * per_year * (n_cities - 1)
    quota = min(cells_per_round, math.ceil(_size(SCORES, scale) / n_rounds))
    quorum = max(1, math.ceil(n_cities / 2))
    selected_by_round: dict[int, list[int]] = {}  # round index -> challenge indexes
    score_seconds = ranking_seconds = 0.0
    for r, year in enumerate(years):
        phase = RoundPhase.PUBLISHED if r < confirmed_rounds else RoundPhase.CLOSED
        (round_id,) = write.insert_ids(
            Round,
            [
                {
                    "title": f"Large: ronde {year}",
                    "year": year,
                    "pilots_to_select": to_select[r],
                    "phase": phase,
                    "proposals_deadline": date(year, 4, 30),
                    "voting_deadline": date(year, 8, 31),
                    "allow_self_scoring": False,
                    "quorum": None,
                    "ballots_confidential": False,
                    "method": "wsm",
                    "normalization": "scale",
                    "sensitivity_samples": SAMPLES,
                    "perturbation": 0.2,
                    "seed": 1,
                    "ahp_judgements": None,
                    "proposals_opened_at": _at(date(year, 3, 1)),
                    "voting_opened_at": _at(date(year, 6, 1)),
                    "closed_at": _at(date(year, 9, 1)),
                    "published_at": _at(date(year, 9, 15)) if phase is RoundPhase.PUBLISHED else None,
                    "confirmed_at": _at(date(year, 10, 1)) if phase is RoundPhase.PUBLISHED else None,
                    "confirmed_by_id": steering if phase is RoundPhase.PUBLISHED else None,
                    "override_justification": None,
                    "created_at": _at(date(year, 2, 1)),
                    "updated_at": _at(date(year, 10, 1)),
                    "version": 5,
                }
            ],
        )
        programme.round_ids.append(round_id)
        if phase is RoundPhase.PUBLISHED:
            programme.published_round_ids.append(round_id)
        criteria = [
            {
                "round_id": round_id,
                "position": position,
                "key": key,
                "name_nl": name_nl,
                "name_en": name_en,
                "description_nl": description_nl,
                "description_en": description_en,
                "weight": float(rng.choice([1, 1, 2, 3])),
                "direction": direction,
                "scale_min": 1.0,
                "scale_max": 5.0,
                "integer_scale": True,
            }
            for position, (key, name_nl, name_en, description_nl, description_en, direction) in enumerate(DEFAULT_CRITERIA)
        ]
        criterion_ids = write.insert_ids(Criterion, criteria)
        entries = list(range(r * per_year, (r + 1) * per_year))  # challenge indexes, in order of creation
        entries.sort(key=lambda k: (challenge_rows[k]["created_at"], challenge_ids[k]))
        write.insert(
            BallotEntry.__table__,
            [{"round_id": round_id, "challenge_id": challenge_ids[k], "position": p} for p, k in enumerate(entries)],
        )
        ballot_ids = write.insert_ids(
            Ballot,
            [
                {
                    "round_id": round_id,
                    "city_id": city,
                    "status": BallotStatus.SUBMITTED,
                    "submitted_at": _at(date(year, 8, 20)),
                    "submitted_by_id": voters[c],
                    "updated_at": _at(date(year, 8, 20)),
                    "updated_by_id": voters[c],
                    "version": 3,
                }
                for c, city in enumerate(city_ids)
            ],
        )
        # The cells a city may score (not its own challenges), of which ``quota`` get a score.
        step = time.perf_counter()
        quality = {(k, j): rng.uniform(1.5, 4.5) for k in entries for j in range(len(criteria))}
        keep = set(rng.sample(range(cells_per_round), quota)) if quota < cells_per_round else None
        ballots_doc: dict[str, dict[str, dict[str, float]]] = {slug: {} for slug in slugs}
        rows: list[dict[str, Any]] = []
        cell = 0
        for c, ballot in enumerate(ballot_ids):
            doc = ballots_doc[slugs[c]]
            for k in entries:
                if proposer_of[k] == c:
                    continue
                for j, criterion in enumerate(criterion_ids):
                    cell += 1
                    if keep is not None and cell - 1 not in keep:
                        continue
                    value = float(min(5, max(1, round(quality[k, j] + rng.gauss(0.0, 0.9)))))
                    rows.append(
                        {"ballot_id": ballot, "challenge_id": challenge_ids[k], "criterion_id": criterion, "value": value}
                    )
                    doc.setdefault(str(challenge_ids[k]), {})[criteria[j]["key"]] = value
            if len(rows) >= BATCH:
                write.insert(Score.__table__, rows)
                rows = []
        write.insert(Score.__table__, rows)
        score_seconds += time.perf_counter() - step
        # The snapshot, exactly as pilots.services.voting.snapshot_document builds it from the stored scores.
        step = time.perf_counter()
        document = {
            "alternatives": [str(challenge_ids[k]) for k in entries],
            "criteria": [
                {
                    "id": c["key"],
                    "weight": c["weight"],
                    "direction": c["direction"].value,
                    "scale": [c["scale_min"], c["scale_max"]],
                }
                for c in criteria
            ],
            "ballots": [{"voter": slug, "scores": ballots_doc[slug]} for slug in sorted(slugs)],
            "method": "wsm",
            "normalization": "scale",
            "select": to_select[r],
            "sensitivity": {"samples": SAMPLES, "seed": 1, "perturbation": 0.2},
            "quorum": quorum,
            "exclude_self": {str(challenge_ids[k]): slugs[proposer_of[k]] for k in entries},
        }
        result = engine.run(document)
        ranking_seconds += time.perf_counter() - step
        write.insert(
            RoundSnapshot.__table__,
            [
                {
                    "round_id": round_id,
                    "document": engine.canonical_json(document),
                    "sha256": engine.sha256(document),
                    "result": engine.canonical_json(result),
                    "created_at": _at(date(year, 9, 1)),
                }
            ],
        )
        if phase is RoundPhase.PUBLISHED:
            index_of = {challenge_ids[k]: k for k in entries}
            selected_by_round[r] = [index_of[int(a)] for a in result["selected"]]
            write.connection.execute(
                update(Challenge.__table__)
                .where(Challenge.__table__.c.id.in_([challenge_ids[k] for k in selected_by_round[r]]))
                .values(status=ChallengeStatus.SELECTED)
            )
    programme.build_seconds["scores"] = round(score_seconds, 1)
    programme.build_seconds["ranking"] = round(ranking_seconds, 1)

    # Pilots: participants and their stages, leads, milestones, published datasets and checks, updates ------
    step = time.perf_counter()
    pilot_rows, pilot_meta = [], []
    for r, selected in sorted(selected_by_round.items()):
        for k in selected:
            start = date(years[r] + 1, 1, 15) if years[r] < today.year else date(years[r], 11, 1)
            end = start + timedelta(days=365 + rng.randrange(365))
            if end < today:
                status = PilotStatus.CANCELLED if rng.random() < 0.05 else PilotStatus.COMPLETED
            else:
                status = PilotStatus.ACTIVE if start <= today else PilotStatus.PLANNED
            pilot_meta.append((k, start, end))
            pilot_rows.append(
                {
                    "title": titles[challenge_ids[k]],
                    "goal": challenge_rows[k]["summary"],
                    "challenge_id": challenge_ids[k],
                    "round_id": programme.round_ids[r],
                    "lead_city_id": city_ids[proposer_of[k]],
                    "status": status,
                    "start_date": start,
                    "end_date": end,
                    "created_at": _at(date(years[r], 10, 1)),
                    "updated_at": _at(date(years[r], 10, 1)),
                    "version": 1,
                }
            )
    pilot_ids = write.insert_ids(Pilot, pilot_rows)
    programme.pilot_ids = pilot_ids
    write.insert(
        pilot_leads,
        [{"pilot_id": pilot, "user_id": voters[proposer_of[k]]} for pilot, (k, _, _) in zip(pilot_ids, pilot_meta, strict=True)],
    )
    participation_rows, members = [], []  # members[p]: the accepted cities (indexes) of pilot p
    for p, (k, start, _end) in enumerate(pilot_meta):
        lead = proposer_of[k]
        others = [c for c in dict.fromkeys(cosponsors.get(k, []) + rng.sample(range(n_cities), min(n_cities, 10))) if c != lead]
        others = others[: rng.randint(min(3, len(others)), min(12, len(others)))]
        accepted = [lead]
        for position, c in enumerate([lead, *others]):
            is_lead = position == 0
            ok = is_lead or rng.random() < 0.9
            if ok and not is_lead:
                accepted.append(c)
            stage = Stage.COMMITTED if is_lead else rng.choice([*STAGE_PATH, Stage.WITHDRAWN] if ok else [Stage.INTERESTED])
            participation_rows.append(
                {
                    "pilot_id": pilot_ids[p],
                    "city_id": city_ids[c],
                    "role": ParticipantRole.LEAD
                    if is_lead
                    else rng.choice([ParticipantRole.PARTICIPANT] * 4 + [ParticipantRole.OBSERVER]),
                    "accepted": ok,
                    "stage": stage,
                    "created_at": _at(start),
                    "_stage_path": STAGE_PATH[: STAGE_PATH.index(stage) + 1]
                    if stage in STAGE_PATH
                    else (Stage.INTERESTED, stage),
                }
            )
        members.append(accepted)
    paths = [row.pop("_stage_path") for row in participation_rows]
    participation_ids = write.insert_ids(Participation, participation_rows)
    write.insert(
        StageChange.__table__,
        (
            {
                "participation_id": participation,
                "stage": stage,
                "changed_on": row["created_at"].date() + timedelta(days=30 * s),
                "changed_at": row["created_at"] + timedelta(days=30 * s),
            }
            for participation, row, path in zip(participation_ids, participation_rows, paths, strict=True)
            for s, stage in enumerate(path)
        ),
    )

    # Pilots differ in size too: the busiest has about five times the milestones and datasets of the smallest.
    pilot_weights = [1 + 4 * ((p * 11) % len(pilot_ids)) / max(1, len(pilot_ids) - 1) for p in range(len(pilot_ids))]
    n_milestones = _size(MILESTONES, scale)
    milestone_rows, milestone_pilot = [], []
    numbers = [0] * len(pilot_ids)
    for m, p in enumerate(rng.choices(range(len(pilot_ids)), weights=pilot_weights, k=n_milestones)):
        numbers[p] += 1
        _k, start, end = pilot_meta[p]
        due = start + timedelta(days=rng.randrange(max(1, (end - start).days)))
        if due < today:
            status = MilestoneStatus.BLOCKED if rng.random() < 0.05 else MilestoneStatus.DONE
        else:
            status = rng.choice([MilestoneStatus.PLANNED, MilestoneStatus.IN_PROGRESS])
        milestone_pilot.append(p)
        milestone_rows.append(
            {
                "pilot_id": pilot_ids[p],
                "title": f"Mijlpaal {numbers[p]} ({m})",
                "description": "Wat er dan klaar moet zijn.",
                "start_date": due - timedelta(days=30),
                "due_date": due,
                "per_city": rng.random() < 0.33,
                "weight": float(rng.choice([1, 1, 2])),
                "status": status,
                "blocked_reason": "Wacht op de leverancier." if status is MilestoneStatus.BLOCKED else None,
                "completed_on": due if status is MilestoneStatus.DONE else None,
                "version": 1,
            }
        )
    milestone_ids = write.insert_ids(Milestone, milestone_rows)
    write.insert(
        MilestoneCity.__table__,
        (
            {
                "milestone_id": milestone,
                "city_id": city_ids[c],
                "status": row["status"] if rng.random() < 0.7 else MilestoneStatus.IN_PROGRESS,
                "blocked_reason": row["blocked_reason"],
                "completed_on": row["completed_on"],
            }
            for milestone, row, p in zip(milestone_ids, milestone_rows, milestone_pilot, strict=True)
            if row["per_city"]
            for c in members[p]
        ),
    )

    n_published = _size(PUBLISHED, scale)
    dataset_rows = []
    for d, p in enumerate(rng.choices(range(len(pilot_ids)), weights=pilot_weights, k=n_published)):
        c = rng.choice(members[p])
        issued = pilot_meta[p][1] + timedelta(days=rng.randrange(300))
        dataset_rows.append(
            {
                "pilot_id": pilot_ids[p],
                "city_id": city_ids[c],
                "title_nl": f"Gepubliceerde dataset {d}",
                "title_en": f"Published dataset {d}" if d % 2 else "",
                "description_nl": f"Dataset {d} van {slugs[c]}.",
                "description_en": "",
                "contact_email": f"data@{slugs[c]}.example.org",
                "keywords": "mobiliteit, parkeren" if d % 2 else "afval",
                "theme": THEME_CODES[d % len(THEME_CODES)],
                "access_url": f"https://data.{slugs[c]}.example.org/api/{d}",
                "download_url": f"https://data.{slugs[c]}.example.org/files/{d}.csv" if d % 3 else None,
                "file_type": FILE_TYPE_CODES[d % len(FILE_TYPE_CODES)],
                "licence": OPEN_LICENCES[d % len(OPEN_LICENCES)],
                "conforms_to": "https://data.vlaanderen.be/ns/mobiliteit" if d % 4 == 0 else None,
                "frequency": FREQUENCY_CODES[d % len(FREQUENCY_CODES)],
                "realtime": d % 13 == 0,
                "issued": issued,
                "modified": _at(issued + timedelta(days=20)),
                "language": "nl",
                "created_at": _at(issued),
                "version": 1,
            }
        )
    dataset_ids = write.insert_ids(PublishedDataset, dataset_rows)
    checks = []
    for dataset, row in zip(dataset_ids, dataset_rows, strict=True):
        results = {check: ("fail" if rng.random() < 0.1 else "pass") for check in CHECK_IDS}
        checked = row["modified"] + timedelta(days=1)
        checks.append(
            {
                "dataset_id": dataset,
                "checked_at": checked,
                "passed": "fail" not in results.values(),
                "report": {
                    "url": row["access_url"],
                    "final_url": row["access_url"],
                    "checked_at": checked.isoformat().replace("+00:00", "Z"),
                    "checks": [
                        {"id": check, "result": result, "evidence": f"{check}: {result}"} for check, result in results.items()
                    ],
                    "passed": "fail" not in results.values(),
                    "refused": None,
                },
                "checked_by_id": steering,
            }
        )
    write.insert(DatasetCheck.__table__, checks)
    write.insert(
        PilotUpdate.__table__,
        (
            {
                "pilot_id": pilot_ids[u % len(pilot_ids)],
                "author_id": voters[proposer_of[pilot_meta[u % len(pilot_ids)][0]]],
                "body": f"**Stand van zaken** {u}: we schieten op.",
                "created_at": _at(pilot_meta[u % len(pilot_ids)][1] + timedelta(days=10 * (u // len(pilot_ids) + 1))),
            }
            for u in range(_size(UPDATES, scale))
        ),
    )
    programme.build_seconds["pilots"] = round(time.perf_counter() - step, 1)

    for p, pilot in enumerate(pilot_ids):
        programme.pilot_lead_city[pilot] = proposer_of[pilot_meta[p][0]]
        programme.pilot_sizes[pilot] = {
            "milestones": milestone_pilot.count(p),
            "datasets": sum(1 for row in dataset_rows if row["pilot_id"] == pilot),
            "participants": sum(1 for row in participation_rows if row["pilot_id"] == pilot),
        }
    programme.city_challenges = [proposer_of.count(c) for c in range(n_cities)]
    programme.counts = write.counts
    programme.build_seconds["total"] = round(time.perf_counter() - started, 1)
    return programme


# --- the benchmarks --------------------------------------------------------------------------------------------

STATE = "_large"  # key in context.facts_by_bench (not a benchmark's name: never printed)


def _large(context: Context) -> dict[str, Any]:
    """The large programme, built once per run whichever benchmark asks first, and the signed-in clients."""
    if STATE not in context.facts_by_bench:
        started = time.perf_counter()
        programme = build_large_programme(context.app, context.scale)
        context.facts_by_bench[STATE] = {
            "programme": programme,
            "clients": {},
            "build_s": round(time.perf_counter() - started, 1),
        }
    return context.facts_by_bench[STATE]


def _client(context: Context, email: str | None):
    """A test client signed in as ``email`` (None: anonymous), one per account per run (sign-ins are rate limited)."""
    clients = _large(context)["clients"]
    if email not in clients:
        client = context.app.test_client()
        if email is not None:
            response = client.post("/login", data={"email": email, "password": PASSWORD})
            assert response.status_code == 302, (email, response.status_code)
        clients[email] = client
    return clients[email]


def _route(app: Flask, url: str) -> str | None:
    """``url`` if a GET route serves it (following a trailing-slash redirect), else None. Catch-all routes
    (``<path:…>``, such as the API's JSON 404) do not count."""
    path, _, query = url.partition("?")
    adapter = app.url_map.bind("localhost")
    for _attempt in range(2):
        try:
            rule, _arguments = adapter.match(path, method="GET", return_rule=True)
        except RequestRedirect as redirect:
            path = urlsplit(redirect.new_url).path
            continue
        except HTTPException:
            return None
        if "<path:" in rule.rule:
            return None
        return path + (f"?{query}" if query else "")
    return None


@dataclass(frozen=True)
class Target:
    urls: list[str]  # candidates, the first that exists is measured
    email: str | None  # who asks (None: anonymous)
    facts: dict[str, Any]
    smallest: str | None = None  # the same page for the smallest instance: its statements go in the facts too
    smallest_email: str | None = None  # who asks for that one (its own city's voter, so the view is alike)
    rotate_address: bool = False  # the API limits requests per client address: spread the timed ones


def _page(name: str, description: str, target: Callable[[Context, Programme], Target]) -> None:
    def setup(context: Context):
        state = _large(context)
        programme: Programme = state["programme"]
        chosen = target(context, programme)
        facts: dict[str, Any] = {}
        if not state.get("reported"):  # the programme's sizes go with the first large benchmark of the run
            state["reported"] = True
            facts.update(programme=programme.counts, build_s=state["build_s"], build_parts_s=programme.build_seconds)
        url = next((found for found in (_route(context.app, url) for url in chosen.urls) if found), None)
        if url is None:
            context.facts_by_bench[name] = {**facts, "skipped": f"no route for {' or '.join(chosen.urls)}"}
            return lambda: None
        client = _client(context, chosen.email)
        sent = [0]

        def get(path: str = url, by=client):
            sent[0] += 1
            if not chosen.rotate_address:
                return by.get(path)
            n = sent[0]
            return by.get(path, environ_base={"REMOTE_ADDR": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"})

        def statements_of(path: str, by=client):
            get(path, by)  # warm-up: caches, lazy imports
            with count_queries(context.app) as statements:
                response = get(path, by)
            return response, len(statements)

        response, count = statements_of(url)
        if response.status_code != 200:
            context.facts_by_bench[name] = {**facts, "url": url, "skipped": f"GET answered {response.status_code}"}
            return lambda: None
        facts.update(url=url, statements=count, kB=round(len(response.data) / 1024), **chosen.facts)
        if chosen.smallest:
            small, count = statements_of(chosen.smallest, _client(context, chosen.smallest_email or chosen.email))
            facts.update(statements_smallest=count if small.status_code == 200 else f"GET answered {small.status_code}")
        context.facts_by_bench[name] = facts

        def run():
            response = get()
            assert response.status_code == 200, (url, response.status_code)

        return run

    benchmark(name, description)(setup)


def _pilot_size(programme: Programme, pilot: int) -> tuple[int, int]:
    sizes = programme.pilot_sizes[pilot]
    return sizes["milestones"] + sizes["datasets"], -pilot


def _city_sizes(context: Context, slug: str) -> dict[str, int]:
    with context.app.app_context():
        city_id = db.session.scalar(select(City.id).where(City.slug == slug))
        return {
            "challenges": db.session.scalar(select(func.count(Challenge.id)).where(Challenge.city_id == city_id)),
            "participations": db.session.scalar(select(func.count(Participation.id)).where(Participation.city_id == city_id)),
            "datasets": db.session.scalar(select(func.count(PublishedDataset.id)).where(PublishedDataset.city_id == city_id)),
        }


def _voter(programme: Programme) -> str:
    """The account of the signed-in pages other than the pilot page: the voter of the city proposing the most."""
    return programme.voter_emails[programme.city_challenges.index(max(programme.city_challenges))]


def _dashboard(context: Context, programme: Programme) -> Target:
    return Target(["/dashboard", "/dashboard/"], programme.steering_email, {"cities": len(programme.city_slugs)})


def _city_profile(context: Context, programme: Programme) -> Target:
    """The city proposing the most challenges, seen by its own voter; the smallest is the one proposing the fewest."""
    busiest = programme.city_challenges.index(max(programme.city_challenges))
    quietest = programme.city_challenges.index(min(programme.city_challenges))
    slug, small = programme.city_slugs[busiest], programme.city_slugs[quietest]
    facts = {f"city_{key}": value for key, value in _city_sizes(context, slug).items()}
    facts.update({f"smallest_{key}": value for key, value in _city_sizes(context, small).items()})
    email, small_email = programme.voter_emails[busiest], programme.voter_emails[quietest]
    return Target([f"/cities/{slug}"], email, facts, smallest=f"/cities/{small}", smallest_email=small_email)


def _challenge_list(context: Context, programme: Programme) -> Target:
    with context.app.app_context():
        total = db.session.scalar(select(func.count(Challenge.id)).where(Challenge.status != ChallengeStatus.DRAFT))
        per_page = context.app.config["PAGE_SIZE"]
    page = min(50, max(1, math.ceil(total / per_page)))
    return Target([f"/challenges?page={page}"], _voter(programme), {"challenges": total, "page": page})


def _results(context: Context, programme: Programme) -> Target:
    round_id = (programme.published_round_ids or programme.round_ids)[-1]
    with context.app.app_context():
        sizes = {
            "alternatives": db.session.scalar(select(func.count(BallotEntry.id)).where(BallotEntry.round_id == round_id)),
            "ballots": db.session.scalar(select(func.count(Ballot.id)).where(Ballot.round_id == round_id)),
            "round_scores": db.session.scalar(select(func.count(Score.id)).join(Ballot).where(Ballot.round_id == round_id)),
        }
    return Target([f"/rounds/{round_id}/results"], _voter(programme), sizes)


def _pilot_page(context: Context, programme: Programme) -> Target:
    """The pilot with the most milestones and datasets, seen by its lead city's voter (who manages it); the
    smallest is the pilot with the fewest."""
    busiest = max(programme.pilot_ids, key=lambda p: _pilot_size(programme, p))
    smallest = min(programme.pilot_ids, key=lambda p: _pilot_size(programme, p))
    facts = dict(programme.pilot_sizes[busiest])
    facts.update({f"smallest_{key}": value for key, value in programme.pilot_sizes[smallest].items()})
    email = programme.voter_emails[programme.pilot_lead_city[busiest]]
    small_email = programme.voter_emails[programme.pilot_lead_city[smallest]]
    return Target([f"/pilots/{busiest}"], email, facts, smallest=f"/pilots/{smallest}", smallest_email=small_email)


def _catalogue(context: Context, programme: Programme) -> Target:
    with context.app.app_context():
        datasets = db.session.scalar(select(func.count(PublishedDataset.id)))
    return Target(["/catalog.ttl"], None, {"datasets": datasets})


def _api_list(context: Context, programme: Programme) -> Target:
    with context.app.app_context():
        challenges = db.session.scalar(select(func.count(Challenge.id)))
    page = min(10, max(1, challenges // 25))
    urls = [f"/api/v1/challenges?page={page}", f"/api/v1/datasets?page={page}", "/api/v1/pilots", "/api/v1/cities"]
    return Target(urls, None, {"challenges": challenges}, rotate_address=True)


_page("large-dashboard", "the programme dashboard for the steering committee, on the large programme", _dashboard)
_page("large-city-profile", "the busiest city's profile (its own voter), on the large programme", _city_profile)
_page("large-challenge-list", "the challenge list, page 50 (a signed-in voter), on the large programme", _challenge_list)
_page("large-results", "the published results of a round (250 challenges, 50 ballots), on the large programme", _results)
_page("large-pilot-page", "the busiest pilot's page (its lead city's voter), on the large programme", _pilot_page)
_page("large-catalogue", "the DCAT-AP catalogue in Turtle (every published dataset), on the large programme", _catalogue)
_page("large-api-list", "a page of the public API's challenge list (anonymous), on the large programme", _api_list)

#: The benchmarks of this module, in the order they run (for --only).
NAMES = (
    "large-dashboard",
    "large-city-profile",
    "large-challenge-list",
    "large-results",
    "large-pilot-page",
    "large-catalogue",
    "large-api-list",
)
