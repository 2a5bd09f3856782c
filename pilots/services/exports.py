"""The tables behind the CSV and Excel exports: one function per table, each returning ``(headers, rows)``.

Every function takes the user who asks (what they may see depends on it), the optional filters (a year and a
city's slug) and the locale of the names it picks (criteria). Each runs a fixed number of queries, whatever the
amount of data. Values stay typed (numbers, dates, aware datetimes, booleans, ``None``): the view turns them into
CSV text or spreadsheet cells, and neutralises text that a spreadsheet would run as a formula.

Visibility follows the rest of the platform:

* challenges: public ones, and drafts of the user's own cities only (``challenges.list_query``);
* ballots: only of published rounds, only submitted ballots (the ones the result counts); a round that keeps its
  ballots confidential shows only the user's own cities' ballots (``voting.can_see_ballot``); never an open round;
* results: only published rounds;
* pilots, milestones, published datasets and the cities' open-data status are public to every signed-in user.

What the filters mean per table: ``year`` is the challenge's year, the round's year (ballots, results, pilots), the
due date's year (milestones), the issue date's year (datasets) and the self-assessment's year (city status: the
charter has no year and is always included). ``city`` is the proposing city (challenges, results), the voting city
(ballots), a participating city (pilots), the city of a per-city row or a city taking part (accepted, not an observer) in
the pilot of a shared milestone (milestones), the publishing city (datasets) and the city itself (city status).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from pilots.extensions import db
from pilots.models import (
    Ballot,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    CharterStatus,
    City,
    Criterion,
    DatasetCheck,
    MaturityAssessment,
    MaturityScore,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PublishedDataset,
    Round,
    RoundPhase,
    Score,
    User,
)
from pilots.models.city_status import MATURITY_DOMAINS
from pilots.services import accounts, voting, workspaces
from pilots.services import challenges as challenge_service


@dataclass(frozen=True)
class ExportFilters:
    year: int | None = None
    city: str | None = None  # a city's slug


class Table(NamedTuple):
    headers: tuple[str, ...]
    rows: list[tuple[Any, ...]]


NO_FILTERS = ExportFilters()


def _year_range(column, year: int):
    """``column`` (a date) falls in ``year``: a range, portable and able to use an index."""
    return and_(column >= date(year, 1, 1), column < date(year + 1, 1, 1))


def _joined(names: list[str]) -> str:
    return "; ".join(names)


# --- challenges ------------------------------------------------------------------------------------------------

CHALLENGE_HEADERS = (
    "id",
    "title",
    "summary",
    "year",
    "theme",
    "city",
    "city_slug",
    "status",
    "datasets",
    "cosponsor_count",
    "cosponsors",
    "submitted",
    "created",
)


def challenges(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """The challenges the user may see (public ones and their own cities' drafts), with dataset and co-sponsor
    counts and the co-sponsoring cities. Two queries."""
    query = challenge_service.list_query(user, challenge_service.Filters(year=filters.year, city=filters.city))
    found = db.session.execute(query).all()
    names = challenge_service.cosponsor_names([challenge.id for challenge, _, _ in found])
    rows = [
        (
            challenge.id,
            challenge.title,
            challenge.summary,
            challenge.year,
            challenge.theme,
            challenge.city.name,
            challenge.city.slug,
            challenge.status.value,
            dataset_count,
            cosponsor_count,
            _joined(names[challenge.id]),
            challenge.submitted_at,
            challenge.created_at,
        )
        for challenge, dataset_count, cosponsor_count in found
    ]
    return Table(CHALLENGE_HEADERS, rows)


# --- ballots ---------------------------------------------------------------------------------------------------

BALLOT_HEADERS = (
    "round_id",
    "round",
    "year",
    "city",
    "city_slug",
    "challenge_id",
    "challenge",
    "criterion_key",
    "criterion",
    "score",
    "submitted",
)


def ballots(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """One row per city × challenge × criterion score, from the submitted ballots of published rounds. A round
    that keeps its ballots confidential shows only the user's own cities' ballots. One query."""
    own = accounts.city_ids(user)
    confidential_ok = Ballot.city_id.in_(own) if own else false()
    criterion_name = Criterion.name_en if locale == "en" else Criterion.name_nl
    query = (
        select(
            Round.id,
            Round.title,
            Round.year,
            City.name,
            City.slug,
            Challenge.id,
            Challenge.title,
            Criterion.key,
            criterion_name,
            Criterion.name_nl,
            Score.value,
            Ballot.submitted_at,
        )
        .select_from(Score)
        .join(Ballot, Ballot.id == Score.ballot_id)
        .join(Round, Round.id == Ballot.round_id)
        .join(City, City.id == Ballot.city_id)
        .join(Challenge, Challenge.id == Score.challenge_id)
        .join(Criterion, Criterion.id == Score.criterion_id)
        .where(
            Round.phase == RoundPhase.PUBLISHED,
            Ballot.status == BallotStatus.SUBMITTED,
            or_(Round.ballots_confidential.is_(False), confidential_ok),
        )
    )
    if filters.year:
        query = query.where(Round.year == filters.year)
    if filters.city:
        query = query.where(City.slug == filters.city)
    query = query.order_by(
        Round.year.desc(), Round.id.desc(), func.lower(City.name), Challenge.id, Criterion.position, Criterion.id
    )
    rows = [
        (round_id, title, year, city, slug, challenge_id, challenge, key, name or name_nl, value, submitted)
        for round_id, title, year, city, slug, challenge_id, challenge, key, name, name_nl, value, submitted in db.session.execute(
            query
        )
    ]
    return Table(BALLOT_HEADERS, rows)


# --- results ---------------------------------------------------------------------------------------------------

RESULT_HEADERS = (
    "round_id",
    "round",
    "year",
    "rank",
    "challenge_id",
    "challenge",
    "proposed_by",
    "score",
    "cities_scored",
    "selected",
    "confirmed",
)


def results(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """The ranking of every published round: rank, challenge, score, whether the ranking selected it and whether the
    committee confirmed it. Challenges below the quorum follow, without rank or score. Two queries."""
    query = (
        select(Round)
        .where(Round.phase == RoundPhase.PUBLISHED)
        .options(joinedload(Round.snapshot), selectinload(Round.entries))
        .order_by(Round.year.desc(), Round.id.desc())
    )
    if filters.year:
        query = query.where(Round.year == filters.year)
    rows: list[tuple[Any, ...]] = []
    for round_ in db.session.scalars(query).unique():
        result = voting.result_of(round_)
        if result is None:
            continue
        challenges_by_id = {str(entry.challenge_id): entry.challenge for entry in round_.entries}
        selected = set(result.get("selected", []))
        confirmed = round_.confirmed_at is not None
        ranked = [(row, row["rank"], row["score"]) for row in result.get("ranking", [])]
        ranked += [(row, None, None) for row in result.get("ineligible", [])]
        for row, rank, score in ranked:
            alternative = str(row["alternative"])
            challenge = challenges_by_id.get(alternative)
            if filters.city and (challenge is None or challenge.city.slug != filters.city):
                continue
            rows.append(
                (
                    round_.id,
                    round_.title,
                    round_.year,
                    rank,
                    challenge.id if challenge else alternative,
                    challenge.title if challenge else "",
                    challenge.city.name if challenge else "",
                    score,
                    row.get("voters"),
                    alternative in selected,
                    bool(confirmed and challenge is not None and challenge.status is ChallengeStatus.SELECTED),
                )
            )
    return Table(RESULT_HEADERS, rows)


# --- pilots ----------------------------------------------------------------------------------------------------

PILOT_HEADERS = (
    "id",
    "title",
    "status",
    "progress_percent",
    "lead_city",
    "year",
    "start_date",
    "end_date",
    "cities",
    "challenge_id",
)


def _taking_part(participation: Participation) -> bool:
    return participation.accepted and participation.role is not ParticipantRole.OBSERVER


def pilots(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """Every pilot with its status, progress (weighted milestones), lead city, the year of its round, dates and the
    cities taking part (accepted, observers left out). Four queries."""
    query = (
        select(Pilot, Round.year)
        .outerjoin(Round, Round.id == Pilot.round_id)
        .options(
            joinedload(Pilot.lead_city),
            selectinload(Pilot.participants),
            selectinload(Pilot.milestones).selectinload(Milestone.city_statuses),
        )
        .order_by(Pilot.start_date.desc().nulls_last(), Pilot.id.desc())
    )
    if filters.year:
        query = query.where(Round.year == filters.year)
    if filters.city:
        query = query.where(Pilot.participants.any(Participation.city.has(City.slug == filters.city)))
    rows = []
    for pilot, year in db.session.execute(query).unique():
        cities = sorted((p.city.name for p in pilot.participants if _taking_part(p)), key=str.lower)
        rows.append(
            (
                pilot.id,
                pilot.title,
                pilot.status.value,
                workspaces.pilot_progress(pilot),
                pilot.lead_city.name if pilot.lead_city else None,
                year,
                pilot.start_date,
                pilot.end_date,
                _joined(cities),
                pilot.challenge_id,
            )
        )
    return Table(PILOT_HEADERS, rows)


# --- milestones ------------------------------------------------------------------------------------------------

MILESTONE_HEADERS = (
    "pilot_id",
    "pilot",
    "milestone_id",
    "milestone",
    "start_date",
    "due_date",
    "weight",
    "per_city",
    "city",
    "status",
    "completed_on",
    "blocked_reason",
    "overdue",
)


def milestones(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """Every milestone of every pilot: one row for a shared milestone, one row per city for a per-city one. Two
    queries."""
    query = (
        select(Milestone, Pilot.title)
        .join(Pilot, Pilot.id == Milestone.pilot_id)
        .options(selectinload(Milestone.city_statuses))
        .order_by(Pilot.id, Milestone.due_date, Milestone.id)
    )
    if filters.year:
        query = query.where(_year_range(Milestone.due_date, filters.year))
    if filters.city:
        in_city = City.slug == filters.city
        query = query.where(
            or_(
                and_(Milestone.per_city.is_(True), Milestone.city_statuses.any(MilestoneCity.city.has(in_city))),
                and_(
                    Milestone.per_city.is_(False),
                    Pilot.participants.any(
                        and_(
                            Participation.accepted.is_(True),
                            Participation.role != ParticipantRole.OBSERVER,
                            Participation.city.has(in_city),
                        )
                    ),
                ),
            )
        )
    today = workspaces.today()
    rows = []
    for milestone, pilot_title in db.session.execute(query):
        common = (
            milestone.pilot_id,
            pilot_title,
            milestone.id,
            milestone.title,
            milestone.start_date,
            milestone.due_date,
            milestone.weight,
            milestone.per_city,
        )
        if not milestone.per_city:
            targets = [(None, milestone)]
        else:
            statuses = sorted(milestone.city_statuses, key=lambda s: s.city.name.lower())
            targets = [(s.city.name, s) for s in statuses if not filters.city or s.city.slug == filters.city]
        for city, target in targets:
            rows.append(
                (
                    *common,
                    city,
                    target.status.value,
                    target.completed_on,
                    target.blocked_reason,
                    milestone.due_date < today and target.status is not MilestoneStatus.DONE,
                )
            )
    return Table(MILESTONE_HEADERS, rows)


# --- published datasets ----------------------------------------------------------------------------------------

DATASET_HEADERS = (
    "id",
    "pilot_id",
    "pilot",
    "city",
    "city_slug",
    "title_nl",
    "title_en",
    "description_nl",
    "description_en",
    "keywords",
    "theme",
    "access_url",
    "download_url",
    "file_type",
    "licence",
    "conforms_to",
    "frequency",
    "realtime",
    "issued",
    "modified",
    "language",
    "contact_email",
    "last_check",
    "last_check_passed",
)


def datasets(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """The datasets the cities publish in the pilots, with their DCAT-AP fields and their latest conformance
    check. One query."""
    latest_check = workspaces.latest_check_id()
    query = (
        select(PublishedDataset, DatasetCheck, Pilot.title)
        .join(Pilot, Pilot.id == PublishedDataset.pilot_id)
        .outerjoin(DatasetCheck, DatasetCheck.id == latest_check)
        .order_by(PublishedDataset.id)
    )
    if filters.year:
        query = query.where(_year_range(PublishedDataset.issued, filters.year))
    if filters.city:
        query = query.where(PublishedDataset.city.has(City.slug == filters.city))
    rows = [
        (
            dataset.id,
            dataset.pilot_id,
            pilot_title,
            dataset.city.name,
            dataset.city.slug,
            dataset.title_nl,
            dataset.title_en,
            dataset.description_nl,
            dataset.description_en,
            dataset.keywords,
            dataset.theme,
            dataset.access_url,
            dataset.download_url,
            dataset.file_type,
            dataset.licence,
            dataset.conforms_to,
            dataset.frequency,
            dataset.realtime,
            dataset.issued,
            dataset.modified,
            dataset.language,
            dataset.contact_email,
            check.checked_at if check else None,
            check.passed if check else None,
        )
        for dataset, check, pilot_title in db.session.execute(query)
    ]
    return Table(DATASET_HEADERS, rows)


# --- the cities' open-data status ------------------------------------------------------------------------------

CITY_STATUS_HEADERS = (
    "city",
    "city_slug",
    "section",
    "principle",
    "year",
    "domain",
    "status",
    "score",
    "note",
    "updated",
)


def city_status(user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """Each city's status on the principles of the open-data charter (section ``charter``), then its maturity
    self-assessment scores per year and domain (section ``maturity``). Two queries. Cities are listed
    alphabetically: the platform never ranks them on these."""
    charter_query = select(
        City.name, City.slug, CharterStatus.principle, CharterStatus.status, CharterStatus.note, CharterStatus.updated_at
    ).join(City, City.id == CharterStatus.city_id)
    maturity_query = (
        select(
            City.name,
            City.slug,
            MaturityAssessment.year,
            MaturityScore.domain,
            MaturityScore.score,
            MaturityScore.note,
            MaturityAssessment.updated_at,
        )
        .select_from(MaturityScore)
        .join(MaturityAssessment, MaturityAssessment.id == MaturityScore.assessment_id)
        .join(City, City.id == MaturityAssessment.city_id)
    )
    if filters.city:
        charter_query = charter_query.where(City.slug == filters.city)
        maturity_query = maturity_query.where(City.slug == filters.city)
    if filters.year:
        maturity_query = maturity_query.where(MaturityAssessment.year == filters.year)
    domains = {domain: n for n, domain in enumerate(MATURITY_DOMAINS)}
    keyed: list[tuple[tuple[Any, ...], tuple[Any, ...]]] = []
    for name, slug, principle, status, note, updated in db.session.execute(charter_query):
        keyed.append(
            (
                (name.lower(), slug, 0, 0, principle),
                (name, slug, "charter", principle, None, None, status.value, None, note, updated),
            )
        )
    for name, slug, year, domain, score, note, updated in db.session.execute(maturity_query):
        order = domains.get(domain, len(domains))
        keyed.append(
            ((name.lower(), slug, 1, year, order), (name, slug, "maturity", None, year, domain, None, score, note, updated))
        )
    keyed.sort(key=lambda item: item[0])
    return Table(CITY_STATUS_HEADERS, [row for _, row in keyed])


# --- the list of exports ---------------------------------------------------------------------------------------

#: The exports in the order the page lists them: name (in the URL and the file name) → the function.
TABLES: dict[str, Callable[[User, ExportFilters, str], Table]] = {
    "challenges": challenges,
    "ballots": ballots,
    "results": results,
    "pilots": pilots,
    "milestones": milestones,
    "datasets": datasets,
    "city-status": city_status,
}


#: The column keys of each table, in its order.
HEADERS: dict[str, tuple[str, ...]] = {
    "challenges": CHALLENGE_HEADERS,
    "ballots": BALLOT_HEADERS,
    "results": RESULT_HEADERS,
    "pilots": PILOT_HEADERS,
    "milestones": MILESTONE_HEADERS,
    "datasets": DATASET_HEADERS,
    "city-status": CITY_STATUS_HEADERS,
}


def export(name: str, user: User, filters: ExportFilters = NO_FILTERS, locale: str = "nl") -> Table:
    """The table called ``name``; KeyError for an unknown name."""
    return TABLES[name](user, filters, locale)


# --- the data dictionary ---------------------------------------------------------------------------------------


class Column(NamedTuple):
    """One column of an export: its stable key (the header of the CSV for data tools), the label the files for
    people show in the reader's language, and what it means in plain words."""

    key: str
    label: Any  # a lazy string: rendered in the reader's language when it is read
    meaning: Any


_CITY_NAME = _l("City")
_CITY_SLUG = (_l("City code"), _l("The city's short name in the platform's web addresses, e.g. gent."))
_ROUND_ID = (_l("Round number"), _l("The voting round's number on the platform."))
_ROUND = (_l("Round"), _l("The voting round's title."))
_CHALLENGE_ID = (_l("Challenge number"), _l("The challenge's number on the platform."))
_PILOT_ID = (_l("Pilot number"), _l("The pilot's number on the platform."))

#: For every table (the keys of ``TABLES``), every column key → its label and its meaning. One mapping, so that a
#: column's name and explanation are written once, for the files, the workbook's second sheet and the dictionary page.
COLUMNS: dict[str, dict[str, tuple[Any, Any]]] = {
    "challenges": {
        "id": _CHALLENGE_ID,
        "title": (_l("Title"), _l("The challenge's title.")),
        "summary": (_l("Summary"), _l("The challenge's short description.")),
        "year": (_l("Year"), _l("The year the challenge was proposed for.")),
        "theme": (_l("Theme"), _l("The theme code of the EU data theme vocabulary, e.g. TRAN for transport.")),
        "city": (_CITY_NAME, _l("The city that proposes the challenge.")),
        "city_slug": _CITY_SLUG,
        "status": (
            _l("Status"),
            _l(
                "Where the challenge stands, as a code: draft, submitted, withdrawn, eligible, ineligible, selected or"
                " not_selected."
            ),
        ),
        "datasets": (_l("Datasets"), _l("How many candidate datasets the challenge lists.")),
        "cosponsor_count": (_l("Co-sponsors (number)"), _l("How many other cities co-sponsor the challenge.")),
        "cosponsors": (_l("Co-sponsors"), _l("The co-sponsoring cities, separated by semicolons.")),
        "submitted": (_l("Submitted"), _l("When the challenge was submitted (Brussels time); empty for a draft.")),
        "created": (_l("Created"), _l("When the challenge was created (Brussels time).")),
    },
    "ballots": {
        "round_id": _ROUND_ID,
        "round": _ROUND,
        "year": (_l("Year"), _l("The round's year.")),
        "city": (_CITY_NAME, _l("The city that cast the ballot.")),
        "city_slug": _CITY_SLUG,
        "challenge_id": _CHALLENGE_ID,
        "challenge": (_l("Challenge"), _l("The title of the challenge scored.")),
        "criterion_key": (_l("Criterion code"), _l("The criterion's short code, the same in every language.")),
        "criterion": (_l("Criterion"), _l("The criterion's name in your language.")),
        "score": (_l("Score"), _l("The score the city gave the challenge on this criterion.")),
        "submitted": (_l("Submitted"), _l("When the city submitted its ballot (Brussels time).")),
    },
    "results": {
        "round_id": _ROUND_ID,
        "round": _ROUND,
        "year": (_l("Year"), _l("The round's year.")),
        "rank": (_l("Rank"), _l("The challenge's place in the ranking; empty when too few cities scored it.")),
        "challenge_id": _CHALLENGE_ID,
        "challenge": (_l("Challenge"), _l("The challenge's title.")),
        "proposed_by": (_l("Proposed by"), _l("The city that proposed the challenge.")),
        "score": (_l("Score"), _l("The challenge's overall score in the ranking, between 0 and 1; higher is better.")),
        "cities_scored": (_l("Cities that scored"), _l("How many cities scored the challenge.")),
        "selected": (_l("Selected"), _l("Whether the ranking selected the challenge for a pilot.")),
        "confirmed": (_l("Confirmed"), _l("Whether the steering committee confirmed the selection.")),
    },
    "pilots": {
        "id": _PILOT_ID,
        "title": (_l("Title"), _l("The pilot's title.")),
        "status": (_l("Status"), _l("Where the pilot stands, as a code: planned, active, completed or cancelled.")),
        "progress_percent": (
            _l("Progress (percent)"),
            _l("How far the pilot is, from 0 to 100: its milestones done, each counted with its weight."),
        ),
        "lead_city": (_l("Lead city"), _l("The city that leads the pilot.")),
        "year": (_l("Year"), _l("The year of the voting round that chose the pilot.")),
        "start_date": (_l("Start date"), _l("The day the pilot starts.")),
        "end_date": (_l("End date"), _l("The day the pilot ends.")),
        "cities": (_l("Cities"), _l("The cities taking part (observers left out), separated by semicolons.")),
        "challenge_id": _CHALLENGE_ID,
    },
    "milestones": {
        "pilot_id": _PILOT_ID,
        "pilot": (_l("Pilot"), _l("The pilot's title.")),
        "milestone_id": (_l("Milestone number"), _l("The milestone's number on the platform.")),
        "milestone": (_l("Milestone"), _l("The milestone's title.")),
        "start_date": (_l("Start date"), _l("The day work on the milestone starts.")),
        "due_date": (_l("Due date"), _l("The day the milestone is due.")),
        "weight": (_l("Weight"), _l("How much the milestone counts in the pilot's progress.")),
        "per_city": (_l("Per city"), _l("Whether each city completes the milestone on its own (one row per city).")),
        "city": (_CITY_NAME, _l("The city of this row, for a per-city milestone; empty for a shared one.")),
        "status": (_l("Status"), _l("Where the milestone stands, as a code: planned, in_progress, done or blocked.")),
        "completed_on": (_l("Completed on"), _l("The day the milestone was done.")),
        "blocked_reason": (_l("Reason blocked"), _l("Why the milestone is blocked.")),
        "overdue": (_l("Overdue"), _l("Whether the due date has passed and the milestone is not done.")),
    },
    "datasets": {
        "id": (_l("Dataset number"), _l("The published dataset's number on the platform.")),
        "pilot_id": _PILOT_ID,
        "pilot": (_l("Pilot"), _l("The title of the pilot the dataset was published in.")),
        "city": (_CITY_NAME, _l("The city that publishes the dataset.")),
        "city_slug": _CITY_SLUG,
        "title_nl": (_l("Title (Dutch)"), _l("The dataset's title in Dutch.")),
        "title_en": (_l("Title (English)"), _l("The dataset's title in English.")),
        "description_nl": (_l("Description (Dutch)"), _l("The dataset's description in Dutch.")),
        "description_en": (_l("Description (English)"), _l("The dataset's description in English.")),
        "keywords": (_l("Keywords"), _l("The dataset's keywords, separated by commas.")),
        "theme": (_l("Theme"), _l("The theme code of the EU data theme vocabulary, e.g. TRAN for transport.")),
        "access_url": (_l("Access address"), _l("The web address where the dataset can be consulted.")),
        "download_url": (_l("Download address"), _l("The web address of the file itself, if there is one.")),
        "file_type": (_l("File type"), _l("The file format, e.g. CSV or JSON.")),
        "licence": (_l("Licence"), _l("The web address of the licence the dataset is published under.")),
        "conforms_to": (_l("Conforms to"), _l("The standard or data model the dataset follows.")),
        "frequency": (_l("Update frequency"), _l("How often the dataset is updated, as a code of the EU frequency vocabulary.")),
        "realtime": (_l("Real-time"), _l("Whether the dataset is updated continuously.")),
        "issued": (_l("Issued"), _l("The day the dataset was first published.")),
        "modified": (_l("Modified"), _l("When the dataset was last changed (Brussels time).")),
        "language": (_l("Language"), _l("The language of the dataset's contents.")),
        "contact_email": (_l("Contact e-mail"), _l("Where to write with questions about the dataset.")),
        "last_check": (_l("Last check"), _l("When the platform last checked the dataset's conformance (Brussels time).")),
        "last_check_passed": (_l("Last check passed"), _l("Whether the dataset passed that check.")),
    },
    "city-status": {
        "city": (_CITY_NAME, _l("The city.")),
        "city_slug": _CITY_SLUG,
        "section": (
            _l("Section"),
            _l("charter for a principle of the open-data charter, maturity for a self-assessment score."),
        ),
        "principle": (_l("Principle"), _l("The number of the charter's principle (charter rows only).")),
        "year": (_l("Year"), _l("The year of the self-assessment (maturity rows only).")),
        "domain": (_l("Domain"), _l("The domain of the self-assessment (maturity rows only).")),
        "status": (
            _l("Status"),
            _l("How far the city is with the principle, as a code: adopted, partly or not_yet (charter rows only)."),
        ),
        "score": (_l("Score"), _l("The city's self-assessed score in the domain (maturity rows only).")),
        "note": (_l("Note"), _l("The city's own note.")),
        "updated": (_l("Updated"), _l("When the row was last changed (Brussels time).")),
    },
}


def dictionary(name: str) -> list[Column]:
    """The columns of the table called ``name``, in the order of its headers; KeyError for an unknown name."""
    columns = COLUMNS[name]
    return [Column(key, *columns[key]) for key in HEADERS[name]]
