"""The programme dashboard: every figure against hand-computed values on a small world, the filters, who sees
which panel, the CSV downloads, a number of statements that does not grow with the data, and no ranking of cities.

The world (built by :func:`build_world`; "today" is :data:`ON` in the service tests):

- cities Aalst, Brugge, Gent, Leuven (active) and Oostende (no longer taking part);
- proposed challenges: 2024 Gent TRAN + ENVI, Leuven TRAN; 2025 Leuven TRAN, Brugge ENER (plus a Gent draft and an
  Aalst withdrawn one, which do not count);
- rounds: 2024 (published), 2025 (voting open);
- pilots: P1 "Realtime parkeerdata" (2024 round, active; Gent published, Leuven publishing, Brugge observer
  interested, Aalst asked to join), P2 "Fietstellingen" (no round, started 2025, planned; Leuven committed, Gent
  interested), P3 "Afgevoerd" (2024 round, cancelled; Aalst committed), P4 "=SUM(1+1) zonder ronde" (no round, no
  start, completed);
- milestones: P1: M1 shared done (due 2024-03-31, weight 1), M2 per city, Gent done, Leuven not (due 2024-06-30,
  weight 3), M3 shared in progress (due next year, weight 2) → 42%; P2: M4 per city, both done (due 2025-01-31),
  M5 shared blocked (due 2025-05-31) → 50%; P3: M6 shared planned (due 2024-05-01); P4 none → 100%;
- datasets: D1 Gent 2024-03-15 (fail, then pass: passes), D2 Gent 2024-11-20 (pass, then fail: fails), D3 Leuven
  2025-02-10 (pass on 03-01; a fail dated 02-15 stored later: passes), D4 Leuven without issue date, registered
  2025-06-05, D5 Brugge 2025-02-20 (both never checked).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from pilots.models import (
    Challenge,
    ChallengeStatus,
    City,
    CityRole,
    DatasetCheck,
    MaturityAssessment,
    MaturityScore,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PublishedDataset,
    Round,
    RoundPhase,
    Stage,
    User,
)
from pilots.models.city_status import MATURITY_DOMAINS
from pilots.services import dashboard as service
from pilots.services import workspaces
from pilots.services.dashboard import Filters
from pilots.services.workspaces import MilestoneData, PilotData
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests import factories
from tests.conftest import count_queries

ON = date(2025, 7, 1)  # "today" for the service tests: after every past due date of the world, before M3's
TODAY = workspaces.today()
CITIES = ("aalst", "brugge", "gent", "leuven", "oostende")
COMMITTEE_CSV = ("conformance", "milestones")
PUBLIC_CSV = ("challenges", "pilots", "stages", "datasets")


@pytest.fixture
def people(make_user, in_app):
    ids = {
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True, locale="en"),
        "admin": make_user("admin@example.org", name="Ada Admin", is_admin=True, locale="en"),
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
        "nobody": make_user("nobody@example.org", name="No City", locale="en"),
    }
    with in_app() as session:
        for slug in CITIES:
            ids[f"{slug}_city"] = factories.city(slug).id
        session.get(City, ids["oostende_city"]).active = False
        session.commit()
    return ids


@dataclass
class World:
    pilots: dict[str, int] = field(default_factory=dict)
    milestones: dict[str, int] = field(default_factory=dict)
    datasets: dict[str, int] = field(default_factory=dict)


def _challenge(session, city_id: int, year: int, theme: str, status: ChallengeStatus, title: str) -> None:
    session.add(Challenge(title=title, summary="x", theme=theme, year=year, status=status, city_id=city_id))


def _dataset(session, pilot_id: int, city_id: int, title: str, issued: date | None, **fields) -> int:
    dataset = PublishedDataset(
        pilot_id=pilot_id,
        city_id=city_id,
        title_nl=title,
        contact_email="opendata@example.org",
        theme="TRAN",
        access_url="https://data.example.org/" + title.lower().replace(" ", "-"),
        file_type="CSV",
        licence=LICENCE_MODELLICENTIE,
        issued=issued,
        **fields,
    )
    session.add(dataset)
    session.flush()
    return dataset.id


def _check(session, dataset_id: int, when: date, passed: bool) -> None:
    at = datetime(when.year, when.month, when.day, 9, 30, tzinfo=UTC)
    session.add(DatasetCheck(dataset_id=dataset_id, checked_at=at, passed=passed, report={"passed": passed}))


def build_world(in_app, people, copy: int = 0) -> World:
    """The world of the module docstring; ``copy`` > 0 adds the same again under other titles (for the query count)."""
    suffix = f" {copy}" if copy else ""
    world = World()
    ids = people
    with in_app() as session:
        steering = session.get(User, ids["steering"])
        for city, year, theme, status in (
            ("gent", 2024, "TRAN", ChallengeStatus.SUBMITTED),
            ("gent", 2024, "ENVI", ChallengeStatus.ELIGIBLE),
            ("leuven", 2024, "TRAN", ChallengeStatus.SELECTED),
            ("leuven", 2025, "TRAN", ChallengeStatus.SUBMITTED),
            ("brugge", 2025, "ENER", ChallengeStatus.NOT_SELECTED),
            ("gent", 2025, "TRAN", ChallengeStatus.DRAFT),
            ("aalst", 2025, "ENVI", ChallengeStatus.WITHDRAWN),
        ):
            _challenge(session, ids[f"{city}_city"], year, theme, status, f"{city} {year} {theme}{suffix}")
        rounds = {}
        for year, phase in ((2024, RoundPhase.PUBLISHED), (2025, RoundPhase.VOTING_OPEN)):
            round_ = Round(title=f"Round {year}{suffix}", year=year, phase=phase)
            session.add(round_)
            session.flush()
            rounds[year] = round_.id
        session.commit()

        def pilot(key: str, title: str, lead: str | None, status: PilotStatus, start: date | None, round_year: int | None) -> int:
            created = workspaces.create_pilot(
                steering, PilotData(title + suffix, "", ids[f"{lead}_city"] if lead else None, status, start, None)
            )
            if round_year:
                created.round_id = rounds[round_year]
                session.commit()
            world.pilots[key] = created.id
            return created.id

        def participation(pilot_id: int, city: str) -> int:
            return session.scalar(
                select(Participation.id).where(Participation.pilot_id == pilot_id, Participation.city_id == ids[f"{city}_city"])
            )

        def milestone(key: str, pilot_id: int, title: str, due: date, **fields) -> int:
            world.milestones[key] = workspaces.add_milestone(steering, pilot_id, MilestoneData(title, due, **fields)).id
            return world.milestones[key]

        # P1: the 2024 round's parking pilot.
        p1 = pilot("P1", "Realtime parkeerdata", "gent", PilotStatus.ACTIVE, date(2024, 2, 1), 2024)
        workspaces.invite_city(steering, p1, ids["leuven_city"], ParticipantRole.PARTICIPANT)
        workspaces.invite_city(steering, p1, ids["brugge_city"], ParticipantRole.OBSERVER)
        session.add(Participation(pilot_id=p1, city_id=ids["aalst_city"], accepted=False, stage=Stage.INTERESTED))
        session.commit()
        workspaces.set_stage(steering, p1, participation(p1, "gent"), Stage.PUBLISHED)
        workspaces.set_stage(steering, p1, participation(p1, "leuven"), Stage.PUBLISHING)
        m1 = milestone("M1", p1, "Datamodel", date(2024, 3, 31))
        m2 = milestone("M2", p1, "Elke stad publiceert", date(2024, 6, 30), per_city=True, weight=3)
        m3 = milestone("M3", p1, "Historiek", TODAY + timedelta(days=400), weight=2)
        workspaces.set_milestone_status(steering, p1, m1, MilestoneStatus.DONE, completed_on=date(2024, 3, 20))
        workspaces.set_milestone_status(
            steering, p1, m2, MilestoneStatus.DONE, city_id=ids["gent_city"], completed_on=date(2024, 6, 1)
        )
        workspaces.set_milestone_status(steering, p1, m3, MilestoneStatus.IN_PROGRESS)
        # P2: no round, started in 2025.
        p2 = pilot("P2", "Fietstellingen", "leuven", PilotStatus.PLANNED, date(2025, 2, 1), None)
        workspaces.invite_city(steering, p2, ids["gent_city"], ParticipantRole.PARTICIPANT)
        m4 = milestone("M4", p2, "Tellers geplaatst", date(2025, 1, 31), per_city=True)
        m5 = milestone("M5", p2, "Gedeeld model", date(2025, 5, 31))
        for city in ("leuven", "gent"):
            workspaces.set_milestone_status(
                steering, p2, m4, MilestoneStatus.DONE, city_id=ids[f"{city}_city"], completed_on=date(2025, 1, 20)
            )
        workspaces.set_milestone_status(steering, p2, m5, MilestoneStatus.BLOCKED, reason="Wacht op de leverancier.")
        # P3: cancelled; its overdue milestone is nobody's concern any more.
        p3 = pilot("P3", "Afgevoerd", "aalst", PilotStatus.CANCELLED, date(2024, 3, 1), 2024)
        milestone("M6", p3, "Nooit gedaan", date(2024, 5, 1))
        # P4: no round, no start, completed; its title looks like a spreadsheet formula.
        pilot("P4", "=SUM(1+1) zonder ronde", None, PilotStatus.COMPLETED, None, None)
        # Datasets and their checks.
        d1 = _dataset(session, p1, ids["gent_city"], f"Parkeren Gent{suffix}", date(2024, 3, 15))
        d2 = _dataset(session, p1, ids["gent_city"], f"Garages Gent{suffix}", date(2024, 11, 20))
        d3 = _dataset(session, p1, ids["leuven_city"], f"Parkeren Leuven{suffix}", date(2025, 2, 10))
        d4 = _dataset(
            session, p2, ids["leuven_city"], f"Fietsen Leuven{suffix}", None, created_at=datetime(2025, 6, 5, 10, tzinfo=UTC)
        )
        d5 = _dataset(session, p1, ids["brugge_city"], f"Parkeren Brugge{suffix}", date(2025, 2, 20))
        world.datasets = {"D1": d1, "D2": d2, "D3": d3, "D4": d4, "D5": d5}
        _check(session, d1, date(2024, 4, 1), False)
        _check(session, d1, date(2024, 5, 1), True)
        _check(session, d2, date(2024, 12, 1), True)
        _check(session, d2, date(2025, 1, 10), False)
        _check(session, d3, date(2025, 3, 1), True)
        session.flush()
        _check(session, d3, date(2025, 2, 15), False)  # stored later, but older: not the last check
        session.commit()
    return world


@pytest.fixture
def world(in_app, people) -> World:
    return build_world(in_app, people)


def signed_in(client, email):
    client.logout()
    assert client.login(email).status_code == 302
    return client


def figures(page: str) -> dict[str, str]:
    """The headline figures of a page: ``data-figure`` name → ``data-value``."""
    return dict(re.findall(r'data-figure="([^"]+)" data-value="([^"]*)"', page))


def csv_table(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def figure_data(page: str, name: str) -> dict:
    found = re.search(rf'<script type="application/json" id="{name}-figure">(.*?)</script>', page, re.S)
    assert found, name
    return json.loads(found.group(1))


# --- the figures against hand-computed values ------------------------------------------------------------------


def test_headline_figures(app, world):
    with app.app_context():
        figures_ = service.headline(Filters(), ON)
        assert (figures_.year, figures_.cities_active) == (2025, 4)  # Oostende no longer takes part
        assert (figures_.challenges_in_year, figures_.challenges_total) == (2, 5)  # no draft, no withdrawn one
        assert (figures_.rounds, figures_.rounds_published) == (2, 1)
        assert figures_.pilots_by_status == {
            PilotStatus.PLANNED: 1,
            PilotStatus.ACTIVE: 1,
            PilotStatus.COMPLETED: 1,
            PilotStatus.CANCELLED: 1,
        }
        assert figures_.pilots == 4
        assert (figures_.datasets_published, figures_.datasets_checked, figures_.datasets_passing) == (5, 3, 2)
        assert figures_.datasets_unchecked == 2
        assert figures_.pass_share == pytest.approx(2 / 3)


def test_challenges_per_theme_and_year(app, world):
    with app.app_context():
        assert [(r.year, r.theme, r.challenges) for r in service.challenges_per_theme(Filters())] == [
            (2024, "ENVI", 1),
            (2024, "TRAN", 2),
            (2025, "ENER", 1),
            (2025, "TRAN", 1),
        ]


def test_pilot_progress_is_computed_in_sql_as_on_the_pilot_page(app, world):
    with app.app_context():
        rows = service.pilot_progress(Filters(), ON)
        assert [(r.title, r.year, r.status, r.lead_city, r.cities, r.milestones, r.overdue, r.progress) for r in rows] == [
            ("Realtime parkeerdata", 2024, PilotStatus.ACTIVE, "Gent", 3, 3, 1, 42),  # (1 + 3 × ½ + 2 × 0) / 6
            ("Afgevoerd", 2024, PilotStatus.CANCELLED, "Aalst", 1, 1, 0, 0),  # cancelled: nothing overdue
            ("Fietstellingen", 2025, PilotStatus.PLANNED, "Leuven", 2, 2, 1, 50),  # (1 × 1 + 1 × 0) / 2
            ("=SUM(1+1) zonder ronde", None, PilotStatus.COMPLETED, None, 0, 0, 0, 100),
        ]
        # The same as the pilot page's own computation.
        for row in rows:
            assert row.progress == workspaces.pilot_progress(workspaces.get_pilot(row.id))


def test_city_by_pilot_stage_matrix(app, world):
    with app.app_context():
        matrix = service.stage_matrix(Filters())
        assert [title for _id, title in matrix.pilots] == ["Realtime parkeerdata", "Afgevoerd", "Fietstellingen"]
        assert [(c.name, c.stages) for c in matrix.cities] == [
            ("Aalst", (None, Stage.COMMITTED, None)),  # asked to join P1 but not accepted: not shown there
            ("Brugge", (Stage.INTERESTED, None, None)),
            ("Gent", (Stage.PUBLISHED, None, Stage.INTERESTED)),
            ("Leuven", (Stage.PUBLISHING, None, Stage.COMMITTED)),
        ]


def test_datasets_published_over_time_per_city(app, world):
    with app.app_context():
        series = service.datasets_over_time(Filters(), ON)
        assert not series.by_month and series.periods == ("2024", "2025")
        assert [(p.name, p.period, p.published, p.cumulative) for p in series.points] == [
            ("Brugge", "2025", 1, 1),
            ("Gent", "2024", 2, 2),
            ("Leuven", "2025", 2, 2),  # D4 has no issue date: dated by its registration (June 2025)
        ]
        series = service.datasets_over_time(Filters(year=2025), ON)
        assert series.by_month and series.periods == tuple(f"2025-{m:02d}" for m in range(1, 8))  # up to "today"
        assert [(p.name, p.period, p.published, p.cumulative) for p in series.points] == [
            ("Brugge", "2025-02", 1, 1),
            ("Gent", "before", 2, 2),  # published before 2025: the running total it starts the year with
            ("Leuven", "2025-02", 1, 1),
            ("Leuven", "2025-06", 1, 2),
        ]
        series = service.datasets_over_time(Filters(year=2024), ON)
        assert len(series.periods) == 12
        assert [(p.name, p.period, p.published, p.cumulative) for p in series.points] == [
            ("Gent", "2024-03", 1, 1),
            ("Gent", "2024-11", 1, 2),
        ]


def test_conformance_per_city_uses_each_datasets_last_check(app, world):
    with app.app_context():
        rows = service.conformance_per_city(Filters())
        assert [(r.name, r.published, r.checked, r.passing, r.failing, r.unchecked) for r in rows] == [
            ("Brugge", 1, 0, 0, 0, 1),
            ("Gent", 2, 2, 1, 1, 0),  # D1 passes now, D2 no longer does
            ("Leuven", 2, 1, 1, 0, 1),  # D3's last check (by date) passed
        ]
        assert [r.pass_share for r in rows] == [None, 0.5, 1.0]


def test_milestone_timeline_marks_the_overdue_ones(app, world):
    with app.app_context():
        rows = service.milestone_timeline(Filters(), ON)
        assert [(r.title, r.pilot, r.progress, r.overdue, r.open_cities) for r in rows] == [
            ("Datamodel", "Realtime parkeerdata", 1.0, False, ()),
            ("Elke stad publiceert", "Realtime parkeerdata", 0.5, True, ("Leuven",)),
            ("Tellers geplaatst", "Fietstellingen", 1.0, False, ()),
            ("Gedeeld model", "Fietstellingen", 0.0, True, ()),
            ("Historiek", "Realtime parkeerdata", 0.0, False, ()),
        ]  # the cancelled pilot's milestone is left out
        assert rows[3].status is MilestoneStatus.BLOCKED
        # The same as the pilot page's own computation.
        for row in rows:
            pilot = workspaces.get_pilot(row.pilot_id)
            milestone = next(m for m in pilot.milestones if m.id == row.id)
            assert row.progress == workspaces.milestone_progress(milestone)
            assert row.overdue == workspaces.is_overdue(milestone, ON)


def test_the_dashboard_timeline_shows_what_is_current(app, world):
    """Without a year filter: every milestone not done, and the finished ones due in the past year; a year filter
    shows all of that year's; the timeline holds at most TIMELINE_LIMIT, those due nearest to today."""
    with app.app_context():
        later = date(2025, 4, 1)  # Datamodel (done, due 2024-03-31) is more than a year old; Tellers (2025-01-31) is not
        current = service.milestone_timeline(Filters(), later, current=True)
        assert [r.title for r in current] == ["Elke stad publiceert", "Tellers geplaatst", "Gedeeld model", "Historiek"]
        assert [r.title for r in service.milestone_timeline(Filters(year=2024), later, current=True)] == [
            "Datamodel",
            "Elke stad publiceert",
        ]
        board = service.dashboard(Filters(), committee=True, on=later)
        assert [r.title for r in board.milestones] == [r.title for r in current] and board.milestones_total == 4
        assert [r.title for r in board.overdue] == ["Elke stad publiceert"]  # Gedeeld model is due 2025-05-31
        nearest = service.nearest(current, date(2025, 2, 1), limit=2)
        assert [r.title for r in nearest] == ["Tellers geplaatst", "Gedeeld model"]  # due 2025-01-31 and 2025-05-31


# --- filters ---------------------------------------------------------------------------------------------------


def test_the_year_filter(app, world):
    with app.app_context():
        figures_ = service.headline(Filters(year=2024), ON)
        assert (figures_.year, figures_.challenges_in_year, figures_.challenges_total) == (2024, 3, 5)
        assert (figures_.rounds, figures_.rounds_published) == (1, 1)
        assert figures_.pilots_by_status[PilotStatus.ACTIVE] == 1 and figures_.pilots_by_status[PilotStatus.CANCELLED] == 1
        assert figures_.pilots == 2  # P1 and P3, of the 2024 round
        assert (figures_.datasets_published, figures_.datasets_checked, figures_.datasets_passing) == (2, 2, 1)
        figures_ = service.headline(Filters(year=2025), ON)
        assert (figures_.challenges_in_year, figures_.rounds, figures_.rounds_published) == (2, 1, 0)
        assert figures_.pilots_by_status[PilotStatus.PLANNED] == figures_.pilots == 1  # P2 started in 2025, no round
        assert (figures_.datasets_published, figures_.datasets_checked, figures_.datasets_passing) == (3, 1, 1)
        assert [(r.theme, r.challenges) for r in service.challenges_per_theme(Filters(year=2025))] == [("ENER", 1), ("TRAN", 1)]
        assert [r.title for r in service.pilot_progress(Filters(year=2025), ON)] == ["Fietstellingen"]
        assert [(c.name, c.stages) for c in service.stage_matrix(Filters(year=2025)).cities] == [
            ("Gent", (Stage.INTERESTED,)),
            ("Leuven", (Stage.COMMITTED,)),
        ]
        assert [(r.name, r.published) for r in service.conformance_per_city(Filters(year=2025))] == [("Brugge", 1), ("Leuven", 2)]
        assert [r.title for r in service.milestone_timeline(Filters(year=2024), ON)] == ["Datamodel", "Elke stad publiceert"]


def test_the_city_filter(app, world):
    with app.app_context():
        figures_ = service.headline(Filters(city="gent"), ON)
        assert figures_.cities_active == 4  # programme-wide
        assert (figures_.challenges_in_year, figures_.challenges_total) == (0, 2)  # its 2025 draft does not count
        assert figures_.rounds == 2  # programme-wide
        assert figures_.pilots == 2 and figures_.pilots_by_status[PilotStatus.ACTIVE] == 1
        assert (figures_.datasets_published, figures_.datasets_checked, figures_.datasets_passing) == (2, 2, 1)
        assert [r.title for r in service.pilot_progress(Filters(city="brugge"), ON)] == ["Realtime parkeerdata"]  # observer
        assert [r.title for r in service.pilot_progress(Filters(city="aalst"), ON)] == ["Afgevoerd"]  # not yet accepted in P1
        assert [(c.name, c.stages) for c in service.stage_matrix(Filters(city="gent")).cities] == [
            ("Gent", (Stage.PUBLISHED, Stage.INTERESTED))
        ]
        assert [(p.name, p.period, p.cumulative) for p in service.datasets_over_time(Filters(city="leuven"), ON).points] == [
            ("Leuven", "2025", 2)
        ]
        assert [r.title for r in service.milestone_timeline(Filters(city="brugge"), ON)] == [
            "Datamodel",
            "Elke stad publiceert",
            "Historiek",
        ]
        both = service.headline(Filters(year=2025, city="leuven"), ON)
        assert (both.challenges_in_year, both.pilots, both.datasets_published, both.datasets_checked) == (1, 1, 2, 1)
        nowhere = service.dashboard(Filters(city="nowhere"), committee=True, on=ON)
        assert nowhere.headline.pilots == nowhere.headline.datasets_published == nowhere.headline.challenges_total == 0
        assert nowhere.pilots == () and nowhere.stages.empty and nowhere.conformance == () and nowhere.milestones == ()


def test_the_page_shows_the_figures_and_applies_the_filters(client, world):
    signed_in(client, "steering@example.org")
    page = client.get("/dashboard?year=2025")
    assert page.status_code == 200
    assert figures(page.text) == {
        "cities-active": "4",
        "challenges-in-year": "2",
        "challenges-total": "5",
        "rounds": "1",
        "rounds-published": "0",
        "pilots": "1",
        "pilots-planned": "1",
        "pilots-active": "0",
        "pilots-completed": "0",
        "pilots-cancelled": "0",
        "datasets": "3",
        "pass-share": "1.0000",
        "datasets-checked": "1",
        "overdue": "1",  # M5, due in 2025
    }
    assert "Challenges proposed in 2025" in page.text and "Datasets published in 2025" in page.text
    everything = client.get("/dashboard").text
    found = figures(everything)
    assert (found["challenges-total"], found["rounds"], found["pilots"], found["datasets"]) == ("5", "2", "4", "5")
    assert (found["pass-share"], found["datasets-checked"], found["overdue"]) == ("0.6667", "3", "2")
    assert "67%" in everything and "2 of 3 checked datasets" in everything and "2 not checked yet" in everything
    assert re.findall(r'data-progress="(\d+)"', everything) == ["42", "0", "50", "100"]
    gent = figures(client.get("/dashboard?year=2024&city=gent").text)
    assert (gent["challenges-in-year"], gent["pilots"], gent["datasets"], gent["pass-share"]) == ("2", "1", "2", "0.5000")
    # Nonsense is ignored, not an error.
    for query in ("year=abc", "year=99999", "city=nowhere", "city=" + "x" * 500, "year=&city="):
        response = client.get("/dashboard?" + query)
        assert response.status_code == 200, query
        assert figures(response.text)["pilots"] == "4", query
    # The filter form keeps the choice.
    form = client.get("/dashboard?year=2024&city=gent").text
    assert '<option value="2024" selected>' in form and '<option value="gent" selected>' in form
    assert 'href="/dashboard/pilots.csv?year=2024&amp;city=gent"' in form


def test_the_charts_and_their_tables(client, world, people):
    signed_in(client, "steering@example.org")
    page = client.get("/dashboard").text
    for name in PUBLIC_CSV + COMMITTEE_CSV:
        assert f'data-figure-id="{name}-figure"' in page, name
        assert f'id="{name}-table"' in page, name  # the table alternative
        assert f'href="/dashboard/{name}.csv"' in page, name
    themes = figure_data(page, "challenges")
    assert {trace["name"]: trace["y"] for trace in themes["data"]} == {
        "Mobility and transport": [2, 1],
        "Environment": [1, 0],
        "Energy": [0, 1],
    }
    stages = figure_data(page, "stages")["data"][0]
    assert stages["y"] == ["Aalst", "Brugge", "Gent", "Leuven"]
    assert stages["text"][2] == ["Published", "", "Interested"]
    timeline = figure_data(page, "milestones")
    # Today the world's finished milestones are more than a year old: the current timeline leaves them out …
    assert sorted(t["name"] for t in timeline["data"] if t.get("showlegend") is not False) == ["open", "overdue"]
    assert len(timeline["data"][-1]["x"]) == 2  # a cross on each overdue milestone
    # … and a year filter shows all of that year's, finished ones included.
    of_2024 = figure_data(client.get("/dashboard?year=2024").text, "milestones")
    assert sorted(t["name"] for t in of_2024["data"] if t.get("showlegend") is not False) == ["done", "overdue"]
    # The CSP: no inline script or style; the MapLibre marker and plotly's stylesheet are there.
    body = page.split("<main", 1)[1]
    assert "<style" not in page and " style=" not in body
    assert all(m in ("application/json",) for m in re.findall(r'<script type="([^"]+)"', body))
    assert not re.search(r"<script>(?!</script>)", page)
    assert 'id="plotly.js-style-global" class="no-inline-styles"' in page
    assert re.search(r'<template id="[^"]+"></template>', page)


def test_user_text_cannot_break_out_of_the_figure_data(client, world, in_app, people):
    with in_app() as session:
        session.get(Pilot, world.pilots["P2"]).title = "</script><script>alert(1)</script>"
        session.commit()
    signed_in(client, "steering@example.org")
    page = client.get("/dashboard").text
    assert "<script>alert(1)" not in page
    assert figure_data(page, "pilots") is not None


def test_an_empty_programme(client, people):
    signed_in(client, "steering@example.org")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count("Nothing to show for these filters.") == 6
    assert figures(page.text)["pass-share"] == "" and "No dataset checked yet" in page.text
    assert "No milestone is overdue." in page.text


# --- permissions -----------------------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    for url in ("/dashboard", *(f"/dashboard/{name}.csv" for name in PUBLIC_CSV + COMMITTEE_CSV)):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("email", ["gent@example.org", "nobody@example.org", "admin@example.org"])
def test_others_see_the_reduced_dashboard(client, world, email):
    signed_in(client, email)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert figures(page.text)["pilots"] == "4" and figures(page.text)["datasets"] == "5"
    for name in PUBLIC_CSV:
        assert f'data-figure-id="{name}-figure"' in page.text, name
        assert client.get(f"/dashboard/{name}.csv").status_code == 200, name
    for name in COMMITTEE_CSV:
        assert f'data-figure-id="{name}-figure"' not in page.text, name
        assert f"/dashboard/{name}.csv" not in page.text, name
        assert client.get(f"/dashboard/{name}.csv").status_code == 403, name
        assert client.get(f"/dashboard/{name}.csv?year=2025").status_code == 403, name
    assert 'id="committee-panels"' not in page.text and 'data-figure="overdue"' not in page.text
    assert "Steering committee view" not in page.text
    assert "The steering committee also sees conformance per city and the milestone timeline." in page.text


def test_the_steering_committee_sees_everything(client, world):
    signed_in(client, "steering@example.org")
    page = client.get("/dashboard").text
    assert 'id="committee-panels"' in page and "Steering committee view" in page
    assert 'id="conformance-gent"' in page and "Elke stad publiceert" in page and "not done: Leuven" in page
    for name in PUBLIC_CSV + COMMITTEE_CSV:
        assert client.get(f"/dashboard/{name}.csv").status_code == 200, name
    assert client.get("/dashboard/maturity.csv").status_code == 404


# --- CSV -------------------------------------------------------------------------------------------------------


def test_the_csv_downloads(client, world):
    signed_in(client, "steering@example.org")
    assert csv_table(client.get("/dashboard/challenges.csv")) == [
        ["year", "theme", "challenges"],
        ["2024", "ENVI", "1"],
        ["2024", "TRAN", "2"],
        ["2025", "ENER", "1"],
        ["2025", "TRAN", "1"],
    ]
    pilots = csv_table(client.get("/dashboard/pilots.csv"))
    assert pilots[0] == [
        "pilot_id",
        "pilot",
        "year",
        "status",
        "lead_city",
        "cities",
        "milestones",
        "overdue_milestones",
        "progress_percent",
    ]
    assert [row[1:] for row in pilots[1:]] == [
        ["Realtime parkeerdata", "2024", "active", "Gent", "3", "3", "1", "42"],
        ["Afgevoerd", "2024", "cancelled", "Aalst", "1", "1", "0", "0"],
        ["Fietstellingen", "2025", "planned", "Leuven", "2", "2", "1", "50"],
        ["'=SUM(1+1) zonder ronde", "", "completed", "", "0", "0", "0", "100"],  # no formula for the spreadsheet
    ]
    assert csv_table(client.get("/dashboard/stages.csv?city=leuven"))[1:] == [
        ["Leuven", "leuven", str(world.pilots["P1"]), "Realtime parkeerdata", "publishing"],
        ["Leuven", "leuven", str(world.pilots["P2"]), "Fietstellingen", "committed"],
    ]
    assert csv_table(client.get("/dashboard/datasets.csv?year=2025"))[1:] == [
        ["Brugge", "brugge", "2025-02", "1", "1"],
        ["Gent", "gent", "before", "2", "2"],
        ["Leuven", "leuven", "2025-02", "1", "1"],
        ["Leuven", "leuven", "2025-06", "1", "2"],
    ]
    assert csv_table(client.get("/dashboard/conformance.csv")) == [
        ["city", "city_slug", "published", "checked", "passing", "failing", "not_checked", "pass_share"],
        ["Brugge", "brugge", "1", "0", "0", "0", "1", ""],
        ["Gent", "gent", "2", "2", "1", "1", "0", "0.5"],
        ["Leuven", "leuven", "2", "1", "1", "0", "1", "1.0"],
    ]
    milestones = csv_table(client.get("/dashboard/milestones.csv?year=2024"))
    p1 = str(world.pilots["P1"])
    assert milestones[1:] == [
        [
            str(world.milestones["M1"]),
            p1,
            "Realtime parkeerdata",
            "Datamodel",
            "",
            "2024-03-31",
            "false",
            "done",
            "100",
            "false",
            "",
        ],
        [
            str(world.milestones["M2"]),
            p1,
            "Realtime parkeerdata",
            "Elke stad publiceert",
            "",
            "2024-06-30",
            "true",
            "in_progress",
            "50",
            "true",
            "Leuven",
        ],
    ]
    response = client.get("/dashboard/pilots.csv?year=2024&city=gent")
    assert response.headers["Content-Disposition"] == "attachment; filename=dashboard-pilots-2024-gent.csv"


# --- queries ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?year=2025&city=leuven"])
def test_the_number_of_statements_does_not_grow_with_the_data(app, client, in_app, people, query):
    """The same statements for the world and for five times the world."""
    signed_in(client, "steering@example.org")
    counts = []
    for copies in (range(1), range(1, 5)):
        for copy in copies:
            build_world(in_app, people, copy)
        assert client.get("/dashboard" + query).status_code == 200  # warm up
        with count_queries(app) as statements:
            page = client.get("/dashboard" + query)
        assert page.status_code == 200
        counts.append(len(statements))
    assert figures(page.text)["pilots"] == ("20" if not query else "5")
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts
    for name in PUBLIC_CSV + COMMITTEE_CSV:
        with count_queries(app) as statements:
            assert client.get(f"/dashboard/{name}.csv{query}").status_code == 200
        assert len(statements) <= 6, (name, len(statements))


# --- no ranking --------------------------------------------------------------------------------------------------


def test_cities_are_compared_but_never_ranked(app, client, world, in_app, people):
    """Leuven passes every check and assesses itself best, Brugge worst: every per-city list stays alphabetical,
    and nothing on the dashboard reads the maturity self-assessments."""
    with in_app() as session:
        for slug, score in (("leuven", 5), ("brugge", 1), ("gent", 3)):
            assessment = MaturityAssessment(city_id=people[f"{slug}_city"], year=2025)
            assessment.scores = [MaturityScore(domain=domain, score=score) for domain in MATURITY_DOMAINS]
            session.add(assessment)
        session.commit()
    signed_in(client, "steering@example.org")
    with count_queries(app) as statements:
        page = client.get("/dashboard").text
    assert not any("maturity" in statement.lower() for statement in statements)
    assert "maturity" not in page.lower()
    assert "never ranks them" in page
    conformance = re.findall(r'<tr id="conformance-([a-z-]+)">', page)
    assert conformance == ["brugge", "gent", "leuven"]
    assert figure_data(page, "conformance")["data"][0]["y"] == ["Brugge", "Gent", "Leuven"]
    assert figure_data(page, "stages")["data"][0]["y"] == ["Aalst", "Brugge", "Gent", "Leuven"]
    assert [trace["name"] for trace in figure_data(page, "datasets")["data"]] == ["Brugge", "Gent", "Leuven"]
    assert not re.search(r"\brank(ed|ing|s)?\b", page.lower().replace("never ranks them", ""))
