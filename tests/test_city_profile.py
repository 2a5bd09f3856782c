"""City profiles: the list of cities, one page per city (challenges, ballots, pilots, datasets, the charter checklist
and the maturity radar chart), and the forms with which a city's own staff keep its open-data status up to date.
Permissions, bad input, stale forms, the audit log, query bounds, the chart data, no ranking on maturity, and the
demo data."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select

from pilots.models import (
    AuditEvent,
    Ballot,
    BallotStatus,
    Challenge,
    ChallengeStatus,
    CharterLevel,
    CharterStatus,
    City,
    CityRole,
    DatasetCheck,
    MaturityAssessment,
    MaturityScore,
    Participation,
    Pilot,
    PilotStatus,
    PublishedDataset,
    Round,
    RoundPhase,
    Stage,
    StageChange,
    User,
)
from pilots.models.city_status import MATURITY_DOMAINS
from pilots.services import city_status as service
from pilots.services.errors import Forbidden, ServiceError, StaleEdit
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests import factories
from tests.conftest import count_queries

THIS_YEAR = service.assessment_years()[-1]
STALE = "Somebody else saved this in the meantime. Reload the page and try again."
SCORE_ERROR = "Give a whole score from 1 to 5."


def shown(message: str) -> str:
    """A message as the page shows it (HTML-escaped)."""
    return str(escape(message))


def signed_in(client, email):
    client.logout()
    assert client.login(email).status_code == 302
    return client


def error_of(page: str, field_id: str) -> str | None:
    """The error shown next to a field (the macro renders it as <div id="<field>-error">)."""
    found = re.search(rf'<div id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', page, re.S)
    return found.group(1).strip() if found else None


def checked(page: str, name: str) -> str | None:
    """The value of the checked radio button of a field, if any."""
    found = re.search(rf'<input checked[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found.group(1) if found else None


def figure_of(page: str, figure_id: str = "maturity-figure") -> dict | None:
    found = re.search(rf'<script type="application/json" id="{figure_id}">(.*?)</script>', page, re.S)
    return json.loads(found.group(1)) if found else None


@pytest.fixture
def people(make_user, in_app):
    """Staff of Gent and of Leuven, an administrator and a user without a city (ids); the cities' ids too."""
    ids = {
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent", role=CityRole.STAFF, locale="en"),
        "leuven": make_user("leuven@example.org", name="Lucas Leuven", city="leuven", locale="en"),
        "admin": make_user("admin@example.org", name="Ada Admin", is_admin=True, locale="en"),
        "nobody": make_user("nobody@example.org", name="No City", locale="en"),
    }
    with in_app():
        for slug in ("gent", "leuven", "aalst"):
            ids[f"{slug}_city"] = factories.city(slug).id
    return ids


def maturity_form(scores=(3, 4, 2, 3, 3, 4), version="0", **overrides) -> dict:
    data = {"version": version}
    for domain, score in zip(MATURITY_DOMAINS, scores, strict=True):
        data[f"score_{domain}"] = str(score)
        data[f"note_{domain}"] = f"Toelichting bij {domain}"
    data.update(overrides)
    return data


def add_assessment(in_app, city_id: int, year: int, scores: tuple[int, ...]) -> None:
    with in_app() as session:
        assessment = MaturityAssessment(city_id=city_id, year=year)
        for domain, score in zip(MATURITY_DOMAINS, scores, strict=True):
            assessment.scores.append(MaturityScore(domain=domain, score=score, note=f"{year} {domain}"))
        session.add(assessment)
        session.commit()


def _actions(in_app, city_id: int) -> list[str]:
    with in_app() as session:
        return list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "city", AuditEvent.object_id == str(city_id))
                .order_by(AuditEvent.id)
            )
        )


# --- who may do what ----------------------------------------------------------------------------------------------


class TestPermissions:
    URLS = ("/cities", "/cities/gent", "/cities/gent/charter", f"/cities/gent/maturity/{THIS_YEAR}")

    def test_anonymous_visitors_are_sent_to_sign_in(self, client, people, in_app):
        for url in self.URLS:
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/login?next=" in response.headers["Location"], url
        for url in self.URLS[2:]:
            response = client.post(url, data={"principle": "1", "status": "adopted", "version": "0"})
            assert response.status_code == 302 and "/login" in response.headers["Location"], url
        assert _actions(in_app, people["gent_city"]) == []

    @pytest.mark.parametrize("email", ["nobody@example.org", "leuven@example.org", "gent@example.org", "admin@example.org"])
    def test_every_signed_in_user_reads_every_profile(self, client, people, email):
        signed_in(client, email)
        assert client.get("/cities").status_code == 200
        for slug in ("gent", "leuven", "aalst"):
            assert client.get(f"/cities/{slug}").status_code == 200, slug

    def test_only_own_staff_and_administrators_see_the_edit_links(self, client, people):
        edit = "/cities/gent/charter"
        signed_in(client, "gent@example.org")
        assert edit in client.get("/cities/gent").text
        assert "/cities/leuven/charter" not in client.get("/cities/leuven").text
        signed_in(client, "nobody@example.org")
        assert edit not in client.get("/cities/gent").text
        signed_in(client, "admin@example.org")
        assert edit in client.get("/cities/gent").text

    @pytest.mark.parametrize("email", ["leuven@example.org", "nobody@example.org"])
    def test_other_cities_and_users_without_a_city_are_refused(self, client, people, in_app, email):
        signed_in(client, email)
        assert client.get("/cities/gent/charter").status_code == 403
        assert client.get(f"/cities/gent/maturity/{THIS_YEAR}").status_code == 403
        response = client.post("/cities/gent/charter", data={"principle": "1", "status": "adopted", "version": "0"})
        assert response.status_code == 403
        response = client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form())
        assert response.status_code == 403
        with in_app() as session:
            assert session.scalar(select(func.count(CharterStatus.id))) == 0
            assert session.scalar(select(func.count(MaturityAssessment.id))) == 0

    def test_own_staff_and_administrators_edit(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        assert client.get("/cities/gent/charter").status_code == 200
        assert client.get(f"/cities/gent/maturity/{THIS_YEAR}").status_code == 200
        response = client.post("/cities/gent/charter", data={"principle": "3", "status": "partly", "version": "0"})
        assert response.status_code == 302
        signed_in(client, "admin@example.org")
        response = client.post("/cities/gent/charter", data={"principle": "4", "status": "adopted", "version": "0"})
        assert response.status_code == 302
        response = client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form())
        assert response.status_code == 302
        with in_app() as session:
            assert session.scalar(select(func.count(CharterStatus.id))) == 2
            assert session.scalar(select(func.count(MaturityAssessment.id))) == 1

    def test_unknown_cities(self, client, people):
        signed_in(client, "admin@example.org")
        assert client.get("/cities/atlantis").status_code == 404
        assert client.get("/cities/atlantis/charter").status_code == 404
        signed_in(client, "gent@example.org")
        assert client.get("/cities/atlantis").status_code == 404
        assert client.get("/cities/atlantis/charter").status_code == 403  # no staff of a city that does not exist

    def test_the_service_checks_the_actor_too(self, people, in_app):
        with in_app() as session:
            leuven = session.get(User, people["leuven"])
            with pytest.raises(Forbidden):
                service.set_charter_status(leuven, people["gent_city"], service.CharterInput(1, "adopted"), 0)
            with pytest.raises(Forbidden):
                service.save_maturity(
                    leuven, people["gent_city"], THIS_YEAR, service.MaturityInput(dict.fromkeys(MATURITY_DOMAINS, 3)), 0
                )
            admin = session.get(User, people["admin"])
            row = service.set_charter_status(admin, people["gent_city"], service.CharterInput(1, "adopted"), 0)
            assert row.status is CharterLevel.ADOPTED


# --- the charter ----------------------------------------------------------------------------------------------------


class TestCharter:
    def test_set_a_principle_then_change_it(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        page = client.get("/cities/gent/charter?principle=10").text
        assert 'name="principle"' in page and 'value="10"' in page
        assert "Linked Open Data for new sources" in page
        response = client.post(
            "/cities/gent/charter",
            data={"principle": "10", "status": "partly", "note": "  Pilot met Linked Data voor parkeren.  ", "version": "0"},
        )
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/cities/gent#principle-10")
        with in_app() as session:
            row = session.scalar(select(CharterStatus))
            assert (row.city_id, row.principle, row.status, row.note) == (
                people["gent_city"],
                10,
                CharterLevel.PARTLY,
                "Pilot met Linked Data voor parkeren.",
            )
            assert row.version == 1 and row.updated_by_id == people["gent"]
        profile = client.get("/cities/gent").text
        assert "Principle 10 saved." in profile
        row_html = profile.split('id="principle-10"', 1)[1].split("</tr>", 1)[0]
        assert "Partly" in row_html and "Pilot met Linked Data voor parkeren." in row_html
        assert "0 adopted, 1 partly, 0 not yet, 19 not filled in." in profile

        # The form opens with what was saved, at its version.
        page = client.get("/cities/gent/charter?principle=10").text
        assert 'name="version" type="hidden" value="1"' in page
        assert checked(page, "status") == "partly"
        client.post(
            "/cities/gent/charter", data={"principle": "10", "status": "adopted", "note": "Alle nieuwe bronnen.", "version": "1"}
        )
        with in_app() as session:
            row = session.scalar(select(CharterStatus))
            assert (row.status, row.version) == (CharterLevel.ADOPTED, 2)
            events = list(
                session.scalars(select(AuditEvent).where(AuditEvent.action == "city.charter_updated").order_by(AuditEvent.id))
            )
            assert [e.object_type for e in events] == ["city", "city"]
            assert [e.object_id for e in events] == [str(people["gent_city"])] * 2
            assert events[0].details["status"] == {"from": None, "to": "partly"}
            assert events[1].details == {"principle": 10, "status": {"from": "partly", "to": "adopted"}, "note_changed": True}
            assert events[1].actor_id == people["gent"]

    def test_saving_without_a_change_records_nothing(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        form = {"principle": "2", "status": "not_yet", "note": "Later.", "version": "0"}
        assert client.post("/cities/gent/charter", data=form).status_code == 302
        assert client.post("/cities/gent/charter", data={**form, "version": "1"}).status_code == 302
        assert _actions(in_app, people["gent_city"]) == ["city.charter_updated"]

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"principle": "21"}, "principle", "Choose a principle from 1 to 20."),
            ({"principle": "0"}, "principle", "Choose a principle from 1 to 20."),
            ({"principle": "abc"}, "principle", "Not a valid integer value."),
            ({"principle": ""}, "principle", "Choose a principle from 1 to 20."),
            ({"status": "maybe"}, "status", "Not a valid choice."),
            ({"status": ""}, "status", "Choose adopted, partly or not yet."),
            ({"note": "x" * 1001}, "note", "Field cannot be longer than 1000 characters."),
        ],
    )
    def test_bad_input_is_refused_next_to_its_field(self, client, people, in_app, changes, field, message):
        signed_in(client, "gent@example.org")
        form = {"principle": "7", "status": "partly", "note": "Metadata deels achteraf aangevuld.", "version": "0", **changes}
        response = client.post("/cities/gent/charter", data=form)
        assert response.status_code == 400
        assert error_of(response.text, field) == shown(message)
        assert "is-invalid" in response.text
        if field != "note":  # what was typed stays in the form
            assert "Metadata deels achteraf aangevuld." in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(CharterStatus.id))) == 0
        assert _actions(in_app, people["gent_city"]) == []

    def test_a_stale_form_is_refused_and_keeps_what_was_typed(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        # Two people open principle 6 before it was filled in; the first one saves.
        assert (
            client.post("/cities/gent/charter", data={"principle": "6", "status": "adopted", "version": "0"}).status_code == 302
        )
        response = client.post(
            "/cities/gent/charter", data={"principle": "6", "status": "not_yet", "note": "Nog niets.", "version": "0"}
        )
        assert response.status_code == 400
        assert shown(STALE) in response.text and "Nog niets." in response.text
        # A form without (or with a mangled) version counts as stale too.
        for version in ("", "x"):
            response = client.post("/cities/gent/charter", data={"principle": "6", "status": "partly", "version": version})
            assert response.status_code == 400 and shown(STALE) in response.text
        with in_app() as session:
            row = session.scalar(select(CharterStatus))
            assert (row.status, row.version) == (CharterLevel.ADOPTED, 1)

    def test_a_stale_version_in_the_service(self, people, in_app):
        with in_app() as session:
            gent = session.get(User, people["gent"])
            service.set_charter_status(gent, people["gent_city"], service.CharterInput(1, CharterLevel.PARTLY), 0)
            service.set_charter_status(gent, people["gent_city"], service.CharterInput(1, CharterLevel.ADOPTED), 1)
            with pytest.raises(StaleEdit):
                service.set_charter_status(gent, people["gent_city"], service.CharterInput(1, CharterLevel.NOT_YET), 1)
            with pytest.raises(ServiceError) as refused:
                service.set_charter_status(gent, people["gent_city"], service.CharterInput(True, "adopted"), None)  # type: ignore[arg-type]
            assert refused.value.field == "principle"


# --- the maturity self-assessment -----------------------------------------------------------------------------------


class TestMaturity:
    def test_save_then_change_the_self_assessment(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        page = client.get(f"/cities/gent/maturity/{THIS_YEAR}").text
        assert f"Maturity self-assessment of {THIS_YEAR}" in page
        assert 'name="year"' in page and "readonly" in page
        for domain in MATURITY_DOMAINS:
            assert f'name="score_{domain}"' in page and f'name="note_{domain}"' in page
        response = client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form())
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/cities/gent?year={THIS_YEAR}#maturity")
        with in_app() as session:
            assessment = session.scalar(select(MaturityAssessment))
            assert (assessment.city_id, assessment.year, assessment.version) == (people["gent_city"], THIS_YEAR, 1)
            assert {s.domain: s.score for s in assessment.scores} == dict(zip(MATURITY_DOMAINS, (3, 4, 2, 3, 3, 4), strict=True))
            assert assessment.score_of("technology").note == "Toelichting bij technology"
        assert f"Self-assessment of {THIS_YEAR} saved." in client.get(f"/cities/gent?year={THIS_YEAR}").text

        page = client.get(f"/cities/gent/maturity/{THIS_YEAR}").text
        assert 'name="version" type="hidden" value="1"' in page
        response = client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form((3, 4, 3, 3, 3, 5), version="1"))
        assert response.status_code == 302
        with in_app() as session:
            assessment = session.scalar(select(MaturityAssessment))
            assert assessment.version == 2 and assessment.score_of("stakeholders").score == 5
            events = list(session.scalars(select(AuditEvent).where(AuditEvent.object_type == "city").order_by(AuditEvent.id)))
            assert [e.action for e in events] == ["city.maturity_saved", "city.maturity_saved"]
            assert events[0].details["year"] == THIS_YEAR and events[0].details["scores"]["organisation"] == 2
            assert events[1].details["changes"] == {
                "organisation": {"from": 2, "to": 3, "note_changed": False},
                "stakeholders": {"from": 4, "to": 5, "note_changed": False},
            }
        # Saving the same again changes nothing and records nothing.
        assert (
            client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form((3, 4, 3, 3, 3, 5), version="2")).status_code
            == 302
        )
        assert len(_actions(in_app, people["gent_city"])) == 2

    def test_the_form_shows_the_previous_assessment(self, client, people, in_app):
        add_assessment(in_app, people["gent_city"], 2023, (2, 3, 1, 2, 2, 3))
        signed_in(client, "gent@example.org")
        page = client.get(f"/cities/gent/maturity/{THIS_YEAR}").text
        assert "In 2023: 1." in page  # under organisational embedding
        assert "the score of the previous self-assessment (2023)" in page

    @pytest.mark.parametrize("value", ["0", "6", "abc", "2.5", ""])
    def test_bad_scores_are_refused_next_to_their_field(self, client, people, in_app, value):
        signed_in(client, "gent@example.org")
        form = maturity_form(score_working_with_data=value, note_organisation="Een datateam in opbouw.")
        response = client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=form)
        assert response.status_code == 400
        assert error_of(response.text, "score_working_with_data") == shown(SCORE_ERROR)
        assert error_of(response.text, "score_technology") is None
        # What was typed stays: the other scores and the notes.
        assert "Een datateam in opbouw." in response.text
        assert checked(response.text, "score_stakeholders") == "4" and checked(response.text, "score_organisation") == "2"
        assert checked(response.text, "score_working_with_data") is None
        with in_app() as session:
            assert session.scalar(select(func.count(MaturityAssessment.id))) == 0

    @pytest.mark.parametrize("year", [2016, THIS_YEAR + 1])
    def test_a_year_out_of_range_is_refused_next_to_the_year(self, client, people, in_app, year):
        signed_in(client, "gent@example.org")
        assert client.get(f"/cities/gent/maturity/{year}").status_code == 404
        response = client.post(f"/cities/gent/maturity/{year}", data=maturity_form(note_technology="Nieuw dataplatform."))
        assert response.status_code == 400
        assert error_of(response.text, "year") == shown(f"Choose a year from 2017 to {THIS_YEAR}.")
        assert "Nieuw dataplatform." in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(MaturityAssessment.id))) == 0

    def test_a_stale_form_is_refused_and_keeps_what_was_typed(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        assert client.post(f"/cities/gent/maturity/{THIS_YEAR}", data=maturity_form()).status_code == 302
        # A colleague's form, opened before the first save.
        response = client.post(
            f"/cities/gent/maturity/{THIS_YEAR}",
            data=maturity_form((5, 5, 5, 5, 5, 5), note_stakeholders="Overleg met partners."),
        )
        assert response.status_code == 400
        assert shown(STALE) in response.text and "Overleg met partners." in response.text
        with in_app() as session:
            assert session.scalar(select(MaturityAssessment)).score_of("data_strategy").score == 3

    def test_the_service_refuses_what_is_not_a_whole_score(self, people, in_app):
        with in_app() as session:
            gent = session.get(User, people["gent"])
            for bad in (0, 6, 2.5, True, "3", None):
                scores = {**dict.fromkeys(MATURITY_DOMAINS, 3), "technology": bad}
                with pytest.raises(ServiceError) as refused:
                    service.save_maturity(gent, people["gent_city"], THIS_YEAR, service.MaturityInput(scores), 0)
                assert refused.value.field == "score_technology", bad
            with pytest.raises(ServiceError) as refused:
                service.save_maturity(
                    gent, people["gent_city"], 2016, service.MaturityInput(dict.fromkeys(MATURITY_DOMAINS, 3)), 0
                )
            assert refused.value.field == "year"


# --- the profile page -----------------------------------------------------------------------------------------------


def make_world(in_app, city_id: int, other_city_id: int, count: int) -> None:
    """``count`` of everything for one city: challenges (one a draft), pilots with stages, datasets with two checks
    each, rounds with the city's ballot, charter principles and self-assessments."""
    now = datetime.now(UTC)
    with in_app() as session:
        for n in range(count):
            status = ChallengeStatus.DRAFT if n == 0 else ChallengeStatus.SUBMITTED
            session.add(
                Challenge(
                    title=f"Uitdaging {n}",
                    summary="Samenvatting",
                    theme="TRAN",
                    year=2020 + n % 5,
                    status=status,
                    city_id=city_id,
                )
            )
            pilot = Pilot(title=f"Pilot {n}", status=PilotStatus.ACTIVE, lead_city_id=other_city_id)
            participation = Participation(city_id=city_id, accepted=True, stage=Stage.COMMITTED)
            participation.stage_changes += [
                StageChange(stage=Stage.INTERESTED, changed_on=date(2024, 1, 1)),
                StageChange(stage=Stage.COMMITTED, changed_on=date(2024, 3, 1)),
            ]
            pilot.participants.append(participation)
            dataset = PublishedDataset(
                city_id=city_id,
                title_nl=f"Dataset {n}",
                contact_email="open@example.org",
                theme="TRAN",
                access_url=f"https://data.example/{n}",
                file_type="RDF_TURTLE" if n % 2 else "CSV",
                licence=LICENCE_MODELLICENTIE,
                conforms_to="DATEX II" if n % 2 else None,
            )
            dataset.checks += [
                DatasetCheck(checked_at=now - timedelta(days=2), passed=False, report={}),
                DatasetCheck(checked_at=now - timedelta(days=1), passed=True, report={}),
            ]
            pilot.datasets.append(dataset)
            session.add(pilot)
            round_ = Round(title=f"Ronde {n}", year=2017 + n, phase=RoundPhase.PUBLISHED)
            round_.ballots.append(Ballot(city_id=city_id, status=BallotStatus.SUBMITTED, submitted_at=now))
            session.add(round_)
            session.add(CharterStatus(city_id=city_id, principle=n + 1, status=CharterLevel.PARTLY, note=f"Noot {n}"))
            assessment = MaturityAssessment(city_id=city_id, year=2017 + n)
            for domain in MATURITY_DOMAINS:
                assessment.scores.append(MaturityScore(domain=domain, score=1 + n % 5))
            session.add(assessment)
        session.commit()


class TestProfile:
    def test_the_profile_runs_a_bounded_number_of_queries(self, app, client, people, in_app):
        make_world(in_app, people["aalst_city"], people["leuven_city"], 2)
        make_world(in_app, people["gent_city"], people["leuven_city"], 8)
        signed_in(client, "gent@example.org")
        client.get("/cities/aalst")  # warm up
        with count_queries(app) as few:
            assert client.get("/cities/aalst").status_code == 200
        with count_queries(app) as many:
            page = client.get("/cities/gent")
        assert page.status_code == 200
        assert "Uitdaging 7" in page.text and "Pilot 7" in page.text and "Dataset 7" in page.text and "Ronde 7" in page.text
        assert "Noot 7" in page.text and "2024" in page.text
        assert len(many) == len(few), [q.split("FROM")[-1][:60] for q in many]

    def test_the_list_runs_a_bounded_number_of_queries(self, app, client, people, in_app):
        signed_in(client, "nobody@example.org")
        client.get("/cities")
        with count_queries(app) as few:
            assert client.get("/cities").status_code == 200
        with in_app():
            for n in range(6):
                factories.city(f"stad-extra-{n}")
        make_world(in_app, people["gent_city"], people["leuven_city"], 3)
        with count_queries(app) as many:
            assert client.get("/cities").status_code == 200
        assert len(many) == len(few)

    def test_the_profile_shows_what_the_city_does(self, client, people, in_app):
        make_world(in_app, people["gent_city"], people["leuven_city"], 3)
        signed_in(client, "nobody@example.org")
        page = client.get("/cities/gent").text
        # Public challenges only; the draft stays with its city.
        assert "Uitdaging 1" in page and "Uitdaging 2" in page and "Uitdaging 0" not in page
        # Pilots with their stage and since when.
        pilots = page.split('id="pilots"', 1)[1].split("</section>", 1)[0]
        assert pilots.count("Committed") == 3 and "since 2024-03-01" in pilots
        # Datasets: stars from the format and standard, and the latest of the two checks.
        datasets = page.split('id="datasets"', 1)[1].split("</section>", 1)[0]
        assert 'aria-label="3 stars of 5"' in datasets and 'aria-label="5 stars of 5"' in datasets
        assert datasets.count("passes the checks") == 3 and "fails some checks" not in datasets
        # The charter checklist and the counts.
        assert "0 adopted, 3 partly, 0 not yet, 17 not filled in." in page
        signed_in(client, "gent@example.org")
        assert "Uitdaging 0" in client.get("/cities/gent").text

    def test_ballots_show_their_status_and_open_only_when_allowed(self, client, people, in_app):
        with in_app() as session:
            rounds = {
                "open": Round(title="Ronde open", year=2026, phase=RoundPhase.VOTING_OPEN),
                "published": Round(title="Ronde gepubliceerd", year=2025, phase=RoundPhase.PUBLISHED),
                "secret": Round(title="Ronde vertrouwelijk", year=2024, phase=RoundPhase.PUBLISHED, ballots_confidential=True),
            }
            rounds["open"].ballots.append(Ballot(city_id=people["gent_city"], status=BallotStatus.DRAFT))
            for key in ("published", "secret"):
                rounds[key].ballots.append(
                    Ballot(
                        city_id=people["gent_city"], status=BallotStatus.SUBMITTED, submitted_at=datetime(2025, 5, 2, tzinfo=UTC)
                    )
                )
            session.add_all(rounds.values())
            session.commit()
            ids = {key: r.id for key, r in rounds.items()}
        signed_in(client, "leuven@example.org")
        ballots = client.get("/cities/gent").text.split('id="ballots"', 1)[1].split("</section>", 1)[0]
        assert "Not submitted" in ballots and ballots.count("Submitted") == 2
        assert f"/rounds/{ids['published']}/ballots/gent" in ballots
        assert f"/rounds/{ids['secret']}/ballots/gent" not in ballots
        assert f"/rounds/{ids['open']}/ballots/gent" not in ballots
        signed_in(client, "gent@example.org")  # the city's own staff open their ballots always
        ballots = client.get("/cities/gent").text.split('id="ballots"', 1)[1].split("</section>", 1)[0]
        for key in ids:
            assert f"/rounds/{ids[key]}/ballots/gent" in ballots

    def test_the_radar_chart_compares_the_year_with_the_previous_one(self, client, people, in_app):
        add_assessment(in_app, people["gent_city"], 2021, (1, 1, 1, 1, 1, 1))
        add_assessment(in_app, people["gent_city"], 2023, (2, 3, 1, 2, 2, 3))
        add_assessment(in_app, people["gent_city"], 2025, (3, 4, 2, 4, 3, 4))
        signed_in(client, "nobody@example.org")
        page = client.get("/cities/gent").text
        assert "js/charts.js" in page and "plotly.min.js" in page
        figure = figure_of(page)
        assert [trace["type"] for trace in figure["data"]] == ["scatterpolar", "scatterpolar"]
        assert [trace["name"] for trace in figure["data"]] == ["2023", "2025"]
        previous, current = figure["data"]
        assert current["r"] == [3, 4, 2, 4, 3, 4, 3]  # closed: back to the first domain
        assert previous["r"] == [2, 3, 1, 2, 2, 3, 2]
        assert "Strategy and<br>vision on data" in current["theta"][0]
        assert figure["layout"]["polar"]["radialaxis"]["range"] == [0, 5]
        # The table alternative says the same.
        table = page.split('id="maturity-table"', 1)[1].split("</table>", 1)[0]
        assert '<th scope="col" class="text-end">2023</th>' in table and '<th scope="col" class="text-end">2025</th>' in table
        assert re.search(
            r"Working with data</th>\s*<td class=\"text-end\">2</td>\s*<td class=\"text-end\"><strong>4</strong>", table
        )
        # Another year, against the one before it.
        figure = figure_of(client.get("/cities/gent?year=2023").text)
        assert [trace["name"] for trace in figure["data"]] == ["2021", "2023"]
        # The first year has nothing to compare with.
        figure = figure_of(client.get("/cities/gent?year=2021").text)
        assert [trace["name"] for trace in figure["data"]] == ["2021"]

    def test_no_chart_without_a_self_assessment(self, client, people):
        signed_in(client, "nobody@example.org")
        page = client.get("/cities/gent").text
        assert "No self-assessment yet." in page
        assert figure_of(page) is None and "plotly.min.js" not in page

    def test_user_text_in_the_chart_is_escaped(self, client, people, in_app):
        add_assessment(in_app, people["gent_city"], 2025, (3, 3, 3, 3, 3, 3))
        with in_app() as session:
            session.scalar(select(MaturityScore)).note = "</script><script>alert(1)</script>"
            session.commit()
        signed_in(client, "nobody@example.org")
        page = client.get("/cities/gent").text
        assert "<script>alert(1)" not in page
        assert figure_of(page) is not None


# --- the list: no ranking -----------------------------------------------------------------------------------------


def test_the_list_counts_what_cities_do_and_never_ranks_them_on_maturity(client, people, in_app):
    make_world(in_app, people["gent_city"], people["leuven_city"], 3)
    with in_app() as session:
        for name in ("Zottegem", "Brugge"):
            factories.city(name.lower())
        session.add(
            Challenge(
                title="Leuvens voorstel",
                summary="x",
                theme="TRAN",
                year=2025,
                status=ChallengeStatus.SUBMITTED,
                city_id=people["leuven_city"],
            )
        )
        session.commit()
    # Zottegem assesses itself best of all, Aalst worst: the list stays alphabetical and shows no scores.
    with in_app() as session:
        ids = {c.slug: c.id for c in session.scalars(select(City))}
    add_assessment(in_app, ids["zottegem"], 2025, (5, 5, 5, 5, 5, 5))
    add_assessment(in_app, ids["aalst"], 2025, (1, 1, 1, 1, 1, 1))
    signed_in(client, "nobody@example.org")
    page = client.get("/cities").text
    names = re.findall(r'<a href="/cities/[^"]+">([^<]+)</a>', page)
    assert names == sorted(names, key=str.casefold) == ["Aalst", "Brugge", "Gent", "Leuven", "Zottegem"]
    assert "maturity" not in page.lower().replace("maturity self-assessment is about its own progress", "")
    assert "score" not in page.lower()
    rows = {
        name: re.findall(r'<td class="text-end">(\d+)</td>', row)
        for name, row in re.findall(r">([A-Z][a-z]+)</a>(.*?)</tr>", page, re.S)
    }
    assert rows["Gent"] == ["2", "3", "3"]  # challenges the user may see (not the draft), pilots, datasets
    assert rows["Leuven"] == ["1", "0", "0"]
    assert rows["Zottegem"] == ["0", "0", "0"]
    signed_in(client, "gent@example.org")
    page = client.get("/cities").text
    gent = re.search(r">Gent</a>(.*?)</tr>", page, re.S).group(1)
    assert re.findall(r'<td class="text-end">(\d+)</td>', gent)[0] == "3"  # its own draft counts for its staff
    # Not ranked in the service either: nothing there orders by maturity.
    with in_app():
        assert "maturity" not in str(service.list_query(None)).lower()


# --- the demo ---------------------------------------------------------------------------------------------------------


def test_the_demo_gives_every_city_its_own_status_over_several_years(runner, in_app):
    from pilots.demo.city_status import YEARS, seed_city_status

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with in_app():
        seed_city_status()  # (a no-op when seed-demo already ran it)
        assert seed_city_status() == 0  # idempotent
    with in_app() as session:
        cities = list(session.scalars(select(City)))
        assert len(cities) == 14
        paths = set()
        for city in cities:
            charter = service.charter_of(city.id)
            assert sorted(charter) == list(range(1, 21)), city.slug
            assert all(row.note for row in charter.values())
            assessments = service.assessments_of(city.id)
            assert [a.year for a in assessments] == list(YEARS), city.slug
            assert all(len(a.scores) == 6 and all(1 <= s.score <= 5 and s.note for s in a.scores) for a in assessments)
            first, *_, before, last = (
                [s.score for s in sorted(a.scores, key=lambda s: MATURITY_DOMAINS.index(s.domain))] for a in assessments
            )
            assert last != before, f"{city.slug}: the latest chart compares two different years"
            assert sum(last) > sum(first), f"{city.slug} makes progress"
            paths.add(tuple(tuple(s.score for s in a.scores) for a in assessments))
        assert len(paths) == len(cities)  # every city its own path
        statuses = {row.status for row in session.scalars(select(CharterStatus))}
        assert statuses == set(CharterLevel)
        assert session.scalar(select(func.count(CharterStatus.id))) == 14 * 20


def test_the_demo_profile_of_gent(runner, client, in_app):
    from pilots.demo.city_status import seed_city_status

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    with in_app() as session:
        seed_city_status()
        session.get(User, session.scalar(select(User.id).where(User.email == "gent@demo.local"))).locale = "en"
        session.commit()
    assert client.login("gent@demo.local", "pilot-demo").status_code == 302
    page = client.get("/cities/gent").text
    assert [trace["name"] for trace in figure_of(page)["data"]] == ["2023", "2025"]
    assert "Real-time car park occupancy Gent" in page and 'aria-label="5 stars of 5"' in page
