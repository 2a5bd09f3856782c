"""Exports: every table as CSV (for data tools, and for Excel in the reader's language) and as an Excel workbook,
what each user may see in them, the data dictionary, file names, formula neutralisation, filters, and a bounded
number of queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import openpyxl
import pytest
from flask_babel import force_locale, gettext

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
from pilots.web.exports import views
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
        sheet, dictionary = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets
        labels, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        # The workbook names its columns in the reader's language; its dictionary sheet gives each one's key.
        keys = {label: key for key, label, _ in dictionary.iter_rows(min_row=2, values_only=True)}
        assert len(keys) == len(labels)
        header = [keys[label] for label in labels]
    return header, [dict(zip(header, row, strict=True)) for row in rows]


def in_language(app, locale: str, text_) -> str:
    """A lazy text as the reader of ``locale`` sees it."""
    with app.test_request_context(), force_locale(locale):
        return str(text_)


def stem(app, table: str, locale: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return views.file_stem(table)


def labels(app, table: str, locale: str) -> list[str]:
    with app.test_request_context(), force_locale(locale):
        return [str(column.label) for column in service.dictionary(table)]


def excel_rows(app, response, table: str, locale: str) -> tuple[list[str], list[dict]]:
    """Header and rows of a CSV for Excel, parsed with the separator of ``locale``, rows keyed by column key."""
    assert response.mimetype == "text/csv"
    content = response.get_data(as_text=True)
    assert content.startswith("\ufeff")
    delimiter = ";" if locale == "nl" else ","
    header, *rows = list(csv.reader(io.StringIO(content.lstrip("\ufeff")), delimiter=delimiter))
    assert header == labels(app, table, locale)
    keys = service.HEADERS[table]
    return header, [dict(zip(keys, row, strict=True)) for row in rows]


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
def test_workbook_is_formatted(app, client, build, table):
    build()
    response = download(signed_in(client), table, "xlsx")
    assert response.headers["Content-Disposition"] == f"attachment; filename={stem(app, table, 'nl')}.xlsx"
    assert "no-store" in response.headers["Cache-Control"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    assert sheet.title == in_language(app, "nl", views.LABELS[table][0])[:31]
    assert [cell.value for cell in sheet[1]] == labels(app, table, "nl")  # the columns' names, in Dutch
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


# --- the CSV for Excel, in the reader's language ------------------------------------------------------------------


def test_csv_for_excel_in_dutch(app, client, build):
    """Dutch (the default): semicolons, a decimal comma, dd-mm-yyyy, ja/nee and Dutch column names."""
    build()
    signed_in(client, "steering@example.org")
    response = download(client, "results", "csv", variant="excel")
    assert response.headers["Content-Disposition"] == "attachment; filename=resultaten.csv"
    first_line = response.get_data(as_text=True).lstrip("\ufeff").splitlines()[0]
    assert first_line == ";".join(labels(app, "results", "nl"))
    _, rows = excel_rows(app, response, "results", "nl")
    assert (rows[0]["score"], rows[1]["score"]) == ("0,8", "0,55")  # a float column, with a decimal comma
    assert (rows[0]["rank"], rows[0]["year"]) == ("1", "2025")  # whole numbers stay as they are
    assert (rows[0]["selected"], rows[1]["selected"], rows[0]["confirmed"]) == ("ja", "nee", "ja")
    _, pilots = excel_rows(app, download(client, "pilots", "csv", variant="excel"), "pilots", "nl")
    assert (pilots[0]["start_date"], pilots[0]["end_date"]) == ("01-03-2025", "31-12-2025")
    response = download(client, "challenges", "csv", variant="excel", year=2025, city="gent")
    assert response.headers["Content-Disposition"] == "attachment; filename=uitdagingen-2025-gent.csv"
    header, challenges = excel_rows(app, response, "challenges", "nl")
    assert header[1] == "Titel"
    parking = next(row for row in challenges if row["title"] == "Parkeerdata 0")
    assert parking["submitted"] == "10-03-2025 10:30"  # Brussels time
    assert parking["cosponsors"] == "Brugge; Leuven"  # a semicolon inside a value: quoted, read back whole


def test_csv_for_excel_in_english(app, client, build):
    """English: commas, a decimal point, British dates (dd/mm/yyyy), yes/no and English column names."""
    build()
    signed_in(client, "steering@example.org")
    client.post("/language", data={"language": "en"})
    response = download(client, "results", "csv", variant="excel")
    assert response.headers["Content-Disposition"] == "attachment; filename=results.csv"
    header, rows = excel_rows(app, response, "results", "en")
    assert header[:3] == ["Round number", "Round", "Year"]
    assert (rows[0]["score"], rows[1]["score"]) == ("0.8", "0.55")
    assert (rows[0]["selected"], rows[1]["selected"]) == ("yes", "no")
    _, pilots = excel_rows(app, download(client, "pilots", "csv", variant="excel"), "pilots", "en")
    assert (pilots[0]["start_date"], pilots[0]["end_date"]) == ("01/03/2025", "31/12/2025")
    response = download(client, "challenges", "csv", variant="excel", year=2025)
    assert response.headers["Content-Disposition"] == "attachment; filename=challenges-2025.csv"
    _, challenges = excel_rows(app, response, "challenges", "en")
    assert next(row for row in challenges if row["title"] == "Parkeerdata 0")["submitted"] == "10/03/2025 10:30"
    _, datasets = excel_rows(app, download(client, "datasets", "csv", variant="excel"), "datasets", "en")
    assert datasets[0]["realtime"] == "yes" and datasets[0]["issued"] == "01/05/2025"


@pytest.mark.parametrize("table", TABLES)
def test_csv_for_data_tools_is_the_same_in_every_language(client, build, table):
    """The default CSV (and ``?variant=data``, or any unknown variant) keeps its keys, commas, ISO dates and
    true/false, and its English file name, whatever the reader's language: scripts rely on it."""
    build()
    signed_in(client)
    dutch = download(client, table, "csv")
    assert dutch.get_data(as_text=True).startswith("\ufeff" + ",".join(service.HEADERS[table][:2]) + ",")
    assert download(client, table, "csv", variant="data").data == dutch.data
    assert download(client, table, "csv", variant="nonsense").data == dutch.data
    client.post("/language", data={"language": "en"})
    english = download(client, table, "csv", variant="data")
    assert english.headers["Content-Disposition"] == dutch.headers["Content-Disposition"] == f"attachment; filename={table}.csv"
    if table != "ballots":  # the ballots' criterion column is named in the reader's language (as before)
        assert english.data == dutch.data


def test_csv_for_data_tools_values(client, build):
    build()
    _, rows = rows_of(download(signed_in(client, "steering@example.org"), "results", "csv", variant="data"), "csv")
    assert (rows[0]["score"], rows[0]["selected"], rows[1]["selected"]) == ("0.8", "true", "false")
    _, pilots = rows_of(download(client, "pilots", "csv", variant="data"), "csv")
    assert pilots[0]["start_date"] == "2025-03-01"


def test_workbook_file_name_in_english(client, build):
    build()
    signed_in(client)
    client.post("/language", data={"language": "en"})
    response = download(client, "city-status", "xlsx", year=2025)
    assert response.headers["Content-Disposition"] == "attachment; filename=open-data-status-2025.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Open-data status", "Data dictionary"]
    assert [cell.value for cell in workbook.active[1]][:3] == ["City", "City code", "Section"]


def test_non_ascii_file_names_get_an_ascii_fallback():
    assert views.content_disposition("uitdagingen-2025.csv") == "attachment; filename=uitdagingen-2025.csv"
    assert views.content_disposition("défis-2025.csv") == (
        "attachment; filename=defis-2025.csv; filename*=UTF-8''d%C3%A9fis-2025.csv"
    )
    assert views.content_disposition("проекты.xlsx") == "attachment; filename=.xlsx; filename*=UTF-8''" + (
        "%D0%BF%D1%80%D0%BE%D0%B5%D0%BA%D1%82%D1%8B.xlsx"
    )


# --- the data dictionary ------------------------------------------------------------------------------------------


def test_every_column_of_every_table_is_explained(app):
    assert list(service.HEADERS) == list(service.COLUMNS) == TABLES
    for table in TABLES:
        assert set(service.COLUMNS[table]) == set(service.HEADERS[table]), table
        assert [column.key for column in service.dictionary(table)] == list(service.HEADERS[table])
        for locale in ("nl", "en"):
            names = labels(app, table, locale)
            assert len(set(names)) == len(names), (table, locale)  # a column's name says which column it is
            with app.test_request_context(), force_locale(locale):
                assert all(str(column.meaning).strip() for column in service.dictionary(table))


@pytest.mark.parametrize("locale", ["nl", "en"])
@pytest.mark.parametrize("table", TABLES)
def test_workbook_has_the_dictionary_sheet(app, client, build, table, locale):
    build()
    signed_in(client)
    client.post("/language", data={"language": locale})
    workbook = openpyxl.load_workbook(io.BytesIO(download(client, table, "xlsx").data))
    assert len(workbook.worksheets) == 2
    sheet = workbook.worksheets[1]
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    with app.test_request_context(), force_locale(locale):
        assert sheet.title in (gettext("Data dictionary")[:31], "Dictionary")
        assert rows[0] == (gettext("Key"), gettext("Column"), gettext("Meaning"))
        assert rows[1:] == [(c.key, str(c.label), str(c.meaning)) for c in service.dictionary(table)]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_dictionary_page(client, people):
    signed_in(client)
    page = client.get("/exports/dictionary")
    assert page.status_code == 200
    for table in TABLES:
        assert f'id="{table}"' in page.text
        for key in service.HEADERS[table]:
            assert f"<code>{key}</code>" in page.text
    assert "Stad" in page.text  # Dutch by default
    client.post("/language", data={"language": "en"})
    english = client.get("/exports/dictionary")
    assert "The city that proposes the challenge." in english.text and "Lead city" in english.text
    assert 'href="/exports/dictionary#challenges"' in client.get("/exports").text


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


@pytest.mark.parametrize("locale", ["nl", "en"])
def test_formulas_are_neutralised_in_the_csv_for_excel(app, client, dangerous, locale):
    signed_in(client)
    client.post("/language", data={"language": locale})
    _, rows = excel_rows(app, download(client, "challenges", "csv", variant="excel"), "challenges", locale)
    titles = {row["title"] for row in rows}
    summaries = {row["summary"] for row in rows}
    for text_ in DANGEROUS:
        assert "'" + text_ in titles and "'" + text_ in summaries
        assert text_ not in titles
    _, datasets = excel_rows(app, download(client, "datasets", "csv", variant="excel"), "datasets", locale)
    assert datasets[0]["keywords"] == "'=1+1"


def test_formulas_are_neutralised_in_the_csv_for_data_tools(client, dangerous):
    _, rows = rows_of(download(signed_in(client), "challenges", "csv", variant="data"), "csv")
    assert {"'" + text_ for text_ in DANGEROUS} <= {row["title"] for row in rows}


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


def test_page_lists_every_export_in_every_format(client, build, people):
    build()
    signed_in(client)
    page = client.get("/exports?year=2025&city=gent")
    assert page.status_code == 200
    for table in TABLES:
        assert f'href="/exports/{table}.csv?year=2025&amp;city=gent"' in page.text  # the CSV for data tools
        assert f'href="/exports/{table}.csv?year=2025&amp;city=gent&amp;variant=excel"' in page.text
        assert f'href="/exports/{table}.xlsx?year=2025&amp;city=gent"' in page.text
        assert f'href="/exports/dictionary#{table}"' in page.text
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


@pytest.mark.parametrize(
    "path",
    [
        "/exports",
        "/exports/dictionary",
        "/exports/challenges.csv",
        "/exports/challenges.csv?variant=excel",
        "/exports/ballots.xlsx",
        "/exports/city-status.csv",
    ],
)
def test_anonymous_visitors_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# --- queries ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [*FORMATS, "excel"])
@pytest.mark.parametrize("table", TABLES)
def test_query_count_does_not_grow_with_the_data(app, client, build, table, fmt):
    def rows(response) -> list[dict]:
        return excel_rows(app, response, table, "nl")[1] if fmt == "excel" else rows_of(response, fmt)[1]

    args = {"variant": "excel"} if fmt == "excel" else {}
    extension = "csv" if fmt == "excel" else fmt
    build(0)
    signed_in(client)
    with count_queries(app) as few:
        small = download(client, table, extension, **args)
    for n in range(1, 5):
        build(n)
    with count_queries(app) as many:
        large = download(client, table, extension, **args)
    assert len(rows(large)) >= 5 * len(rows(small)) > 0
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
