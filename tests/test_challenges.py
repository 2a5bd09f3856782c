"""Challenges: proposing, editing, datasets, co-sponsors, discussion, screening, the list and its export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pilots.models import (
    AuditEvent,
    Availability,
    CandidateDataset,
    Challenge,
    ChallengeStatus,
    CityRole,
    Comment,
    CoSponsorship,
    User,
)
from pilots.services import challenges as service
from pilots.services.challenges import ChallengeData, DatasetData
from pilots.services.errors import Forbidden
from pilots.vocabularies import LICENCE_MODELLICENTIE
from tests import factories
from tests.conftest import PASSWORD, count_queries

VALID = {
    "title": "Realtime parkeerdata",
    "summary": "Bestuurders zoeken lang naar een plaats.",
    "description": "**Zoekverkeer**",
    "theme": "TRAN",
    "expected_impact": "Minder files",
    "year": "2026",
}
DATASET = {
    "title": "Bezetting garages",
    "description": "Per minuut",
    "holder_city_id": "0",
    "holder_name": "",
    "availability": "open",
    "url": "https://data.stad.gent/parking",
    "file_type": "JSON_LD",
    "licence": LICENCE_MODELLICENTIE,
    "frequency": "CONT",
    "realtime": "y",
    "standard": "DATEX II",
}


@pytest.fixture
def people(make_user, in_app):
    """Users of Gent (voter and plain staff), Leuven, the steering committee and an administrator; returns ids."""
    ids = {
        "gent": make_user("gent@example.org", name="Gerda Gent", city="gent"),
        "gent_staff": make_user("gent2@example.org", name="Geert Gent", city="gent", role=CityRole.STAFF),
        "leuven": make_user("leuven@example.org", name="Lien Leuven", city="leuven"),
        "steering": make_user("steering@example.org", name="Stijn Stuur", is_steering=True),
        "admin": make_user("admin@example.org", name="Ada Admin", is_admin=True),
        "nobody": make_user("nobody@example.org", name="No City"),
    }
    with in_app():
        ids["gent_city"] = factories.city("gent").id
        ids["leuven_city"] = factories.city("leuven").id
    return ids


@pytest.fixture
def make_challenge(in_app, people):
    """Create a challenge through the services; returns its id."""

    def make(
        city: str = "gent", status: str = "submitted", datasets: int = 1, title: str = "Parkeerdata", year: int = 2025
    ) -> int:
        with in_app() as session:
            author = session.get(User, people[city])
            challenge = service.create_challenge(
                author,
                people[f"{city}_city"],
                ChallengeData(title, "Een samenvatting.", "Een **beschrijving**.", "TRAN", "Impact.", year),
            )
            for n in range(datasets):
                service.add_dataset(
                    author,
                    challenge.id,
                    DatasetData(
                        title=f"Dataset {n}",
                        holder_city_id=people[f"{city}_city"],
                        availability=Availability.OPEN,
                        url=f"https://data.example/{n}",
                        file_type="CSV",
                        licence=LICENCE_MODELLICENTIE,
                    ),
                )
            if status != "draft":
                service.submit(author, challenge.id)
            if status in ("eligible", "ineligible"):
                service.screen(session.get(User, people["steering"]), challenge.id, status == "eligible", "Reden.")
            if status in ("withdrawn",):
                service.withdraw(author, challenge.id)
            if status in ("selected", "not_selected"):
                challenge.status = ChallengeStatus(status)
                session.commit()
            return challenge.id

    return make


def signed_in(client, email):
    assert client.login(email).status_code == 302
    return client


def _challenge(in_app, challenge_id) -> Challenge:
    with in_app() as session:
        challenge = session.get(Challenge, challenge_id)
        session.expunge(challenge)
        return challenge


def _actions(in_app, challenge_id) -> list[str]:
    with in_app() as session:
        return session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "challenge", AuditEvent.object_id == str(challenge_id))
            .order_by(AuditEvent.id)
        ).all()


class TestPropose:
    def test_staff_proposes_a_draft(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        assert client.get("/challenges/new").status_code == 200
        response = client.post("/challenges/new", data={**VALID, "city_id": str(people["gent_city"])})
        assert response.status_code == 302
        challenge_id = int(response.headers["Location"].rsplit("/", 1)[1])
        challenge = _challenge(in_app, challenge_id)
        assert challenge.status is ChallengeStatus.DRAFT and challenge.city_id == people["gent_city"]
        assert challenge.author_id == people["gent"]
        assert _actions(in_app, challenge_id) == ["challenge.created"]
        page = client.get(f"/challenges/{challenge_id}").text
        assert "<strong>Zoekverkeer</strong>" in page
        assert "Alleen jouw stad ziet dit ontwerp." in page

    @pytest.mark.parametrize(
        "field,value,message",
        [
            ("title", "", "Dit veld is vereist."),
            ("title", "x" * 161, "Veld mag niet langer zijn dan 160 karakters."),
            ("summary", "", "Dit veld is vereist."),
            ("theme", "XXXX", "Ongeldige keuze."),
            ("year", "2010", "Ongeldige keuze."),
            ("year", "abc", "Ongeldige keuze: kon niet omgezet worden."),
        ],
    )
    def test_bad_input_keeps_what_was_typed(self, client, people, in_app, field, value, message):
        signed_in(client, "gent@example.org")
        response = client.post("/challenges/new", data={**VALID, "city_id": str(people["gent_city"]), field: value})
        assert response.status_code == 400
        assert f'<div id="{field}-error" class="invalid-feedback d-block">{message}</div>' in response.text
        kept = VALID["summary"] if field != "summary" else VALID["title"]
        assert kept in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(Challenge.id))) == 0

    def test_cannot_propose_for_another_city(self, client, people, in_app):
        signed_in(client, "gent@example.org")
        response = client.post("/challenges/new", data={**VALID, "city_id": str(people["leuven_city"])})
        assert response.status_code == 400
        with in_app() as session:
            assert session.scalar(select(func.count(Challenge.id))) == 0
            with pytest.raises(Forbidden):  # the service refuses too, whatever the form says
                service.create_challenge(
                    session.get(User, people["gent"]), people["leuven_city"], ChallengeData("T", "S", "", "TRAN", "", 2026)
                )

    def test_who_may_open_the_form(self, client, people):
        assert client.get("/challenges/new").status_code == 302  # anonymous: sign in first
        signed_in(client, "nobody@example.org")
        assert client.get("/challenges/new").status_code == 403  # no city
        client.logout()
        signed_in(client, "steering@example.org")
        assert client.get("/challenges/new").status_code == 403


class TestVisibility:
    def test_drafts_are_for_the_proposing_city_only(self, client, make_challenge):
        draft = make_challenge(status="draft", title="Geheim ontwerp")
        assert client.get(f"/challenges/{draft}").status_code == 404
        assert "Geheim ontwerp" not in client.get("/challenges").text
        signed_in(client, "leuven@example.org")
        assert client.get(f"/challenges/{draft}").status_code == 404
        assert "Geheim ontwerp" not in client.get("/challenges/export.csv").text
        client.logout()
        signed_in(client, "gent2@example.org")
        assert client.get(f"/challenges/{draft}").status_code == 200
        assert "Geheim ontwerp" in client.get("/challenges/my-city").text

    def test_submitted_challenges_are_public(self, client, make_challenge):
        challenge_id = make_challenge(title="Openbare uitdaging")
        assert client.get(f"/challenges/{challenge_id}").status_code == 200
        assert "Openbare uitdaging" in client.get("/challenges").text

    def test_unknown_challenge(self, client):
        assert client.get("/challenges/999").status_code == 404


class TestEdit:
    def test_own_city_edits(self, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "gent2@example.org")  # plain staff may edit too
        form = client.get(f"/challenges/{challenge_id}/edit").text
        assert 'name="version" type="hidden" value="1"' in form
        response = client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "title": "Nieuwe titel", "version": "1"})
        assert response.status_code == 302
        assert _challenge(in_app, challenge_id).title == "Nieuwe titel"
        assert "challenge.updated" in _actions(in_app, challenge_id)

    @pytest.mark.parametrize(
        "email,status", [("leuven@example.org", 403), ("steering@example.org", 403), ("admin@example.org", 403)]
    )
    def test_others_may_not_edit(self, client, make_challenge, in_app, email, status):
        challenge_id = make_challenge()
        signed_in(client, email)
        assert client.get(f"/challenges/{challenge_id}/edit").status_code == status
        assert client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "version": "1"}).status_code == status
        assert client.post(f"/challenges/{challenge_id}/withdraw").status_code == status
        assert _challenge(in_app, challenge_id).title == "Parkeerdata"

    def test_anonymous_is_sent_to_sign_in(self, client, make_challenge):
        challenge_id = make_challenge()
        assert "/login" in client.get(f"/challenges/{challenge_id}/edit").headers["Location"]

    def test_stale_edit_is_refused_and_keeps_the_text(self, client, make_challenge, in_app, people):
        challenge_id = make_challenge()
        with in_app() as session:
            service.update_challenge(
                session.get(User, people["gent_staff"]),
                challenge_id,
                ChallengeData("Door collega", "S", "", "TRAN", "", 2025),
                expected_version=1,
            )
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "title": "Mijn versie", "version": "1"})
        assert response.status_code == 400
        assert "Iemand anders heeft dit intussen bewaard." in response.text
        assert 'value="Mijn versie"' in response.text
        assert _challenge(in_app, challenge_id).title == "Door collega"

    @pytest.mark.parametrize("status", ["selected", "not_selected", "withdrawn"])
    def test_editing_closes(self, client, make_challenge, in_app, status):
        challenge_id = make_challenge(status=status)
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "title": "Te laat", "version": "1"})
        assert response.status_code == 400
        assert "kan niet meer gewijzigd worden" in response.text
        assert _challenge(in_app, challenge_id).title == "Parkeerdata"
        assert client.post(f"/challenges/{challenge_id}/datasets/new", data=DATASET).status_code == 400

    def test_an_external_lock_closes_editing(self, client, make_challenge, in_app, monkeypatch):
        """The voting phase of a round closes editing through service.EDITING_LOCKS."""
        challenge_id = make_challenge()
        monkeypatch.setattr(service, "EDITING_LOCKS", [lambda challenge: "De stemming is geopend."])
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "title": "Te laat", "version": "1"})
        assert "De stemming is geopend." in response.text


class TestSubmitAndWithdraw:
    def test_submit_needs_a_dataset(self, client, make_challenge, in_app):
        challenge_id = make_challenge(status="draft", datasets=0)
        signed_in(client, "gent@example.org")
        page = client.post(f"/challenges/{challenge_id}/submit", follow_redirects=True).text
        assert "Voeg minstens één kandidaat-dataset toe" in page
        assert _challenge(in_app, challenge_id).status is ChallengeStatus.DRAFT

    def test_submit_and_withdraw(self, client, make_challenge, in_app):
        challenge_id = make_challenge(status="draft")
        signed_in(client, "gent@example.org")
        client.post(f"/challenges/{challenge_id}/submit")
        challenge = _challenge(in_app, challenge_id)
        assert challenge.status is ChallengeStatus.SUBMITTED and challenge.submitted_at is not None
        client.post(f"/challenges/{challenge_id}/withdraw")
        assert _challenge(in_app, challenge_id).status is ChallengeStatus.WITHDRAWN
        assert _actions(in_app, challenge_id)[-2:] == ["challenge.submitted", "challenge.withdrawn"]


class TestDatasets:
    def test_add_edit_remove(self, client, make_challenge, in_app):
        challenge_id = make_challenge(status="draft", datasets=0)
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/datasets/new", data={**DATASET, "holder_name": "Parkeerbedrijf"})
        assert response.status_code == 302
        with in_app() as session:
            dataset = session.scalar(select(CandidateDataset))
            assert dataset.holder == "Parkeerbedrijf" and dataset.realtime and dataset.standard == "DATEX II"
            dataset_id = dataset.id
        page = client.get(f"/challenges/{challenge_id}").text
        assert 'aria-label="5 sterren van 5"' in page
        response = client.post(
            f"/challenges/{challenge_id}/datasets/{dataset_id}",
            data={**DATASET, "holder_name": "Parkeerbedrijf", "file_type": "PDF", "version": "1"},
        )
        assert response.status_code == 302
        assert 'aria-label="1 ster van 5"' in client.get(f"/challenges/{challenge_id}").text
        client.post(f"/challenges/{challenge_id}/datasets/{dataset_id}/delete")
        with in_app() as session:
            assert session.scalar(select(func.count(CandidateDataset.id))) == 0
        assert _actions(in_app, challenge_id)[-3:] == [
            "challenge.dataset_added",
            "challenge.dataset_updated",
            "challenge.dataset_removed",
        ]

    @pytest.mark.parametrize(
        "changes,field,message",
        [
            ({"url": "ftp://data.example/x"}, "url", "Vul een webadres in"),
            ({"url": "not a url"}, "url", "Vul een webadres in"),
            ({"url": 'https://data.example/"><svg/onload=alert(1)>'}, "url", "procent-gecodeerd"),
            ({"url": ""}, "url", "Open data heeft een adres"),
            ({"licence": "http://evil.example/licence"}, "licence", "Ongeldige keuze."),
            ({"file_type": "EXE"}, "file_type", "Ongeldige keuze."),
            ({"holder_city_id": "0", "holder_name": ""}, "holder_name", "Zeg wie de data beheert"),
            ({"title": ""}, "title", "Dit veld is vereist."),
            ({"availability": "maybe"}, "availability", "Ongeldige keuze."),
        ],
    )
    def test_bad_input(self, client, make_challenge, in_app, people, changes, field, message):
        challenge_id = make_challenge(status="draft", datasets=0)
        signed_in(client, "gent@example.org")
        data = {**DATASET, "holder_city_id": str(people["gent_city"]), **changes}
        response = client.post(f"/challenges/{challenge_id}/datasets/new", data=data)
        assert response.status_code == 400
        assert message in response.text
        assert f'id="{field}-error"' in response.text
        assert 'value="Per minuut"' in response.text or "Per minuut" in response.text
        with in_app() as session:
            assert session.scalar(select(func.count(CandidateDataset.id))) == 0

    def test_city_and_organisation_at_once(self, client, make_challenge, people):
        challenge_id = make_challenge(status="draft", datasets=0)
        signed_in(client, "gent@example.org")
        data = {**DATASET, "holder_city_id": str(people["gent_city"]), "holder_name": "Iemand"}
        assert "niet allebei" in client.post(f"/challenges/{challenge_id}/datasets/new", data=data).text

    def test_submitted_challenge_keeps_one_dataset(self, client, make_challenge, in_app):
        challenge_id = make_challenge(datasets=1)
        with in_app() as session:
            dataset_id = session.scalar(select(CandidateDataset.id))
        signed_in(client, "gent@example.org")
        page = client.post(f"/challenges/{challenge_id}/datasets/{dataset_id}/delete", follow_redirects=True).text
        assert "houdt minstens één kandidaat-dataset" in page

    def test_another_citys_dataset_form(self, client, make_challenge, in_app):
        mine, theirs = make_challenge(), make_challenge(city="leuven")
        with in_app() as session:
            their_dataset = session.scalar(select(CandidateDataset.id).where(CandidateDataset.challenge_id == theirs))
        signed_in(client, "gent@example.org")
        assert client.get(f"/challenges/{mine}/datasets/{their_dataset}").status_code == 404
        assert client.get(f"/challenges/{theirs}/datasets/{their_dataset}").status_code == 403
        assert client.post(f"/challenges/{theirs}/datasets/new", data=DATASET).status_code == 403


class TestCoSponsors:
    def test_cosponsor_and_withdraw(self, client, make_challenge, in_app, people):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        response = client.post(
            f"/challenges/{challenge_id}/cosponsor",
            data={"city_id": str(people["leuven_city"]), "note": "Wij ook!"},
            follow_redirects=True,
        )
        assert "Jouw stad steunt deze uitdaging mee." in response.text
        assert "Wij ook!" in response.text
        again = client.post(f"/challenges/{challenge_id}/cosponsor", data={"city_id": str(people["leuven_city"])})
        assert again.status_code == 400
        assert "Jouw stad steunt deze uitdaging al mee." in again.text
        client.post(f"/challenges/{challenge_id}/cosponsor/withdraw", data={"city_id": str(people["leuven_city"])})
        with in_app() as session:
            assert session.scalar(select(func.count(CoSponsorship.id))) == 0
        assert _actions(in_app, challenge_id)[-2:] == ["challenge.cosponsored", "challenge.cosponsorship_withdrawn"]

    def test_own_city_cannot_cosponsor(self, client, make_challenge, people, in_app):
        challenge_id = make_challenge()
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/cosponsor", data={"city_id": str(people["gent_city"])})
        assert response.status_code == 400
        assert "co-sponsoring is voor andere steden" in response.text

    def test_only_for_your_own_city(self, client, make_challenge, people, in_app):
        challenge_id = make_challenge(city="leuven")
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/cosponsor", data={"city_id": str(people["leuven_city"])})
        assert response.status_code == 400  # not one of the user's cities
        with in_app() as session:
            assert session.scalar(select(func.count(CoSponsorship.id))) == 0
            with pytest.raises(Forbidden):
                service.cosponsor(session.get(User, people["gent"]), challenge_id, people["leuven_city"], "")

    def test_drafts_cannot_be_cosponsored(self, client, make_challenge, people):
        challenge_id = make_challenge(status="draft")
        signed_in(client, "leuven@example.org")
        assert (
            client.post(f"/challenges/{challenge_id}/cosponsor", data={"city_id": str(people["leuven_city"])}).status_code == 404
        )

    def test_users_without_a_city(self, client, make_challenge):
        challenge_id = make_challenge()
        signed_in(client, "steering@example.org")
        assert client.post(f"/challenges/{challenge_id}/cosponsor", data={"city_id": "1"}).status_code == 403


class TestDiscussion:
    def test_comment_is_sanitised(self, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        payload = "Goed idee <script>alert('xss')</script> **echt**"
        response = client.post(f"/challenges/{challenge_id}/comments", data={"body": payload}, follow_redirects=True)
        assert "Reactie geplaatst." in response.text
        assert "<script>alert('xss')</script>" not in response.text
        assert "&lt;script&gt;" in response.text and "<strong>echt</strong>" in response.text

    def test_empty_comment(self, client, make_challenge):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        response = client.post(f"/challenges/{challenge_id}/comments", data={"body": "   "})
        assert response.status_code == 400
        assert 'id="body-error"' in response.text

    def test_anonymous_cannot_comment(self, client, make_challenge):
        challenge_id = make_challenge()
        assert client.post(f"/challenges/{challenge_id}/comments", data={"body": "Hallo"}).status_code == 302

    def test_author_edits_within_the_window(self, app, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        client.post(f"/challenges/{challenge_id}/comments", data={"body": "Eerste versie"})
        with in_app() as session:
            comment_id = session.scalar(select(Comment.id))
        assert client.get(f"/challenges/{challenge_id}/comments/{comment_id}/edit").status_code == 200
        response = client.post(
            f"/challenges/{challenge_id}/comments/{comment_id}/edit", data={"body": "Tweede versie", "version": "1"}
        )
        assert response.status_code == 302
        page = client.get(f"/challenges/{challenge_id}").text
        assert "Tweede versie" in page and "bewerkt" in page
        with in_app() as session:  # the window closes
            comment = session.get(Comment, comment_id)
            comment.created_at = comment.created_at - timedelta(minutes=app.config["COMMENT_EDIT_MINUTES"] + 1)
            session.commit()
        response = client.post(f"/challenges/{challenge_id}/comments/{comment_id}/edit", data={"body": "Derde", "version": "3"})
        assert response.status_code == 400
        assert "kunnen 30 minuten na het plaatsen" in response.text

    def test_others_cannot_edit_a_comment(self, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        client.post(f"/challenges/{challenge_id}/comments", data={"body": "Van Leuven"})
        client.logout()
        with in_app() as session:
            comment_id = session.scalar(select(Comment.id))
        signed_in(client, "gent@example.org")
        assert client.get(f"/challenges/{challenge_id}/comments/{comment_id}/edit").status_code == 403
        assert (
            client.post(
                f"/challenges/{challenge_id}/comments/{comment_id}/edit", data={"body": "Gekaapt", "version": "1"}
            ).status_code
            == 403
        )

    def test_admin_hides_with_a_reason(self, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "leuven@example.org")
        client.post(f"/challenges/{challenge_id}/comments", data={"body": "Ongepaste tekst"})
        client.logout()
        with in_app() as session:
            comment_id = session.scalar(select(Comment.id))
        signed_in(client, "gent@example.org")
        field = f"hide-{comment_id}-reason"
        assert client.post(f"/challenges/{challenge_id}/comments/{comment_id}/hide", data={field: "x"}).status_code == 403
        client.logout()
        signed_in(client, "admin@example.org")
        empty = client.post(f"/challenges/{challenge_id}/comments/{comment_id}/hide", data={field: ""})
        assert empty.status_code == 400 and f'id="{field}-error"' in empty.text
        client.post(f"/challenges/{challenge_id}/comments/{comment_id}/hide", data={field: "Persoonsgegevens"})
        page = client.get(f"/challenges/{challenge_id}").text
        assert "Ongepaste tekst" not in page
        assert "verborgen door een beheerder: Persoonsgegevens" in page
        with in_app() as session:
            event = session.scalar(select(AuditEvent).where(AuditEvent.action == "challenge.comment_hidden"))
            assert event.details["reason"] == "Persoonsgegevens"

    def test_no_discussion_on_drafts(self, client, make_challenge):
        challenge_id = make_challenge(status="draft")
        signed_in(client, "gent@example.org")
        response = client.post(f"/challenges/{challenge_id}/comments", data={"body": "Te vroeg"})
        assert response.status_code == 400


class TestScreening:
    def test_steering_screens_and_the_city_sees_why(self, client, make_challenge, in_app):
        challenge_id = make_challenge()
        signed_in(client, "steering@example.org")
        response = client.post(f"/challenges/{challenge_id}/screening", data={"decision": "ineligible", "reason": ""})
        assert response.status_code == 400
        assert "Zeg de stad waarom" in response.text
        client.post(f"/challenges/{challenge_id}/screening", data={"decision": "ineligible", "reason": "Geen data beschikbaar."})
        assert _challenge(in_app, challenge_id).status is ChallengeStatus.INELIGIBLE
        client.logout()
        signed_in(client, "gent@example.org")
        assert "Geen data beschikbaar." in client.get(f"/challenges/{challenge_id}").text
        assert _actions(in_app, challenge_id)[-1] == "challenge.screened"

    def test_changes_after_screening_go_back_to_the_committee(self, client, make_challenge, in_app):
        challenge_id = make_challenge(status="eligible")
        signed_in(client, "steering@example.org")
        page = client.get(f"/challenges/{challenge_id}").text
        assert re.search(r'<input checked[^>]*value="eligible"', page)  # the form shows the current decision
        client.logout()
        signed_in(client, "gent@example.org")
        assert "terug naar de stuurgroep" in client.get(f"/challenges/{challenge_id}").text
        client.post(f"/challenges/{challenge_id}/edit", data={**VALID, "title": "Anders", "version": "1"})
        assert _challenge(in_app, challenge_id).status is ChallengeStatus.SUBMITTED
        assert _actions(in_app, challenge_id)[-1] == "challenge.rescreening_needed"

    @pytest.mark.parametrize("email", ["gent@example.org", "admin@example.org"])
    def test_only_the_steering_committee(self, client, make_challenge, in_app, email):
        challenge_id = make_challenge()
        signed_in(client, email)
        assert client.post(f"/challenges/{challenge_id}/screening", data={"decision": "eligible"}).status_code == 403
        assert _challenge(in_app, challenge_id).status is ChallengeStatus.SUBMITTED

    def test_drafts_are_not_screened(self, client, make_challenge):
        challenge_id = make_challenge(status="draft")
        signed_in(client, "steering@example.org")
        assert client.post(f"/challenges/{challenge_id}/screening", data={"decision": "eligible"}).status_code == 404


class TestList:
    def test_filters_search_and_sort(self, client, make_challenge, in_app):
        make_challenge(title="Parkeren in Gent", year=2024)
        make_challenge(city="leuven", title="Fietsen in Leuven", year=2025)
        assert "Fietsen in Leuven" not in client.get("/challenges?city=gent").text
        assert "Parkeren in Gent" in client.get("/challenges?city=gent").text
        assert "Parkeren in Gent" not in client.get("/challenges?year=2025").text
        assert "Fietsen in Leuven" in client.get("/challenges?q=FIETS").text
        assert "Parkeren in Gent" not in client.get("/challenges?q=fiets").text
        page = client.get("/challenges?sort=title").text
        assert page.index("Fietsen in Leuven") < page.index("Parkeren in Gent")
        assert "Geen uitdagingen gevonden" in client.get("/challenges?theme=HEAL").text
        assert client.get("/challenges?year=abc&status=bogus&sort=nope&page=-3").status_code == 200

    def test_pagination(self, client, make_challenge, app):
        for n in range(app.config["PAGE_SIZE"] + 2):
            make_challenge(title=f"Uitdaging {n:02d}", datasets=0, status="draft")
        signed_in(client, "gent@example.org")
        first = client.get("/challenges/my-city?sort=title").text
        second = client.get("/challenges/my-city?sort=title&page=2").text
        assert "Uitdaging 00" in first and "Uitdaging 26" not in first
        assert "Uitdaging 26" in second

    def test_csv_export(self, client, make_challenge, people, in_app):
        challenge_id = make_challenge(title='=HYPERLINK("http://evil")', datasets=2)
        with in_app() as session:
            service.cosponsor(session.get(User, people["leuven"]), challenge_id, people["leuven_city"], "")
        make_challenge(city="leuven", title="Andere", year=2024)
        response = client.get("/challenges/export.csv?city=gent")
        assert response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
        assert len(rows) == 1
        assert rows[0]["title"].startswith("'=")  # neutralised for spreadsheets
        assert rows[0]["datasets"] == "2" and rows[0]["cosponsors"] == "Leuven"

    def test_script_in_a_title_is_inert(self, client, make_challenge):
        make_challenge(title="<script>alert(1)</script>")
        page = client.get("/challenges").text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


class TestQueryCounts:
    def test_list_is_bounded(self, app, client, make_challenge, people, in_app):
        signed_in(client, "gent@example.org")
        make_challenge(datasets=1)
        with count_queries(app) as few:
            client.get("/challenges")
        for n in range(12):
            make_challenge(city="leuven" if n % 2 else "gent", datasets=3, title=f"C{n}")
        with count_queries(app) as many:
            page = client.get("/challenges")
        assert page.text.count('href="/challenges/') >= 13
        assert len(many) == len(few)

    def test_detail_is_bounded(self, app, client, make_challenge, people, in_app):
        def grow(challenge_id, n):
            with in_app() as session:
                leuven = session.get(User, people["leuven"])
                for i in range(n):
                    service.add_comment(leuven, challenge_id, f"Reactie {i}")

        small, large = make_challenge(datasets=1), make_challenge(datasets=8, title="Groot")
        grow(small, 1)
        grow(large, 10)
        with in_app() as session:
            for slug in ("aalst", "brugge", "genk"):
                city = factories.city(slug)
                user = factories.UserFactory()
                factories.MembershipFactory(user=user, city=city)
                service.cosponsor(session.get(User, user.id), large, city.id, "")
        signed_in(client, "gent@example.org")
        with count_queries(app) as few:
            client.get(f"/challenges/{small}")
        with count_queries(app) as many:
            page = client.get(f"/challenges/{large}")
        assert page.text.count("Reactie ") >= 10
        assert len(many) <= len(few) + 1, many[len(few) :]


def test_seed_demo_adds_challenges(runner, in_app):
    runner.invoke(args=["seed-demo"])
    with in_app() as session:
        count = session.scalar(select(func.count(Challenge.id)))
        assert count >= 15
        years = set(session.scalars(select(Challenge.year)))
        assert min(years) == 2017 and len(years) >= 8
        assert session.scalar(select(func.count(CoSponsorship.id))) >= 10
        assert session.scalar(select(func.count(Comment.id))) >= 3
        parking = session.scalar(select(Challenge).where(Challenge.year == 2017, Challenge.title.contains("parkeergarages")))
        assert parking.city.slug == "gent"
    runner.invoke(args=["seed-demo"])
    with in_app() as session:
        assert session.scalar(select(func.count(Challenge.id))) == count


def test_password_fixture_is_used(people):
    assert PASSWORD
