"""Exports: every table as CSV and as an Excel workbook, what each user may see in them, formula neutralisation,
filters, and a bounded number of queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pytest

from pilots.models import (
    Ballot,
    BallotEntry,
    BallotStatus,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    CharterLevel,
    CharterStatus,
    CityRole,
    CoSponsorship,
    Criterion,
    DatasetCheck,
    Direction,
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
    Score,
    Stage,
    User,
)
from pilots.models.city_status import MATURITY_DOMAINS
from pilots.services import exports as service
from tests import factories
from tests.conftest import count_queries

TABLES = list(service.TABLES)
FORMATS = ("csv", "xlsx")
SUBMITTED_AT = datetime(2025, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture
def people(make_user, in_app):
    """A voter of Gent, a voter of Leuven, a member of the steering committee (no city); returns ids."""
    ids = {
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent"),
        "gent_staff": make_user("gent2@example.org", name="Geert Gent", city="gent", role=CityRole.STAFF),
        "leuven": make_user("leuven@example.org", name="Lien Leuven", city="leuven"),
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True),
    }
    with in_app():
        for slug in ("gent", "leuven", "brugge"):
            ids[slug] = factories.city(slug).id
    return ids


def _round(session, title, year, phase, challenges, *, confidential=False, result=True) -> Round:
    round_ = Round(
        title=title, year=year, phase=phase, ballots_confidential=confidential, allow_self_scoring=True, pilots_to_select=1
    )
    round_.criteria = [
        Criterion(key="impact", name_nl="Impact voor burgers", name_en="Impact for citizens", position=0),
        Criterion(key="cost", name_nl="Kost", name_en="Cost", direction=Direction.COST, position=1),
    ]
    round_.entries = [BallotEntry(challenge=c, position=n) for n, c in enumerate(challenges)]
    session.add(round_)
    session.flush()
    if result:
        first, second = challenges
        round_.snapshot = RoundSnapshot(
            document="{}",
            sha256="0" * 64,
            result=json.dumps(
                {
                    "ranking": [
                        {"alternative": str(first.id), "rank": 1, "score": 0.8, "voters": 2},
                        {"alternative": str(second.id), "rank": 2, "score": 0.55, "voters": 2},
                    ],
                    "selected": [str(first.id)],
                    "ineligible": [],
                }
            ),
        )
    return round_


def _ballot(session, round_, city_id, values, submitted=True) -> Ballot:
    ballot = Ballot(
        round=round_,
        city_id=city_id,
        status=BallotStatus.SUBMITTED if submitted else BallotStatus.DRAFT,
        submitted_at=SUBMITTED_AT if submitted else None,
    )
    for entry, value in zip(round_.entries, values, strict=True):
        for criterion in round_.criteria:
            ballot.scores.append(Score(challenge_id=entry.challenge_id, criterion_id=criterion.id, value=value))
    session.add(ballot)
    return ballot


@pytest.fixture
def build(in_app, people):
    """Build copy ``n`` of a small programme: challenges (public and drafts of two cities), a published round, a
    published confidential round, a closed and an open round with ballots, a pilot with milestones and datasets, and
    open-data status. Returns the ids of the copy."""

    def make(n: int = 0) -> dict:
        with in_app() as session:
            gent, leuven, brugge = people["gent"], people["leuven"], people["brugge"]
            parking = Challenge(
                title=f"Parkeerdata {n}", summary="Zoekverkeer.", theme="TRAN", year=2025, city_id=gent,
                status=ChallengeStatus.SELECTED, submitted_at=SUBMITTED_AT,
            )  # fmt: skip
            parking.datasets = [
                CandidateDataset(title="Garages", holder_city_id=gent),
                CandidateDataset(title="Straat", holder_name="Org"),
            ]
            parking.cosponsors = [CoSponsorship(city_id=leuven), CoSponsorship(city_id=brugge)]
            air = Challenge(
                title=f"Luchtkwaliteit {n}", summary="Fijn stof.", theme="ENVI", year=2025, city_id=leuven,
                status=ChallengeStatus.NOT_SELECTED, submitted_at=SUBMITTED_AT,
            )  # fmt: skip
            drafts = [
                Challenge(title=f"Geheim Gent {n}", summary="Nog niet klaar.", theme="TRAN", year=2025, city_id=gent),
                Challenge(title=f"Geheim Leuven {n}", summary="Nog niet klaar.", theme="TRAN", year=2025, city_id=leuven),
            ]
            session.add_all([parking, air, *drafts])
            session.flush()

            public = _round(session, f"Ronde {n}", 2025, RoundPhase.PUBLISHED, [parking, air])
            public.published_at = public.confirmed_at = SUBMITTED_AT
            _ballot(session, public, gent, [4, 2])
            _ballot(session, public, leuven, [5, 3])
            _ballot(session, public, brugge, [1, 1], submitted=False)  # never submitted: not counted, not exported
            confidential = _round(session, f"Vertrouwelijk {n}", 2024, RoundPhase.PUBLISHED, [parking, air], confidential=True)
            _ballot(session, confidential, gent, [3, 3])
            _ballot(session, confidential, leuven, [2, 2])
            closed = _round(session, f"Gesloten {n}", 2026, RoundPhase.CLOSED, [parking, air])
            _ballot(session, closed, gent, [1, 5])
            voting = _round(session, f"Open {n}", 2026, RoundPhase.VOTING_OPEN, [parking, air], result=False)
            _ballot(session, voting, gent, [2, 4])

            pilot = Pilot(
                title=f"Pilot parkeren {n}", challenge_id=parking.id, round_id=public.id, lead_city_id=gent,
                status=PilotStatus.ACTIVE, start_date=date(2025, 3, 1), end_date=date(2025, 12, 31),
            )  # fmt: skip
            pilot.participants = [
                Participation(city_id=gent, role=ParticipantRole.LEAD, accepted=True, stage=Stage.COMMITTED),
                Participation(city_id=leuven, role=ParticipantRole.PARTICIPANT, accepted=True),
                Participation(city_id=brugge, role=ParticipantRole.OBSERVER, accepted=True),
            ]
            shared = Milestone(
                title="Aftrap", due_date=date(2025, 4, 1), status=MilestoneStatus.DONE, completed_on=date(2025, 3, 30)
            )
            per_city = Milestone(
                title="Publiceren", due_date=date(2025, 9, 30), per_city=True, status=MilestoneStatus.IN_PROGRESS
            )
            per_city.city_statuses = [
                MilestoneCity(city_id=gent, status=MilestoneStatus.DONE, completed_on=date(2025, 9, 1)),
                MilestoneCity(city_id=leuven, status=MilestoneStatus.BLOCKED, blocked_reason="Wacht op budget"),
            ]
            pilot.milestones = [shared, per_city]
            dataset = PublishedDataset(
                city_id=gent, title_nl=f"Bezetting {n}", title_en=f"Occupancy {n}", contact_email="data@gent.be",
                keywords="parkeren, mobiliteit", theme="TRAN", access_url="https://data.gent.be/parking",
                file_type="JSON", licence="https://data.vlaanderen.be/id/licentie/modellicentie-gratis-hergebruik/v1.0",
                frequency="CONT", realtime=True, issued=date(2025, 5, 1), modified=SUBMITTED_AT,
            )  # fmt: skip
            dataset.checks = [
                DatasetCheck(checked_at=datetime(2025, 5, 2, 8, 0, tzinfo=UTC), passed=False),
                DatasetCheck(checked_at=datetime(2025, 6, 2, 8, 0, tzinfo=UTC), passed=True),
            ]
            pilot.datasets = [dataset]
            session.add(pilot)

            session.add_all(
                [
                    CharterStatus(city_id=gent, principle=1 + 2 * n, status=CharterLevel.ADOPTED, note="Raadsbesluit"),
                    CharterStatus(city_id=gent, principle=2 + 2 * n, status=CharterLevel.PARTLY),
                    MaturityAssessment(
                        city_id=leuven,
                        year=2020 + n,
                        scores=[MaturityScore(domain=d, score=3, note="") for d in MATURITY_DOMAINS],
                    ),
                ]
            )
            session.commit()
            return {
                "parking": parking.id,
                "air": air.id,
                "public": public.id,
                "confidential": confidential.id,
                "pilot": pilot.id,
                "dataset": dataset.id,
            }

    return make


def signed_in(client, email="gent@example.org"):
    assert client.login(email).status_code == 302
    return client


def download(client, table: str, fmt: str, **args):
    response = client.get(f"/exports/{table}.{fmt}", query_string=args)
    assert response.status_code == 200, response.status_code
    return response


def rows_of(response, fmt: str) -> tuple[list[str], list[dict]]:
    """Header and rows of a downloaded export; xlsx values come back typed, CSV values as text."""
    if fmt == "csv":
        assert response.mimetype == "text/csv"
        reader = csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")))
        header, *rows = list(reader)
    else:
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
        header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def text(value) -> str:
    """A cell as the CSV text of it, to compare both formats the same way."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def column(rows: list[dict], name: str) -> list[str]:
    return [text(row[name]) for row in rows]


# --- each table, both formats -------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
class TestTables:
    def test_challenges(self, client, build, fmt):
        ids = build()
        header, rows = rows_of(download(signed_in(client), "challenges", fmt), fmt)
        assert tuple(header) == service.CHALLENGE_HEADERS
        assert sorted(column(rows, "title")) == ["Geheim Gent 0", "Luchtkwaliteit 0", "Parkeerdata 0"]
        parking = next(row for row in rows if row["id"] in (ids["parking"], str(ids["parking"])))
        assert text(parking["datasets"]) == "2" and text(parking["cosponsor_count"]) == "2"
        assert parking["cosponsors"] == "Brugge; Leuven"
        assert parking["city"] == "Gent" and parking["status"] == "selected"
        if fmt == "xlsx":
            assert parking["submitted"] == datetime(2025, 3, 10, 10, 30)  # a real time, in Brussels
        else:
            assert parking["submitted"] == "2025-03-10T10:30:00+01:00"

    def test_ballots(self, client, build, fmt):
        build()
        header, rows = rows_of(download(signed_in(client), "ballots", fmt), fmt)
        assert tuple(header) == service.BALLOT_HEADERS
        # Published public round: both submitted ballots (2 challenges × 2 criteria each); the confidential one:
        # Gent's own only; the closed and open rounds: nothing; Brugge's unsubmitted ballot: nothing.
        assert {(row["round"], row["city"]) for row in rows} == {
            ("Ronde 0", "Gent"),
            ("Ronde 0", "Leuven"),
            ("Vertrouwelijk 0", "Gent"),
        }
        assert len(rows) == 3 * 2 * 2
        leuven = [row for row in rows if row["city"] == "Leuven"]
        assert sorted(float(row["score"]) for row in leuven) == [3.0, 3.0, 5.0, 5.0]
        assert set(column(rows, "criterion_key")) == {"impact", "cost"}
        assert set(column(rows, "criterion")) == {"Impact voor burgers", "Kost"}  # Dutch: the default language

    def test_results(self, client, build, fmt):
        ids = build()
        header, rows = rows_of(download(signed_in(client, "steering@example.org"), "results", fmt), fmt)
        assert tuple(header) == service.RESULT_HEADERS
        # Both published rounds (results of a confidential round are public too); the closed one is not.
        assert [(row["round"], text(row["rank"]), row["challenge"]) for row in rows] == [
            ("Ronde 0", "1", "Parkeerdata 0"),
            ("Ronde 0", "2", "Luchtkwaliteit 0"),
            ("Vertrouwelijk 0", "1", "Parkeerdata 0"),
            ("Vertrouwelijk 0", "2", "Luchtkwaliteit 0"),
        ]
        first = rows[0]
        assert float(first["score"]) == 0.8 and text(first["selected"]) == "true" and text(first["confirmed"]) == "true"
        assert text(rows[1]["selected"]) == "false" and text(rows[1]["challenge_id"]) == str(ids["air"])
        assert text(rows[2]["confirmed"]) == "false"  # that round's selection was never confirmed
        assert rows[0]["proposed_by"] == "Gent"

    def test_pilots(self, client, build, fmt):
        build()
        header, rows = rows_of(download(signed_in(client), "pilots", fmt), fmt)
        assert tuple(header) == service.PILOT_HEADERS
        (pilot,) = rows
        assert pilot["title"] == "Pilot parkeren 0" and pilot["status"] == "active" and pilot["lead_city"] == "Gent"
        assert text(pilot["progress_percent"]) == "75"  # shared milestone done, per-city one half done
        assert pilot["cities"] == "Gent; Leuven"  # the observer only watches
        assert text(pilot["year"]) == "2025"
        if fmt == "xlsx":
            assert pilot["start_date"] == datetime(2025, 3, 1) and pilot["end_date"] == datetime(2025, 12, 31)
        else:
            assert (pilot["start_date"], pilot["end_date"]) == ("2025-03-01", "2025-12-31")

    def test_milestones(self, client, build, fmt):
        build()
        header, rows = rows_of(download(signed_in(client), "milestones", fmt), fmt)
        assert tuple(header) == service.MILESTONE_HEADERS
        assert [(row["milestone"], text(row["city"]), row["status"]) for row in rows] == [
            ("Aftrap", "", "done"),
            ("Publiceren", "Gent", "done"),
            ("Publiceren", "Leuven", "blocked"),
        ]
        assert rows[2]["blocked_reason"] == "Wacht op budget"
        assert column(rows, "overdue") == ["false", "false", "true"]
        assert column(rows, "per_city") == ["false", "true", "true"]
        assert rows[0]["pilot"] == "Pilot parkeren 0"

    def test_datasets(self, client, build, fmt):
        build()
        header, rows = rows_of(download(signed_in(client), "datasets", fmt), fmt)
        assert tuple(header) == service.DATASET_HEADERS
        (dataset,) = rows
        assert dataset["title_nl"] == "Bezetting 0" and dataset["title_en"] == "Occupancy 0"
        assert dataset["city"] == "Gent" and dataset["pilot"] == "Pilot parkeren 0"
        assert dataset["access_url"] == "https://data.gent.be/parking" and dataset["frequency"] == "CONT"
        assert text(dataset["realtime"]) == "true"
        assert text(dataset["last_check_passed"]) == "true"  # the latest of the two checks
        if fmt == "xlsx":
            assert dataset["last_check"] == datetime(2025, 6, 2, 10, 0)
            assert dataset["issued"] == datetime(2025, 5, 1)
        else:
            assert dataset["last_check"] == "2025-06-02T10:00:00+02:00"
            assert dataset["issued"] == "2025-05-01"

    def test_city_status(self, client, build, fmt):
        build()
        header, rows = rows_of(download(signed_in(client), "city-status", fmt), fmt)
        assert tuple(header) == service.CITY_STATUS_HEADERS
        charter = [row for row in rows if row["section"] == "charter"]
        maturity = [row for row in rows if row["section"] == "maturity"]
        assert [(row["city"], text(row["principle"]), row["status"]) for row in charter] == [
            ("Gent", "1", "adopted"),
            ("Gent", "2", "partly"),
        ]
        assert charter[0]["note"] == "Raadsbesluit"
        assert [row["domain"] for row in maturity] == list(MATURITY_DOMAINS)
        assert {(row["city"], text(row["year"]), text(row["score"])) for row in maturity} == {("Leuven", "2020", "3")}
        assert rows.index(charter[0]) < rows.index(maturity[0])  # Gent before Leuven: alphabetical


# --- the workbook itself ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_workbook_is_formatted(client, build, table):
    build()
    response = download(signed_in(client), table, "xlsx")
    assert response.headers["Content-Disposition"] == f"attachment; filename={table}.xlsx"
    assert "no-store" in response.headers["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == table
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.max_row > 1
    assert all(not cell.font.bold for cell in sheet[2])
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
    assert all(8 <= width <= 60 for width in widths)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if cell.is_date:
                assert cell.number_format in ("yyyy-mm-dd", "yyyy-mm-dd hh:mm")


def test_csv_download_headers(client, build):
    build()
    response = download(signed_in(client), "challenges", "csv", year=2025, city="gent")
    assert response.headers["Content-Disposition"] == "attachment; filename=challenges-2025-gent.csv"
    assert response.get_data(as_text=True).startswith("\ufeffid,title,")


# --- visibility ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
class TestVisibility:
    def test_drafts_only_of_the_users_own_city(self, client, build, fmt):
        build()
        _, gent = rows_of(download(signed_in(client), "challenges", fmt), fmt)
        assert "Geheim Gent 0" in column(gent, "title") and "Geheim Leuven 0" not in column(gent, "title")
        client.logout()
        _, leuven = rows_of(download(signed_in(client, "leuven@example.org"), "challenges", fmt), fmt)
        assert "Geheim Leuven 0" in column(leuven, "title") and "Geheim Gent 0" not in column(leuven, "title")
        client.logout()
        _, steering = rows_of(download(signed_in(client, "steering@example.org"), "challenges", fmt), fmt)
        assert not [title for title in column(steering, "title") if title.startswith("Geheim")]

    def test_no_ballots_of_rounds_not_published(self, client, build, fmt):
        build()
        _, rows = rows_of(download(signed_in(client), "ballots", fmt), fmt)
        assert not {"Gesloten 0", "Open 0"} & set(column(rows, "round"))
        _, results = rows_of(download(client, "results", fmt), fmt)
        assert not {"Gesloten 0", "Open 0"} & set(column(results, "round"))

    def test_confidential_ballots_only_of_the_users_own_city(self, client, build, fmt):
        build()
        _, leuven = rows_of(download(signed_in(client, "leuven@example.org"), "ballots", fmt), fmt)
        assert {row["city"] for row in leuven if row["round"] == "Vertrouwelijk 0"} == {"Leuven"}
        assert {row["city"] for row in leuven if row["round"] == "Ronde 0"} == {"Gent", "Leuven"}
        client.logout()
        _, steering = rows_of(download(signed_in(client, "steering@example.org"), "ballots", fmt), fmt)
        assert "Vertrouwelijk 0" not in column(steering, "round")
        assert {row["city"] for row in steering} == {"Gent", "Leuven"}


def test_ballot_criteria_in_english(client, build):
    build()
    signed_in(client)
    client.post("/language", data={"language": "en"})
    _, rows = rows_of(download(client, "ballots", "csv"), "csv")
    assert set(column(rows, "criterion")) == {"Impact for citizens", "Cost"}


# --- formula neutralisation ---------------------------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://evil")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)"]


@pytest.fixture
def dangerous(in_app, people, build):
    build()
    with in_app() as session:
        for n, title in enumerate(DANGEROUS):
            session.add(
                Challenge(
                    title=title,
                    summary=DANGEROUS[-1 - n],
                    theme="TRAN",
                    year=2025,
                    city_id=people["gent"],
                    status=ChallengeStatus.SUBMITTED,
                )
            )
        dataset = session.get(PublishedDataset, session.query(PublishedDataset.id).scalar())
        dataset.keywords = "=1+1"
        session.commit()


@pytest.mark.parametrize("fmt", FORMATS)
def test_formulas_are_neutralised(client, dangerous, fmt):
    _, rows = rows_of(download(signed_in(client), "challenges", fmt), fmt)
    titles = {row["title"] for row in rows}
    summaries = {row["summary"] for row in rows}
    for text_ in DANGEROUS:
        assert "'" + text_ in titles and "'" + text_ in summaries
        assert text_ not in titles
    _, datasets = rows_of(download(client, "datasets", fmt), fmt)
    assert datasets[0]["keywords"] == "'=1+1"


def test_no_formula_cell_in_the_workbook(client, dangerous):
    response = download(signed_in(client), "challenges", "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert {cell.value for cell in cells if isinstance(cell.value, str) and cell.value.startswith("'")} >= {
        "'" + text_ for text_ in DANGEROUS
    }


def test_numbers_stay_numbers(client, build):
    build()
    _, rows = rows_of(download(signed_in(client), "ballots", "xlsx"), "xlsx")
    assert all(isinstance(row["score"], int | float) for row in rows)
    assert all(isinstance(row["year"], int) for row in rows)


def test_control_characters_do_not_break_the_workbook(client, in_app, people, build):
    build()
    with in_app() as session:
        session.add(
            Challenge(
                title="Bel\x07 en\x0b tab",
                summary="x",
                theme="TRAN",
                year=2025,
                city_id=people["gent"],
                status=ChallengeStatus.SUBMITTED,
            )
        )
        session.commit()
    _, rows = rows_of(download(signed_in(client), "challenges", "xlsx"), "xlsx")
    assert "Bel en tab" in column(rows, "title")


# --- filters ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_year_and_city_filters(client, build, fmt):
    build()
    signed_in(client)
    _, ballots = rows_of(download(client, "ballots", fmt, year=2024), fmt)
    assert set(column(ballots, "round")) == {"Vertrouwelijk 0"}
    _, ballots = rows_of(download(client, "ballots", fmt, city="leuven"), fmt)
    assert set(column(ballots, "city")) == {"Leuven"}
    _, challenges = rows_of(download(client, "challenges", fmt, city="leuven"), fmt)
    assert column(challenges, "title") == ["Luchtkwaliteit 0"]
    _, results = rows_of(download(client, "results", fmt, year=2025, city="leuven"), fmt)
    assert [(row["round"], row["challenge"]) for row in results] == [("Ronde 0", "Luchtkwaliteit 0")]
    _, milestones = rows_of(download(client, "milestones", fmt, city="leuven"), fmt)
    assert [(row["milestone"], text(row["city"])) for row in milestones] == [("Aftrap", ""), ("Publiceren", "Leuven")]
    _, milestones = rows_of(download(client, "milestones", fmt, city="brugge"), fmt)
    assert milestones == []  # an observer takes part in no milestone, but it does follow the pilot:
    _, pilots = rows_of(download(client, "pilots", fmt, city="brugge"), fmt)
    assert len(pilots) == 1
    _, pilots = rows_of(download(client, "pilots", fmt, year=2024), fmt)
    assert pilots == []
    _, datasets = rows_of(download(client, "datasets", fmt, year=2025, city="gent"), fmt)
    assert len(datasets) == 1
    _, datasets = rows_of(download(client, "datasets", fmt, year=2024), fmt)
    assert datasets == []
    _, status = rows_of(download(client, "city-status", fmt, year=2021), fmt)
    assert {row["section"] for row in status} == {"charter"}  # the charter has no year; no self-assessment of 2021
    _, status = rows_of(download(client, "city-status", fmt, city="leuven"), fmt)
    assert {row["section"] for row in status} == {"maturity"}


def test_bad_filters_are_ignored(client, build):
    build()
    signed_in(client)
    _, rows = rows_of(download(client, "challenges", "csv", year="twenty", city="<script>"), "csv")
    assert len(rows) == 3


# --- the page and the routes --------------------------------------------------------------------------------------


def test_page_lists_every_export_in_both_formats(client, build, people):
    build()
    signed_in(client)
    page = client.get("/exports?year=2025&city=gent")
    assert page.status_code == 200
    for table in TABLES:
        assert f'href="/exports/{table}.csv?year=2025&amp;city=gent"' in page.text
        assert f'href="/exports/{table}.xlsx?year=2025&amp;city=gent"' in page.text
    assert "Uitdagingen" in page.text  # Dutch by default
    client.post("/language", data={"language": "en"})
    english = client.get("/exports")
    assert '<html lang="en">' in english.text and "Challenges" in english.text and 'href="/exports/ballots.xlsx"' in english.text


@pytest.mark.parametrize(
    "path", ["/exports/nothing.csv", "/exports/nothing.xlsx", "/exports/challenges.pdf", "/exports/users.csv"]
)
def test_unknown_table_is_404(client, people, path):
    signed_in(client)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/exports", "/exports/challenges.csv", "/exports/ballots.xlsx", "/exports/city-status.csv"])
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("table", TABLES)
def test_query_count_does_not_grow_with_the_data(app, client, build, table, fmt):
    build(0)
    signed_in(client)
    with count_queries(app) as few:
        small = download(client, table, fmt)
    for n in range(1, 5):
        build(n)
    with count_queries(app) as many:
        large = download(client, table, fmt)
    assert len(rows_of(large, fmt)[1]) >= 5 * len(rows_of(small, fmt)[1]) > 0
    assert len(many) == len(few)


@pytest.mark.parametrize("table", TABLES)
def test_service_functions_run_a_fixed_number_of_queries(app, in_app, build, people, table):
    build(0)
    with in_app() as session:
        user = session.get(User, people["gent"])
        _ = list(user.memberships)
        with count_queries(app) as few:
            small = service.export(table, user)
    for n in range(1, 5):
        build(n)
    with in_app() as session:
        user = session.get(User, people["gent"])
        _ = list(user.memberships)
        with count_queries(app) as many:
            large = service.export(table, user)
    assert len(large.rows) >= 5 * len(small.rows) > 0
    assert len(many) == len(few)
