"""Progress reports: what the report says on a chosen date (stages, milestones, datasets, rounds, charter and
self-assessment before and after it), the Markdown download saying the same as the page, who may read them, bad
dates, the query bound, and Dutch and English."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt
from markupsafe import escape

from pilots.models import (
    AuditEvent,
    Ballot,
    BallotEntry,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    CharterLevel,
    CharterStatus,
    City,
    CityRole,
    MaturityAssessment,
    MaturityScore,
    Milestone,
    MilestoneCity,
    MilestoneStatus,
    ParticipantRole,
    Participation,
    Pilot,
    PilotStatus,
    PublishedDataset,
    Round,
    RoundPhase,
    RoundSnapshot,
    Stage,
    StageChange,
)
from pilots.models.city_status import MATURITY_DOMAINS
from pilots.services import reports as service
from pilots.services.errors import ServiceError
from pilots.services.workspaces import today
from pilots.vocabularies import LICENCE_MODELLICENTIE
from pilots.web.reports.views import md_text
from tests import factories
from tests.conftest import count_queries

AS_OF = date(2024, 6, 15)
CITY_URL = f"/reports/cities/gent?date={AS_OF.isoformat()}"
PROGRAMME_URL = f"/reports/programme?date={AS_OF.isoformat()}"
JUSTIFICATION = "Leuven heeft de fietsdata al klaar liggen: zo is er sneller resultaat."


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def shown(text: str) -> str:
    return str(escape(text))


def signed_in(client, email):
    client.logout()
    assert client.login(email).status_code == 302
    return client


@pytest.fixture
def people(make_user, in_app):
    ids = {
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True, locale="en"),
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
        "nobody": make_user("nobody@example.org", name="No City", locale="en"),
    }
    with in_app() as session:
        for slug in ("gent", "leuven", "aalst"):
            ids[f"{slug}_city"] = factories.city(slug).id
        gone = factories.city("oud-stad")
        gone.active = False
        ids["oud_city"] = gone.id
        session.commit()
    return ids


def _participation(city_id: int, role: ParticipantRole, *changes: tuple[Stage, date], accepted: bool = True) -> Participation:
    participation = Participation(city_id=city_id, role=role, accepted=accepted, stage=changes[-1][0])
    for n, (stage, on) in enumerate(changes):
        participation.stage_changes.append(
            StageChange(stage=stage, changed_on=on, changed_at=at(2020, 1, 1) + timedelta(minutes=n))
        )
    return participation


def _dataset(city_id: int, title: str, issued: date | None, created: datetime | None = None) -> PublishedDataset:
    return PublishedDataset(
        city_id=city_id,
        title_nl=title,
        title_en=title.replace("Parkeerbezetting", "Car park occupancy"),
        contact_email="open@example.org",
        theme="TRAN",
        access_url=f"https://data.example/{title.lower().replace(' ', '-')}",
        file_type="CSV",
        licence=LICENCE_MODELLICENTIE,
        issued=issued,
        created_at=created or at(2024, 1, 1),
    )


def _snapshot(ranking: list[tuple[int, float, int, int]], selected: list[int]) -> RoundSnapshot:
    result = {
        "ranking": [{"alternative": str(a), "score": s, "rank": r, "voters": v} for a, s, r, v in ranking],
        "selected": [str(a) for a in selected],
    }
    return RoundSnapshot(document="{}", sha256="0" * 64, result=json.dumps(result))


@pytest.fixture
def world(in_app, people):
    """A hand-built programme around AS_OF (15 June 2024): for each fact one example before and one after the date."""
    gent, leuven, aalst, oud = (people[f"{slug}_city"] for slug in ("gent", "leuven", "aalst", "oud"))
    with in_app() as session:
        # The charter of Gent: 1 saved before; 2 and 3 changed after (the audit log knows what they were); 4 changed
        # after without a trace in the log.
        session.add_all(
            [
                CharterStatus(city_id=gent, principle=1, status=CharterLevel.ADOPTED, note="", updated_at=at(2024, 1, 10)),
                CharterStatus(city_id=gent, principle=2, status=CharterLevel.ADOPTED, note="", updated_at=at(2024, 9, 1)),
                CharterStatus(city_id=gent, principle=3, status=CharterLevel.ADOPTED, note="", updated_at=at(2024, 9, 2)),
                CharterStatus(city_id=gent, principle=4, status=CharterLevel.NOT_YET, note="", updated_at=at(2024, 9, 3)),
                AuditEvent(
                    action="city.charter_updated",
                    object_type="city",
                    object_id=str(gent),
                    created_at=at(2024, 9, 1),
                    details={"principle": 2, "status": {"from": "partly", "to": "adopted"}},
                ),
                AuditEvent(
                    action="city.charter_updated",
                    object_type="city",
                    object_id=str(gent),
                    created_at=at(2024, 9, 2),
                    details={"principle": 3, "status": {"from": None, "to": "adopted"}},
                ),
                AuditEvent(  # before the date: says nothing about the status on it
                    action="city.charter_updated",
                    object_type="city",
                    object_id=str(gent),
                    created_at=at(2024, 1, 10),
                    details={"principle": 1, "status": {"from": "partly", "to": "adopted"}},
                ),
            ]
        )
        # Self-assessments of Gent: 2022 and 2023 count, 2025 is after the date's year.
        for year, score in ((2022, 2), (2023, 3), (2025, 5)):
            assessment = MaturityAssessment(city_id=gent, year=year)
            assessment.scores = [MaturityScore(domain=domain, score=score) for domain in MATURITY_DOMAINS]
            session.add(assessment)

        # The parking pilot, led by Gent; Leuven takes part.
        parking = Pilot(title="Realtime parkeerdata", status=PilotStatus.ACTIVE, lead_city_id=gent)
        parking.participants = [
            _participation(
                gent,
                ParticipantRole.LEAD,
                (Stage.INTERESTED, date(2024, 1, 5)),
                (Stage.COMMITTED, date(2024, 3, 1)),
                (Stage.PUBLISHED, date(2024, 8, 1)),  # after the date
            ),
            _participation(leuven, ParticipantRole.PARTICIPANT, (Stage.INTERESTED, date(2024, 2, 10))),
        ]
        publish = Milestone(title="Elke stad publiceert", due_date=date(2024, 8, 31), per_city=True)
        publish.city_statuses = [
            MilestoneCity(city_id=gent, status=MilestoneStatus.DONE, completed_on=date(2024, 6, 1)),
            MilestoneCity(city_id=leuven, status=MilestoneStatus.IN_PROGRESS),
        ]
        parking.milestones = [
            Milestone(
                title="Datamodel afgesproken",
                due_date=date(2024, 3, 31),
                status=MilestoneStatus.DONE,
                completed_on=date(2024, 3, 20),
            ),
            # done, but only after the date: overdue on it
            Milestone(
                title="Catalogus klaar", due_date=date(2024, 5, 31), status=MilestoneStatus.DONE, completed_on=date(2024, 7, 10)
            ),
            publish,
            Milestone(title="Evaluatie met de steden", due_date=date(2024, 8, 15)),
            Milestone(title="Historiek publiceren", due_date=date(2025, 6, 30)),  # far beyond the window
        ]
        parking.datasets = [
            _dataset(gent, "Parkeerbezetting Gent", date(2024, 5, 1)),
            _dataset(gent, "Fietstellingen Gent", date(2024, 7, 1)),  # issued after the date
            _dataset(gent, "Zonder datum Gent", None, created=at(2024, 2, 1)),  # registered before it
            _dataset(gent, "Later geregistreerd Gent", None, created=at(2024, 10, 1)),
            _dataset(leuven, "Parkeerbezetting Leuven", date(2024, 6, 15)),  # on the date itself
        ]
        # Gent joined the air-quality pilot after the date; it observes a third one; a fourth has not accepted it.
        air = Pilot(title="Luchtkwaliteit", status=PilotStatus.ACTIVE)
        air.participants = [_participation(gent, ParticipantRole.PARTICIPANT, (Stage.INTERESTED, date(2024, 9, 1)))]
        air.milestones = [Milestone(title="Sensoren geplaatst", due_date=date(2024, 7, 1))]
        watched = Pilot(title="Afvalophaling", status=PilotStatus.ACTIVE)
        watched.participants = [_participation(gent, ParticipantRole.OBSERVER, (Stage.INTERESTED, date(2024, 2, 1)))]
        watched.milestones = [
            Milestone(
                title="Observatie mijlpaal", due_date=date(2024, 3, 1), status=MilestoneStatus.DONE, completed_on=date(2024, 3, 1)
            )
        ]
        asked = Pilot(title="Deelmobiliteit", status=PilotStatus.PLANNED)
        asked.participants = [
            _participation(gent, ParticipantRole.PARTICIPANT, (Stage.INTERESTED, date(2024, 1, 1)), accepted=False)
        ]
        session.add_all([parking, air, watched, asked])

        # Challenges of the rounds.
        def challenge(title, city_id, year, status):
            made = Challenge(title=title, summary="Samenvatting", theme="TRAN", year=year, status=status, city_id=city_id)
            session.add(made)
            return made

        sensors = challenge("Slimme parkeersensoren", gent, 2023, ChallengeStatus.NOT_SELECTED)
        bikes = challenge("Fietsdata van Leuven", leuven, 2023, ChallengeStatus.SELECTED)
        noise = challenge("Geluidsmetingen Aalst", aalst, 2024, ChallengeStatus.SELECTED)
        trees = challenge("Bomenkaart Gent", gent, 2024, ChallengeStatus.NOT_SELECTED)
        session.flush()

        # 2023: published before the date; the committee overrode the computed selection.
        r2023 = Round(
            title="Ronde 2023",
            year=2023,
            phase=RoundPhase.PUBLISHED,
            created_at=at(2023, 1, 10),
            proposals_opened_at=at(2023, 2, 1),
            voting_opened_at=at(2023, 4, 1),
            closed_at=at(2023, 5, 1),
            published_at=at(2023, 5, 10),
            confirmed_at=at(2023, 5, 20),
            confirmed_by_id=people["steering"],
            override_justification=JUSTIFICATION,
        )
        r2023.entries = [BallotEntry(challenge_id=sensors.id, position=0), BallotEntry(challenge_id=bikes.id, position=1)]
        r2023.ballots = [
            Ballot(city_id=gent, status=BallotStatus.SUBMITTED, submitted_at=at(2023, 4, 20)),
            Ballot(city_id=leuven, status=BallotStatus.SUBMITTED, submitted_at=at(2023, 4, 22)),
        ]
        r2023.snapshot = _snapshot([(sensors.id, 0.8126, 1, 2), (bikes.id, 0.4567, 2, 2)], [sensors.id])
        # 2024: voting was open on the date; it closed and was published after it (the result must not show).
        r2024 = Round(
            title="Ronde 2024",
            year=2024,
            phase=RoundPhase.PUBLISHED,
            created_at=at(2024, 1, 10),
            proposals_opened_at=at(2024, 2, 1),
            voting_opened_at=at(2024, 5, 1),
            closed_at=at(2024, 7, 1),
            published_at=at(2024, 7, 15),
            confirmed_at=at(2024, 7, 20),
            confirmed_by_id=people["steering"],
        )
        r2024.entries = [BallotEntry(challenge_id=noise.id, position=0), BallotEntry(challenge_id=trees.id, position=1)]
        r2024.ballots = [
            Ballot(city_id=gent, status=BallotStatus.SUBMITTED, submitted_at=at(2024, 5, 10)),
            Ballot(city_id=leuven, status=BallotStatus.SUBMITTED, submitted_at=at(2024, 6, 20)),  # after the date
            Ballot(city_id=aalst, status=BallotStatus.DRAFT),
        ]
        r2024.snapshot = _snapshot([(noise.id, 0.9991, 1, 2), (trees.id, 0.1234, 2, 1)], [noise.id])
        # 2025: created after the date.
        r2025 = Round(title="Ronde 2025", year=2025, phase=RoundPhase.DRAFT, created_at=at(2024, 10, 1))
        session.add_all([r2023, r2024, r2025])

        # The city that no longer takes part: in its own report, not in the programme's.
        gone = Pilot(title="Oude pilot", status=PilotStatus.COMPLETED)
        gone.participants = [_participation(oud, ParticipantRole.LEAD, (Stage.PUBLISHED, date(2020, 1, 1)))]
        session.add(gone)
        session.commit()
        return {"sensors": sensors.id, "bikes": bikes.id, "noise": noise.id, "r2023": r2023.id, "r2024": r2024.id}


def section(page: str, section_id: str) -> str:
    """The HTML of one section of the report page."""
    start = page.index(f'<section id="{section_id}"')
    depth, position = 0, start
    for match in re.finditer(r"<(/?)section\b[^>]*>", page[start:]):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            position = start + match.end()
            break
    return page[start:position]


# --- the service ------------------------------------------------------------------------------------------------


class TestService:
    def test_a_city_as_of_the_date(self, in_app, people, world):
        with in_app() as session:
            report = service.build(AS_OF, session.get(City, people["gent_city"]))
        assert report.as_of == AS_OF and report.city.slug == "gent" and not report.is_programme
        (gent,) = report.cities
        # (1) where it stands: the charter from the statuses and the audit log, the self-assessment up to 2024.
        assert gent.charter.levels == {1: CharterLevel.ADOPTED, 2: CharterLevel.PARTLY}
        assert gent.charter.unknown == {4}
        assert gent.charter.not_filled_in == 17
        assert (gent.maturity.year, gent.maturity.previous_year) == (2023, 2022)
        assert set(gent.maturity.scores.values()) == {3} and set(gent.maturity.previous.values()) == {2}
        # (2) pilots joined by the date, with the stage then; not the one joined later nor the one not accepted.
        assert [(p.title, p.role, p.stage, p.since, p.joined) for p in gent.pilots] == [
            ("Realtime parkeerdata", ParticipantRole.LEAD, Stage.COMMITTED, date(2024, 3, 1), date(2024, 1, 5)),
            ("Afvalophaling", ParticipantRole.OBSERVER, Stage.INTERESTED, date(2024, 2, 1), date(2024, 2, 1)),
        ]
        # Milestones: done by the date (newest first; the per-city one by Gent's own row); due within the window.
        assert [(m.title, m.done_on) for m in gent.done] == [
            ("Elke stad publiceert", date(2024, 6, 1)),
            ("Datamodel afgesproken", date(2024, 3, 20)),
        ]
        assert [(m.title, m.due, m.overdue) for m in gent.due] == [
            ("Catalogus klaar", date(2024, 5, 31), True),
            ("Evaluatie met de steden", date(2024, 8, 15), False),
        ]
        # Datasets issued (or, without an issue date, registered) by the date.
        assert [(d.title_nl, d.issued) for d in gent.datasets] == [
            ("Zonder datum Gent", date(2024, 2, 1)),
            ("Parkeerbezetting Gent", date(2024, 5, 1)),
        ]
        # (3) the rounds created by the date, in their phase then.
        r2024, r2023 = report.rounds
        assert (r2024.title, r2024.phase, r2024.phase_since) == ("Ronde 2024", RoundPhase.VOTING_OPEN, at(2024, 5, 1))
        assert (r2024.ballots_submitted, r2024.ballots_total) == (1, 3)
        assert r2024.computed == () and r2024.confirmed_at is None
        assert r2024.city_ballot and r2024.city_submitted_at == at(2024, 5, 10)
        assert r2023.phase is RoundPhase.PUBLISHED and (r2023.ballots_submitted, r2023.ballots_total) == (2, 2)
        assert [(p.title, p.city, p.rank, p.score, p.voters) for p in r2023.computed] == [
            ("Slimme parkeersensoren", "Gent", 1, 0.8126, 2)
        ]
        assert [(p.title, p.rank, p.score) for p in r2023.confirmed] == [("Fietsdata van Leuven", 2, 0.4567)]
        assert (r2023.confirmed_by, r2023.justification) == ("Stijn Stuur", JUSTIFICATION)

    def test_the_programme_holds_the_active_cities(self, in_app, world):
        with in_app():
            report = service.build(AS_OF)
        assert report.is_programme and report.city is None
        assert [entry.city.slug for entry in report.cities] == ["aalst", "gent", "leuven"]
        leuven = report.cities[2]
        assert [d.title_nl for d in leuven.datasets] == ["Parkeerbezetting Leuven"]  # issued on the date itself
        assert [(m.title, m.overdue) for m in leuven.due] == [
            ("Catalogus klaar", True),
            ("Evaluatie met de steden", False),
            ("Elke stad publiceert", False),
        ]
        assert all(r.city_ballot is False for r in report.rounds)  # only city reports say what the city did

    def test_a_later_date_sees_what_happened_since(self, in_app, people, world):
        with in_app() as session:
            report = service.build(date(2024, 12, 31), session.get(City, people["gent_city"]))
        (gent,) = report.cities
        assert gent.charter.levels == {
            1: CharterLevel.ADOPTED,
            2: CharterLevel.ADOPTED,
            3: CharterLevel.ADOPTED,
            4: CharterLevel.NOT_YET,
        }
        assert gent.charter.unknown == frozenset()
        assert [p.stage for p in gent.pilots if p.title == "Realtime parkeerdata"] == [Stage.PUBLISHED]
        assert "Luchtkwaliteit" in [p.title for p in gent.pilots]
        assert {d.title_nl for d in gent.datasets} == {
            "Zonder datum Gent",
            "Parkeerbezetting Gent",
            "Fietstellingen Gent",
            "Later geregistreerd Gent",
        }
        assert [r.title for r in report.rounds] == ["Ronde 2025", "Ronde 2024", "Ronde 2023"]
        assert report.rounds[1].phase is RoundPhase.PUBLISHED and report.rounds[1].confirmed[0].title == "Geluidsmetingen Aalst"

    def test_the_day_ends_at_midnight_in_brussels(self, in_app, world):
        # 22:30 UTC on 14 June is 00:30 on 15 June in Brussels (summer time): on the date. 22:30 UTC on 15 June is
        # already 16 June there: after it.
        with in_app() as session:
            round_ = session.get(Round, world["r2024"])
            round_.closed_at = at(2024, 6, 14, 22, 30)
            session.commit()
            assert service.build(AS_OF).rounds[0].phase is RoundPhase.CLOSED
            round_ = session.get(Round, world["r2024"])
            round_.closed_at = at(2024, 6, 15, 22, 30)
            session.commit()
            assert service.build(AS_OF).rounds[0].phase is RoundPhase.VOTING_OPEN

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("15-06-2024", "Enter a date as YYYY-MM-DD."),
            ("2024-02-30", "Enter a date as YYYY-MM-DD."),
            ("20240615", "Enter a date as YYYY-MM-DD."),
            ("2024-06-15<script>", "Enter a date as YYYY-MM-DD."),
            ("2016-12-31", "Choose a date from 2017-01-01 on."),
            ((today() + timedelta(days=1)).isoformat(), "The date cannot be in the future."),
        ],
    )
    def test_bad_dates_are_refused(self, app, text, message):
        with app.test_request_context(), pytest.raises(ServiceError) as refused:
            service.report_date(text)
        assert str(refused.value.message) == message and refused.value.field == "date"

    def test_no_date_is_today(self, app):
        with app.test_request_context():
            assert service.report_date("") == service.report_date(None) == today()
            assert service.report_date(" 2024-06-15 ") == AS_OF


# --- the page and the Markdown -----------------------------------------------------------------------------------


class TestPage:
    def test_the_city_report_shows_what_was_so_on_the_date(self, client, people, world):
        signed_in(client, "nobody@example.org")
        response = client.get(CITY_URL)
        assert response.status_code == 200
        page = response.text
        assert '<h1 id="report-title">Progress report of Gent</h1>' in page
        assert "The situation on June 15, 2024." in page
        assert re.search(r'href="/static/print\.css\?v=[0-9a-f]{16}" media="print"', page) and "/static/js/print.js?v=" in page
        assert 'data-action="print"' in page and "onclick" not in page

        status = section(page, "status")
        assert "Open-data charter: 1 adopted, 1 partly, 0 not yet, 17 not filled in." in status
        assert "1 saved after this date (their status on it is not recorded)." in status
        assert "not known on this date" in status
        assert "Maturity self-assessment of 2023, compared with 2022 (scores from 1 to 5)" in status
        assert "2025" not in status

        pilots = section(page, "pilots")
        assert "Realtime parkeerdata" in pilots and "Committed" in pilots and "2024-03-01" in pilots and "2024-01-05" in pilots
        assert "Published" not in pilots  # reached after the date
        assert "Afvalophaling" in pilots and "Observer" in pilots
        assert "Luchtkwaliteit" not in pilots and "Deelmobiliteit" not in pilots

        milestones = section(page, "milestones")
        done = milestones.split("Milestones due within 90 days", 1)[0]
        due = milestones.split("Milestones due within 90 days", 1)[1]
        assert "Elke stad publiceert" in done and "2024-06-01" in done and "Datamodel afgesproken" in done
        assert "Catalogus klaar" in due and "overdue" in due and "Evaluatie met de steden" in due
        assert "Catalogus klaar" not in done and "Historiek publiceren" not in milestones
        assert "Observatie mijlpaal" not in milestones and "Sensoren geplaatst" not in milestones

        datasets = section(page, "datasets")
        assert "Car park occupancy Gent" in datasets and "Zonder datum Gent" in datasets  # the English title in English
        assert "Fietstellingen Gent" not in datasets and "Later geregistreerd Gent" not in datasets
        assert "Parkeerbezetting Leuven" not in datasets

        rounds = section(page, "rounds")
        assert "Ronde 2025" not in rounds
        r2024 = section(page, f"round-{world['r2024']}")
        assert "Phase: Voting open (since 2024-05-01)." in r2024
        assert "Ballots submitted: 1 of 3." in r2024 and "Gent submitted its ballot on 2024-05-10." in r2024
        assert "The results were not published yet." in r2024
        assert "Geluidsmetingen Aalst" not in r2024 and "0.999" not in r2024
        r2023 = section(page, f"round-{world['r2023']}")
        assert "Phase: Results published (since 2023-05-10)." in r2023
        computed = r2023.split("The confirmed selection", 1)[0]
        assert "Slimme parkeersensoren" in computed and "0.813" in computed
        assert "Confirmed on 2023-05-20 by Stijn Stuur." in r2023
        confirmed = r2023.split("<caption>The confirmed selection</caption>", 1)[1]
        assert "Fietsdata van Leuven" in confirmed and "0.457" in confirmed and "Slimme parkeersensoren" not in confirmed
        assert shown(JUSTIFICATION) in r2023

    def test_the_programme_report_has_every_active_city_on_its_own_page(self, client, people, world):
        signed_in(client, "gent@example.org")
        page = client.get(PROGRAMME_URL).text
        assert "Progress report of the programme" in page
        summary = section(page, "summary")
        assert "Cities: 3. Pilots: 2. Milestones done: 3. Published datasets: 3. Rounds with published results: 1." in summary
        assert re.findall(r'<th scope="row"><a href="[^"]+">([^<]+)</a></th>', summary) == ["Aalst", "Gent", "Leuven"]
        assert "Oud Stad" not in page and "Oude pilot" not in page
        for slug in ("aalst", "gent", "leuven"):
            assert (
                f'<section id="city-{slug}" aria-labelledby="city-{slug}-heading" class="report-section report-page-break">'
                in page
            )
        assert '<section id="rounds" aria-labelledby="rounds-heading" class="report-section report-page-break">' in page
        leuven = section(page, "city-leuven")
        assert "Car park occupancy Leuven" in leuven and "Interested" in leuven
        assert "Gent submitted" not in page  # the city's own ballot is for city reports

    def test_a_city_no_longer_taking_part_has_its_own_report(self, client, people, world):
        signed_in(client, "nobody@example.org")
        page = client.get("/reports/cities/oud-stad?date=2024-06-15").text
        assert "Progress report of Oud Stad" in page and "Oude pilot" in page

    @pytest.mark.parametrize("scope", ["programme", "gent"])
    def test_the_markdown_says_what_the_page_says(self, client, people, world, scope):
        signed_in(client, "nobody@example.org")
        base = "/reports/programme" if scope == "programme" else "/reports/cities/gent"
        page = client.get(f"{base}?date={AS_OF.isoformat()}")
        download = client.get(f"{base}.md?date={AS_OF.isoformat()}")
        assert download.status_code == 200
        assert download.headers["Content-Type"] == "text/markdown; charset=utf-8"
        assert download.headers["Content-Disposition"] == f'attachment; filename="progress-report-{scope}-2024-06-15-en.md"'
        text = download.text
        assert text.startswith("# Progress report of ")
        base_url = client.application.config["BASE_URL"].rstrip("/")  # absolute links under BASE_URL, not the Host
        assert "| Slimme parkeersensoren |" not in text and f"[Slimme parkeersensoren]({base_url}/challenges/" in text
        # The same headings, paragraphs and table rows, in the same order, once the Markdown is rendered.
        from_page = Blocks.of(page.text, within_article=True)
        from_markdown = Blocks.of(MarkdownIt("commonmark").enable("table").render(text))
        assert from_markdown == from_page
        assert ("heading", "Voting rounds") in from_page and any(
            kind == "row" and "Fietsdata van Leuven" in value for kind, value in from_page
        )

    def test_markdown_escapes_the_cities_text(self, client, people, world, in_app):
        title = "Parkeren | *vet* [link](javascript:alert(1)) <b>"
        with in_app() as session:
            session.query(Pilot).filter_by(title="Realtime parkeerdata").one().title = title
            session.commit()
        signed_in(client, "nobody@example.org")
        text = client.get(f"/reports/cities/gent.md?date={AS_OF.isoformat()}").text
        assert md_text(title) in text
        rendered = MarkdownIt("commonmark").enable("table").render(text)
        assert "<em>vet</em>" not in rendered and 'href="javascript' not in rendered and "<b>" not in rendered
        assert "Parkeren | *vet* [link](javascript:alert(1)) &lt;b&gt;" in rendered  # one cell, shown as typed


class Blocks(HTMLParser):
    """The text of a report in order: headings, paragraphs and captions, and table rows (cells joined with " | ").
    Skips the report's buttons and forms. The Markdown's captions are bold paragraphs: the same text."""

    def __init__(self, within_article: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.within_article, self.active = within_article, not within_article
        self.skip_depth = 0
        self.blocks: list[tuple[str, str]] = []
        self.current: tuple[str, list[str]] | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    @classmethod
    def of(cls, html: str, within_article: bool = False) -> list[tuple[str, str]]:
        parser = cls(within_article)
        parser.feed(html)
        return parser.blocks

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "article":
            self.active = True
        if not self.active:
            return
        if self.skip_depth or "report-actions" in (attributes.get("class") or ""):
            self.skip_depth += tag == "div"
            return
        if tag in ("h1", "h2", "h3", "h4"):
            self.current = ("heading", [])
        elif tag in ("p", "caption"):
            self.current = ("text", [])
        elif tag == "tr":
            self.row = []
        elif tag in ("th", "td") and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "article" and self.within_article:
            self.active = False
        if not self.active:
            return
        if self.skip_depth:
            self.skip_depth -= tag == "div"
            return
        if self.current and tag in ("h1", "h2", "h3", "h4", "p", "caption"):
            self.blocks.append((self.current[0], " ".join("".join(self.current[1]).split())))
            self.current = None
        elif tag in ("th", "td") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.blocks.append(("row", " | ".join(self.row)))
            self.row = None

    def handle_data(self, data):
        if not self.active or self.skip_depth:
            return
        if self.cell is not None:
            self.cell.append(data)
        elif self.current is not None:
            self.current[1].append(data)


# --- who may read them, and bad input ---------------------------------------------------------------------------


class TestAccess:
    URLS = ("/reports", PROGRAMME_URL, CITY_URL, "/reports/programme.md", "/reports/cities/gent.md")

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, people):
        for url in self.URLS:
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/login?next=" in response.headers["Location"], url

    @pytest.mark.parametrize("who", ["nobody", "gent", "steering"])
    def test_every_signed_in_user_reads_them(self, client, people, world, who):
        signed_in(client, f"{who}@example.org")
        for url in self.URLS:
            assert client.get(url).status_code == 200, url

    def test_an_unknown_city_is_not_found(self, client, people):
        signed_in(client, "nobody@example.org")
        assert client.get("/reports/cities/nergens").status_code == 404
        assert client.get("/reports/cities/nergens.md").status_code == 404

    def test_the_routes_are_for_signed_in_users(self, app):
        from pilots.security.access import SIGNED_IN, policy_for

        endpoints = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("reports.")}
        assert endpoints == {"reports.index", "reports.programme", "reports.programme_md", "reports.city", "reports.city_md"}
        for endpoint in endpoints:
            assert policy_for(app, endpoint).rules == (SIGNED_IN,)


class TestDates:
    @pytest.mark.parametrize(
        ("value", "message"),
        [("31-12-2024", "Enter a date as YYYY-MM-DD."), ("2999-01-01", "The date cannot be in the future."), ("%00", None)],
    )
    def test_a_bad_date_shows_a_message_and_today(self, client, people, world, value, message):
        signed_in(client, "nobody@example.org")
        response = client.get(f"/reports/cities/gent?date={value}")
        if message is None:  # a control character: refused before the view (not a server error)
            assert response.status_code == 400
            return
        assert response.status_code == 200
        assert shown(f"{message} The report shows today.") in response.text
        assert f'name="date" value="{today().isoformat()}"' in response.text
        download = client.get(f"/reports/programme.md?date={value}")
        assert download.status_code == 200
        assert f"> {md_text(message + ' The report shows today.')}" in download.text

    def test_the_form_leads_to_the_report(self, client, people, world):
        signed_in(client, "nobody@example.org")
        page = client.get("/reports")
        assert page.status_code == 200
        assert '<option value="programme" selected>The whole programme</option>' in page.text
        assert '<option value="oud-stad">Oud Stad (no longer taking part)</option>' in page.text
        assert f'value="{today().isoformat()}"' in page.text and "English" in page.text
        response = client.get("/reports?scope=gent&date=2024-06-15&format=page")
        assert response.status_code == 302 and response.headers["Location"] == "/reports/cities/gent?date=2024-06-15"
        response = client.get("/reports?scope=programme&date=2024-06-15&format=md")
        assert response.status_code == 302 and response.headers["Location"] == "/reports/programme.md?date=2024-06-15"
        response = client.get("/reports?scope=programme&date=")
        assert response.headers["Location"] == f"/reports/programme?date={today().isoformat()}"

    def test_the_form_marks_what_is_wrong(self, client, people):
        signed_in(client, "nobody@example.org")
        response = client.get("/reports?scope=nergens&date=2024-13-01")
        assert response.status_code == 400
        assert 'id="scope-error"' in response.text and "Choose the programme or a city from the list." in response.text
        assert 'id="date-error"' in response.text and "Enter a date as YYYY-MM-DD." in response.text
        assert response.text.count('aria-invalid="true"') == 2
        assert 'value="2024-13-01"' in response.text  # what was typed stays


# --- the query bound --------------------------------------------------------------------------------------------


def grow(in_app, count: int, steering_id: int) -> None:
    """``count`` more of everything: cities with charter, self-assessments, pilots, milestones (shared and per city),
    datasets, and published rounds with ballots and a confirmed selection."""
    with in_app() as session:
        start = session.query(Round).count()
        for n in range(start, start + count):
            city = factories.city(f"groei-{n}")
            session.add(CharterStatus(city_id=city.id, principle=1, status=CharterLevel.PARTLY, updated_at=at(2024, 1, 1)))
            for year in (2022, 2023):
                assessment = MaturityAssessment(city_id=city.id, year=year)
                assessment.scores = [MaturityScore(domain=domain, score=2) for domain in MATURITY_DOMAINS]
                session.add(assessment)
            pilot = Pilot(title=f"Groeipilot {n}", status=PilotStatus.ACTIVE)
            pilot.participants = [
                _participation(
                    city.id, ParticipantRole.LEAD, (Stage.INTERESTED, date(2024, 1, 1)), (Stage.COMMITTED, date(2024, 2, 1))
                )
            ]
            shared = Milestone(
                title=f"Gedeeld {n}", due_date=date(2024, 3, 1), status=MilestoneStatus.DONE, completed_on=date(2024, 3, 1)
            )
            own = Milestone(title=f"Per stad {n}", due_date=date(2024, 7, 1), per_city=True)
            own.city_statuses = [MilestoneCity(city_id=city.id)]
            pilot.milestones = [shared, own]
            pilot.datasets = [_dataset(city.id, f"Groeidata {n}", date(2024, 4, 1))]
            session.add(pilot)
            challenge = Challenge(
                title=f"Groei-uitdaging {n}",
                summary="S",
                theme="TRAN",
                year=2023,
                status=ChallengeStatus.SELECTED,
                city_id=city.id,
            )
            session.add(challenge)
            session.flush()
            round_ = Round(
                title=f"Groeironde {n}",
                year=2023,
                phase=RoundPhase.PUBLISHED,
                created_at=at(2023, 1, 1),
                voting_opened_at=at(2023, 2, 1),
                closed_at=at(2023, 3, 1),
                published_at=at(2023, 3, 2),
                confirmed_at=at(2023, 3, 3),
                confirmed_by_id=steering_id,
            )
            round_.entries = [BallotEntry(challenge_id=challenge.id)]
            round_.ballots = [Ballot(city_id=city.id, status=BallotStatus.SUBMITTED, submitted_at=at(2023, 2, 2))]
            round_.snapshot = _snapshot([(challenge.id, 0.5, 1, 1)], [challenge.id])
            session.add(round_)
        session.commit()


class TestQueries:
    @pytest.mark.parametrize("url", [PROGRAMME_URL, "/reports/programme.md?date=2024-06-15", CITY_URL, "/reports/cities/gent.md"])
    def test_a_report_runs_the_same_statements_whatever_the_data(self, app, client, people, in_app, url):
        grow(in_app, 1, people["steering"])
        with in_app() as session:  # Gent takes part in a grown pilot too, so that its report grows as well
            pilot = session.query(Pilot).filter_by(title="Groeipilot 0").one()
            pilot.participants.append(
                _participation(people["gent_city"], ParticipantRole.PARTICIPANT, (Stage.INTERESTED, date(2024, 1, 1)))
            )
            session.commit()
        signed_in(client, "nobody@example.org")
        client.get(url)  # warm up
        with count_queries(app) as few:
            small = client.get(url)
        grow(in_app, 6, people["steering"])
        with count_queries(app) as many:
            large = client.get(url)
        assert small.status_code == large.status_code == 200
        if "programme" in url:
            assert "Groeipilot 6" in large.text and "Groeironde 6" in large.text and "Groeidata 6" in large.text
        assert "Groeironde 6" in large.text and "Groeironde 6" not in small.text
        assert len(many) == len(few), [q.split("FROM")[-1][:60] for q in many]
        assert len(many) <= 20


# --- Dutch and English ------------------------------------------------------------------------------------------


class TestLanguages:
    HEADINGS = {
        "en": ("Open-data status", "Pilots", "Milestones", "Published datasets", "Voting rounds"),
        "nl": ("Opendatastatus", "Pilots", "Mijlpalen", "Gepubliceerde datasets", "Stemrondes"),
    }

    def headings(self, text: str) -> list[str]:
        return [value for kind, value in Blocks.of(text, within_article=True) if kind == "heading"]

    def test_the_language_switch_changes_the_report(self, client, people, world):
        signed_in(client, "gent@example.org")  # an English account
        english = client.get(CITY_URL).text
        assert '<html lang="en">' in english
        assert self.headings(english)[1:6] == list(self.HEADINGS["en"])
        assert "Committed" in section(english, "pilots")
        client.post("/language", data={"language": "nl", "next": CITY_URL})
        dutch = client.get(CITY_URL).text
        assert '<html lang="nl">' in dutch
        assert self.headings(dutch)[1:6] == list(self.HEADINGS["nl"])
        assert "Geëngageerd" in section(dutch, "pilots") and "Trekker" in section(dutch, "pilots")
        assert "Stemming open" in section(dutch, f"round-{world['r2024']}")
        assert "Parkeerbezetting Gent" in section(dutch, "datasets")  # the Dutch title in Dutch
        assert "15 juni 2024" in dutch

    def test_the_markdown_follows_the_language(self, client, people, world):
        signed_in(client, "gent@example.org")
        english = client.get("/reports/programme.md?date=2024-06-15")
        assert english.headers["Content-Language"] == "en" and english.headers["Content-Disposition"].endswith('-en.md"')
        for heading in self.HEADINGS["en"]:
            assert f"### {heading}\n" in english.text or f"## {heading}\n" in english.text
        client.post("/language", data={"language": "nl", "next": "/"})
        dutch = client.get("/reports/programme.md?date=2024-06-15")
        assert dutch.headers["Content-Language"] == "nl" and dutch.headers["Content-Disposition"].endswith('-nl.md"')
        assert "### Opendatastatus\n" in dutch.text and "## Stemrondes\n" in dutch.text and "### Mijlpalen\n" in dutch.text
        assert "Open-data status" not in dutch.text
